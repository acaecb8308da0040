/**
 * Snapshot: a consistent read-only view of the database at one seq. It pins that seq, so flushes keep every
 * version it can see and the manifest's recent_snapshot_min_seq protects them from compaction.
 *
 * Invariants: every read sees exactly the writes with seq <= the snapshot's seq; its read calls (get, getKeyValue,
 * scan, scanPrefix) take the same arguments as Db's and never change a caller's buffer; after close() reads fail
 * with 'closed' and the pin is released (once).
 * Concurrency: usable concurrently with writes; one close.
 */
import { closedError, toShaleDBError } from '../util/errors.js';
import type { DbInner } from './db-inner.js';
import { type DbIterator, type KeyValue, toKeyValue } from './db-iterator.js';
import {
  checkReadOptions,
  checkScanOptions,
  type ReadOptions,
  type ScanOptions,
  type ScanRange,
  toKeyRange,
  toPrefixRange,
} from './options.js';
import { checkReadKey } from './write-batch.js';

/** A point-in-time view. */
export class Snapshot {
  readonly #inner: DbInner;
  /** The newest seq this snapshot sees. */
  readonly seq: bigint;
  readonly #seq: number;
  #release: (() => void) | undefined;

  /** @internal Use Db.snapshot(). */
  constructor(inner: DbInner, seq: number) {
    this.#inner = inner;
    this.#seq = seq;
    this.seq = BigInt(seq);
    this.#release = inner.pinSnapshot(seq);
  }

  #check(): void {
    if (this.#release === undefined) throw closedError('clean', 'snapshot is closed');
  }

  /** The value of `key` at the snapshot, or undefined. */
  async get(key: Uint8Array | string, options?: ReadOptions): Promise<Uint8Array | undefined> {
    return (await this.getKeyValue(key, options))?.value;
  }

  /** The value of `key` with its metadata at the snapshot, or undefined. */
  async getKeyValue(key: Uint8Array | string, options?: ReadOptions): Promise<KeyValue | undefined> {
    try {
      this.#check();
      let r = this.#inner.getRow(checkReadKey(key), { ...checkReadOptions(options), snapshotSeq: this.#seq });
      if (r instanceof Promise) r = await r;
      return r === undefined ? undefined : toKeyValue(r);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Iterates `range` at the snapshot. */
  scan(range?: ScanRange, options?: ScanOptions): DbIterator {
    try {
      this.#check();
      const o = checkScanOptions(options);
      return this.#inner.scan(toKeyRange(range), { ...o, snapshotSeq: this.#seq }, o.order);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Iterates the keys that start with `prefix` at the snapshot (an empty prefix: every key). */
  scanPrefix(prefix: Uint8Array | string, options?: ScanOptions): DbIterator {
    try {
      this.#check();
      const o = checkScanOptions(options);
      return this.#inner.scan(toPrefixRange(prefix), { ...o, snapshotSeq: this.#seq }, o.order);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Releases the snapshot. Idempotent. */
  close(): void {
    this.#release?.();
    this.#release = undefined;
  }

  /** `await using snap = await db.snapshot()` closes the snapshot at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
