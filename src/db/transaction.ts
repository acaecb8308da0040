/**
 * DbTransaction: a transaction begun with Db.begin, with SlateDB 0.12.1's semantics (docs/transactions.md). Reads
 * see the database at the transaction's start seq plus its own buffered writes; writes are buffered until commit,
 * which applies them atomically as one batch (one seq; ordinary rows any SlateDB reader sees) or fails with kind
 * 'transaction' TRANSACTION_CONFLICT, writing nothing. Under 'serializableSnapshot' gets and the ranges scans cover
 * are tracked as reads, so a commit also fails when a key or range it read was written since it began.
 *
 * Invariants: the start seq is pinned in the snapshot registry until the transaction completes, so flushes and
 * compaction keep every version it can read; after commit (successful or not) or rollback every call fails with
 * 'invalid' TRANSACTION_COMPLETED (as 0.12.1's binding does) and the pin and tracking are released exactly once;
 * input is validated (and copied) before anything changes, so a bad call leaves the transaction as it was.
 * Concurrency: one event loop; concurrent transactions are independent until commit.
 */

import type { RowEntry } from '../format/row.js';
import type { KeyRange } from '../format/row-iterator.js';
import { mergeOperatorMissing } from '../lsm/merge-operator.js';
import { copyBytes } from '../util/bytes.js';
import { invalidError, toShaleDBError } from '../util/errors.js';
import { Uuid } from '../util/ids.js';
import type { DbInner } from './db-inner.js';
import type { KeyValue } from './db-iterator.js';
import {
  checkReadOptions,
  checkScanOptions,
  checkWriteOptions,
  type ReadOptions,
  type ScanOptions,
  type ScanRange,
  toKeyRange,
  toPrefixRange,
  type WriteHandle,
  type WriteOptions,
} from './options.js';
import { ScanCoverage, TransactionIterator, txnKeyValue } from './transaction-iterator.js';
import { type IsolationLevel, keyId, rangeContains, type TxnState } from './transaction-manager.js';
import { needsVisible, resolvePending, TxnWrites } from './transaction-writes.js';
import { type BatchOpOptions, checkKey, checkReadKey, checkTtl, checkValue } from './write-batch.js';

/** @internal Validates an isolation level. */
export function checkIsolation(level: unknown): IsolationLevel {
  if (level !== 'snapshot' && level !== 'serializableSnapshot') {
    throw invalidError(
      'INVALID_ARGUMENT',
      `isolation must be "snapshot" or "serializableSnapshot", got ${JSON.stringify(level)}`,
    );
  }
  return level;
}

function checkOpOptions(options: unknown): BatchOpOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null)
    throw invalidError('INVALID_ARGUMENT', 'options must be an object');
  return { ttl: checkTtl((options as BatchOpOptions).ttl) };
}

function checkKeyList(keys: unknown): Uint8Array[] {
  if (keys === null || typeof keys !== 'object' || !(Symbol.iterator in keys))
    throw invalidError('INVALID_ARGUMENT', 'keys must be an iterable of keys');
  return [...(keys as Iterable<unknown>)].map((k) => checkReadKey(k));
}

/** A read-write transaction. */
export class DbTransaction {
  readonly #inner: DbInner;
  readonly #state: TxnState;
  readonly #writes = new TxnWrites();
  /** Keys excluded from conflict tracking (unmarkWrite). */
  readonly #untracked = new Set<string>();
  readonly #coverages: ScanCoverage[] = [];
  readonly #seq: number;
  #release: (() => void) | undefined;
  #done = false;
  /** The transaction's id, a random UUID (as 0.12.1's). */
  readonly id: string;
  /** The start seq: the newest seq the transaction reads (0.12.1's `seqnum`). */
  readonly seq: bigint;
  readonly isolation: IsolationLevel;

  /** @internal Use Db.begin. */
  constructor(inner: DbInner, isolation: IsolationLevel) {
    this.#inner = inner;
    this.isolation = isolation;
    this.#seq = inner.lastCommittedSeq;
    this.seq = BigInt(this.#seq);
    this.id = Uuid.v4(inner.rand).toString();
    this.#state = inner.txns.begin(this.#seq);
    this.#release = inner.pinSnapshot(this.#seq);
  }

  /** True once the transaction was committed (successfully or not) or rolled back. */
  get completed(): boolean {
    return this.#done;
  }

  #check(): void {
    if (this.#done)
      throw invalidError(
        'TRANSACTION_COMPLETED',
        'the transaction has already been committed or rolled back',
      );
  }

  #end(): void {
    this.#done = true;
    this.#inner.txns.end(this.#state);
    this.#release?.();
    this.#release = undefined;
  }

  get #ssi(): boolean {
    return this.isolation === 'serializableSnapshot';
  }

  /** The value of `key` as this transaction sees it (its own writes included), or undefined. */
  async get(key: Uint8Array | string, options?: ReadOptions): Promise<Uint8Array | undefined> {
    try {
      const r = await this.#getRow(key, options);
      return r === undefined ? undefined : copyBytes(r.value);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /**
   * The value of `key` with its metadata, or undefined. A value from the transaction's own pending writes has seq
   * 2^64 - 1 and no timestamps (they are assigned at commit), as in 0.12.1.
   */
  async getKeyValue(key: Uint8Array | string, options?: ReadOptions): Promise<KeyValue | undefined> {
    try {
      const r = await this.#getRow(key, options);
      return r === undefined ? undefined : txnKeyValue(r);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  async #getRow(key: Uint8Array | string, options: ReadOptions | undefined): Promise<RowEntry | undefined> {
    this.#check();
    const k = checkReadKey(key);
    const cap = { ...checkReadOptions(options), snapshotSeq: this.#seq };
    this.#inner.checkOpen();
    if (this.#ssi) this.#state.readKeys.add(keyId(k));
    const p = this.#writes.get(k);
    const mergeOperator = this.#inner.mergeOperator;
    if (p !== undefined && !needsVisible(p)) return resolvePending(p, undefined, mergeOperator);
    let visible = this.#inner.getRow(k, cap);
    if (visible instanceof Promise) visible = await visible;
    return p === undefined ? visible : resolvePending(p, visible, mergeOperator);
  }

  /**
   * Iterates `range` as this transaction sees it (its own writes included; writes made after the scan was opened
   * are not). Under serializableSnapshot the part of the range the iteration covers counts as read.
   */
  scan(range?: ScanRange, options?: ScanOptions): TransactionIterator {
    try {
      this.#check();
      return this.#scan(toKeyRange(range), options);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Iterates the keys that start with `prefix` (see scan). */
  scanPrefix(prefix: Uint8Array | string, options?: ScanOptions): TransactionIterator {
    try {
      this.#check();
      return this.#scan(toPrefixRange(prefix), options);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  #scan(range: KeyRange, options: ScanOptions | undefined): TransactionIterator {
    const o = checkScanOptions(options);
    // The limit counts what the transaction sees (pending writes merged in), so the database scan is unlimited.
    const db = this.#inner.scan(range, { ...o, limit: undefined, snapshotSeq: this.#seq }, o.order);
    const pending = this.#writes.sorted().filter((p) => rangeContains(range, p.key));
    let coverage: ScanCoverage | undefined;
    if (this.#ssi) {
      coverage = new ScanCoverage(range, o.order);
      this.#coverages.push(coverage);
    }
    const ctx = { check: () => this.#check(), mergeOperator: this.#inner.mergeOperator };
    return new TransactionIterator(db, pending, range, o.order, ctx, coverage, o.limit);
  }

  /** Buffers a put of `key` (applied at commit). */
  put(key: Uint8Array | string, value: Uint8Array | string, options?: BatchOpOptions): void {
    try {
      this.#check();
      const ttl = checkOpOptions(options).ttl;
      this.#writes.add('value', checkKey(key), checkValue(value), ttl);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Buffers a delete of `key`. */
  delete(key: Uint8Array | string): void {
    try {
      this.#check();
      this.#writes.add('tombstone', checkKey(key), new Uint8Array(0), undefined);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Buffers a merge operand for `key` (needs a merge operator on the database). */
  merge(key: Uint8Array | string, operand: Uint8Array | string, options?: BatchOpOptions): void {
    try {
      this.#check();
      const ttl = checkOpOptions(options).ttl;
      const k = checkKey(key);
      const v = checkValue(operand);
      if (this.#inner.mergeOperator === undefined) throw mergeOperatorMissing();
      this.#writes.add('merge', k, v, ttl);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /**
   * Counts `keys` as read for conflict detection, under either isolation level: the commit fails if another commit
   * wrote one of them since this transaction began.
   */
  markRead(keys: Iterable<Uint8Array | string>): void {
    try {
      this.#check();
      for (const k of checkKeyList(keys)) this.#state.readKeys.add(keyId(k));
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /**
   * Excludes `keys` from write conflict detection, before or after writing them: they are still written atomically
   * with the rest, but neither make this commit conflict nor make other transactions conflict with it.
   */
  unmarkWrite(keys: Iterable<Uint8Array | string>): void {
    try {
      this.#check();
      for (const k of checkKeyList(keys)) this.#untracked.add(keyId(k));
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /**
   * Applies the buffered writes atomically. Resolves with the write's handle, or undefined when nothing was written
   * (a transaction without writes still fails if its tracked reads conflict). Fails with kind 'transaction'
   * TRANSACTION_CONFLICT on a conflict, writing nothing. Either way the transaction is complete afterwards.
   */
  async commit(options?: WriteOptions): Promise<WriteHandle | undefined> {
    try {
      this.#check();
      const o = checkWriteOptions(options);
      const state = this.#state;
      this.#done = true; // from here on the transaction is complete, whatever the outcome
      try {
        for (const c of this.#coverages) state.readRanges.push(...c.ranges());
        if (this.#writes.isEmpty) {
          this.#inner.txns.checkCommit(state);
          return undefined;
        }
        const tracked = new Set<string>();
        for (const id of this.#writes.keyIds()) if (!this.#untracked.has(id)) tracked.add(id);
        state.writeKeys = tracked;
        const handle = this.#inner.write(this.#writes.toOps(), o.awaitDurable, state);
        return handle instanceof Promise ? await handle : handle;
      } finally {
        this.#end();
      }
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Discards the buffered writes and completes the transaction. */
  rollback(): void {
    try {
      this.#check();
      this.#end();
    } catch (e) {
      throw toShaleDBError(e);
    }
  }
}
