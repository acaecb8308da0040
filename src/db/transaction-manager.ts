/**
 * TransactionManager: conflict detection for transactions, with SlateDB 0.12.1's rules (docs/transactions.md).
 * Each live transaction has a start seq, the keys it read, the key ranges its scans covered and (at commit) the keys
 * it writes. Every committed write (a transaction's, or a plain put/delete/merge/write batch) is remembered with its
 * seq and keys while some live transaction started before it. A transaction conflicts when a write committed after
 * its start seq touched a key it writes (write-write, both isolation levels) or a key or range it read (read-write:
 * reads are tracked under serializableSnapshot, and keys given to markRead under either level).
 *
 * Invariants: `recent` is in ascending seq order and holds only writes with seq > the smallest start seq of a live
 * transaction (none at all when no transaction is live); the check and the registration of a commit run in the
 * write path's one synchronous stretch (DbInner.write), so no write can slip between a check and its commit.
 * Concurrency: single event loop.
 */
import type { RowEntry } from '../format/row.js';
import type { KeyRange } from '../format/row-iterator.js';
import { compareBytes } from '../util/bytes.js';
import { ShaleDBError } from '../util/errors.js';

/** Isolation level of a transaction (SlateDB 0.12.1's IsolationLevel in camelCase). */
export type IsolationLevel =
  /** Snapshot isolation: reads see the start snapshot; a commit fails on write-write conflicts. */
  | 'snapshot'
  /** Serializable snapshot isolation: also fails when a key or scanned range it read was written since its start. */
  | 'serializableSnapshot';

/** What the manager tracks of one live transaction (engine-internal; not exported by the package). */
export interface TxnState {
  /** The newest seq the transaction sees; writes with a larger seq are concurrent with it. */
  readonly startedSeq: number;
  /** Keys read (binary strings, see keyId). */
  readonly readKeys: Set<string>;
  /** Key ranges covered by scans (filled at commit). */
  readonly readRanges: KeyRange[];
  /** Keys the commit writes and tracks for conflicts (filled at commit). */
  writeKeys: Set<string>;
  /** Set once the transaction left the manager. */
  ended: boolean;
}

/** One committed write remembered for conflict checks. */
interface CommittedWrite {
  readonly seq: number;
  readonly keys: Set<string>;
  /** The same keys as bytes, for range checks. */
  readonly keyBytes: Uint8Array[];
}

/** @internal A key as a map/set id: one char per byte. */
export function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
}

/** @internal The bytes of a keyId. */
export function keyBytes(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, 'latin1'));
}

/** @internal True when `key` lies in `range`. */
export function rangeContains(range: KeyRange, key: Uint8Array): boolean {
  if (range.start !== undefined) {
    const c = compareBytes(key, range.start);
    if (c < 0 || (c === 0 && range.startInclusive === false)) return false;
  }
  if (range.end !== undefined) {
    const c = compareBytes(key, range.end);
    if (c > 0 || (c === 0 && range.endInclusive !== true)) return false;
  }
  return true;
}

/** The error a conflicting commit fails with. */
export function transactionConflict(): ShaleDBError {
  return new ShaleDBError(
    'transaction',
    'TRANSACTION_CONFLICT',
    'transaction conflict: a key it writes or read was written by another commit since it began',
  );
}

/** Tracks live transactions and the recent commits they may conflict with. */
export class TransactionManager {
  readonly #active = new Set<TxnState>();
  #recent: CommittedWrite[] = [];

  /** Registers a new transaction that sees every write up to `startedSeq`. */
  begin(startedSeq: number): TxnState {
    const s: TxnState = {
      startedSeq,
      readKeys: new Set(),
      readRanges: [],
      writeKeys: new Set(),
      ended: false,
    };
    this.#active.add(s);
    return s;
  }

  /** Removes a transaction (commit, conflict or rollback) and forgets commits no live transaction needs. Idempotent. */
  end(s: TxnState): void {
    if (s.ended) return;
    s.ended = true;
    this.#active.delete(s);
    this.#prune();
  }

  /** Live transactions. */
  get activeCount(): number {
    return this.#active.size;
  }

  /** Committed writes remembered (tests). */
  get recentCount(): number {
    return this.#recent.length;
  }

  /** True when a write committed after `s` began touches a key it writes, or a key or range it read. */
  hasConflict(s: TxnState): boolean {
    const hasReads = s.readKeys.size > 0 || s.readRanges.length > 0;
    if (s.writeKeys.size === 0 && !hasReads) return false;
    // `recent` is in seq order: walk back from the newest while the writes are concurrent with `s`.
    for (let i = this.#recent.length - 1; i >= 0; i--) {
      const w = this.#recent[i]!;
      if (w.seq <= s.startedSeq) break;
      if (intersects(s.writeKeys, w.keys) || intersects(s.readKeys, w.keys)) return true;
      for (const r of s.readRanges) for (const k of w.keyBytes) if (rangeContains(r, k)) return true;
    }
    return false;
  }

  /** Throws TRANSACTION_CONFLICT when `s` conflicts (see hasConflict). */
  checkCommit(s: TxnState): void {
    if (this.hasConflict(s)) throw transactionConflict();
  }

  /**
   * Records a write applied with `seq`: the transaction `s`'s tracked write keys (and ends it), or for a plain write
   * every key of `rows`. Nothing is kept when no transaction is live.
   */
  committed(s: TxnState | undefined, rows: readonly RowEntry[], seq: number): void {
    if (s !== undefined) this.end(s);
    if (this.#active.size === 0) {
      this.#recent = [];
      return;
    }
    const keys = new Set<string>();
    const bytes: Uint8Array[] = [];
    if (s !== undefined) {
      for (const id of s.writeKeys) {
        keys.add(id);
        bytes.push(keyBytes(id));
      }
    } else {
      for (const r of rows) {
        const id = keyId(r.key);
        if (keys.has(id)) continue;
        keys.add(id);
        bytes.push(r.key);
      }
    }
    if (keys.size > 0) this.#recent.push({ seq, keys, keyBytes: bytes });
  }

  #prune(): void {
    let min: number | undefined;
    for (const a of this.#active) if (min === undefined || a.startedSeq < min) min = a.startedSeq;
    if (min === undefined) {
      this.#recent = [];
      return;
    }
    let drop = 0;
    while (drop < this.#recent.length && this.#recent[drop]!.seq <= min) drop++;
    if (drop > 0) this.#recent = this.#recent.slice(drop);
  }
}

function intersects(a: Set<string>, b: Set<string>): boolean {
  if (a.size === 0 || b.size === 0) return false;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const k of small) if (large.has(k)) return true;
  return false;
}
