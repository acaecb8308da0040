/**
 * TransactionIterator: a transaction's scan: the database's iterator at the transaction's snapshot merged with the
 * transaction's pending writes in the range (read-your-writes), in either order. Pending puts replace the database
 * value, pending deletes hide it, pending merge operands fold onto it. Under serializableSnapshot it records the
 * key ranges the iteration actually covered (ScanCoverage), for phantom detection at commit.
 *
 * Invariants: keys come out strictly ascending (or descending), each once; the pending writes are those buffered when
 * the scan was opened; a covered range is recorded exactly when the caller received a key or the end of the range;
 * after the transaction completes every call fails with 'invalid' TRANSACTION_COMPLETED.
 * Concurrency: one caller at a time, like DbIterator.
 */
import type { RowEntry } from '../format/row.js';
import type { KeyRange } from '../format/row-iterator.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { compareBytes, copyBytes } from '../util/bytes.js';
import { closedError, invalidError } from '../util/errors.js';
import type { DbIterator, KeyValue } from './db-iterator.js';
import { rangeContains } from './transaction-manager.js';
import { PENDING_SEQ, PENDING_SEQ_PUBLIC, type PendingKey, resolvePending } from './transaction-writes.js';

/** @internal The key ranges one scan covered: what its results depend on. */
export class ScanCoverage {
  readonly #range: KeyRange;
  readonly #desc: boolean;
  /** Finished segments. */
  readonly #done: KeyRange[] = [];
  /** Where the current segment starts (in iteration order): a bound, or undefined for the range's own bound. */
  #from: { key: Uint8Array; inclusive: boolean } | undefined;
  /** Where it reaches so far: 'none', a key (inclusive), or 'end' of the range. */
  #to: Uint8Array | 'none' | 'end' = 'none';

  constructor(range: KeyRange, order: 'asc' | 'desc') {
    this.#range = range;
    this.#desc = order === 'desc';
  }

  /** The caller received `key`. */
  reached(key: Uint8Array): void {
    this.#to = key;
  }

  /** The caller received the end of the range. */
  ended(): void {
    this.#to = 'end';
  }

  /** The iteration jumps to `key`: the current segment ends where it reached. */
  seek(key: Uint8Array): void {
    this.#finish();
    this.#from = { key, inclusive: true };
    this.#to = 'none';
  }

  #finish(): void {
    const to = this.#to;
    if (to === 'none') return;
    const r = this.#range;
    const from = this.#from;
    // In ascending order a segment runs from its start bound up to `to`; descending mirrors it.
    const near =
      from === undefined
        ? this.#desc
          ? { key: r.end, inclusive: r.endInclusive === true }
          : { key: r.start, inclusive: r.startInclusive !== false }
        : from;
    const far =
      to === 'end'
        ? this.#desc
          ? { key: r.start, inclusive: r.startInclusive !== false }
          : { key: r.end, inclusive: r.endInclusive === true }
        : { key: to, inclusive: true };
    const [lo, hi] = this.#desc ? [far, near] : [near, far];
    this.#done.push({
      start: lo.key,
      startInclusive: lo.inclusive,
      end: hi.key,
      endInclusive: hi.inclusive,
    });
    this.#to = 'none';
  }

  /** Every covered range so far. */
  ranges(): KeyRange[] {
    const saved = { from: this.#from, to: this.#to };
    this.#finish();
    const out = this.#done.slice();
    if (saved.to !== 'none') this.#done.pop();
    this.#from = saved.from;
    this.#to = saved.to;
    return out;
  }
}

/** What the iterator needs of its transaction. */
export interface TxnScanContext {
  /** Throws when the transaction can no longer be used. */
  readonly check: () => void;
  readonly mergeOperator: MergeOperator | undefined;
}

/** @internal Turns a resolved row into the public shape; pending rows show seq 2^64 - 1. */
export function txnKeyValue(row: RowEntry): KeyValue {
  return {
    key: copyBytes(row.key),
    value: copyBytes(row.value),
    seq: row.seq === PENDING_SEQ ? PENDING_SEQ_PUBLIC : BigInt(row.seq),
    createTs: row.createTs,
    expireTs: row.expireTs,
  };
}

/** Iterates what a transaction sees in a range. */
export class TransactionIterator implements AsyncIterable<KeyValue> {
  readonly #db: DbIterator;
  readonly #pending: readonly PendingKey[];
  readonly #ctx: TxnScanContext;
  readonly #desc: boolean;
  readonly #coverage: ScanCoverage | undefined;
  readonly #range: KeyRange;
  /** Next pending entry to consider (index into #pending, in iteration order). */
  #pi: number;
  /** A database row read but not yet merged, or 'none' / 'end'. */
  #dbRow: RowEntry | 'none' | 'end' = 'none';
  #lastKey: Uint8Array | undefined;
  #closed = false;
  /** Key-values still to return under the scan's limit (applied here, after pending writes are merged in). */
  #remaining: number | undefined;

  /** @internal `pending` is ascending by key and already limited to the range. */
  constructor(
    db: DbIterator,
    pending: readonly PendingKey[],
    range: KeyRange,
    order: 'asc' | 'desc',
    ctx: TxnScanContext,
    coverage: ScanCoverage | undefined,
    limit?: number,
  ) {
    this.#db = db;
    this.#remaining = limit;
    this.#range = range;
    this.#pending = pending;
    this.#ctx = ctx;
    this.#desc = order === 'desc';
    this.#coverage = coverage;
    this.#pi = this.#desc ? pending.length - 1 : 0;
  }

  #check(): void {
    if (this.#closed) throw closedError('clean', 'iterator is closed');
    this.#ctx.check();
  }

  /** Order-aware comparison: negative when `a` comes first. */
  #cmp(a: Uint8Array, b: Uint8Array): number {
    const c = compareBytes(a, b);
    return this.#desc ? -c : c;
  }

  async #peekDb(): Promise<RowEntry | undefined> {
    if (this.#dbRow === 'none') {
      let r = this.#db.nextRow();
      if (r instanceof Promise) r = await r;
      this.#dbRow = r ?? 'end';
    }
    return this.#dbRow === 'end' ? undefined : this.#dbRow;
  }

  async #nextRow(): Promise<RowEntry | undefined> {
    this.#check();
    // At the limit the scan stops short of its range: what it covered ends at the last key returned.
    if (this.#remaining === 0) return undefined;
    for (;;) {
      const dbRow = await this.#peekDb();
      const p = this.#pending[this.#pi];
      if (dbRow === undefined && p === undefined) {
        this.#coverage?.ended();
        return undefined;
      }
      const c = dbRow === undefined ? 1 : p === undefined ? -1 : this.#cmp(dbRow.key, p.key);
      let row: RowEntry | undefined;
      if (c < 0) {
        row = dbRow;
        this.#dbRow = 'none';
      } else {
        this.#pi += this.#desc ? -1 : 1;
        if (c === 0) this.#dbRow = 'none';
        row = resolvePending(p!, c === 0 ? dbRow : undefined, this.#ctx.mergeOperator);
      }
      if (row !== undefined) {
        if (this.#remaining !== undefined) this.#remaining--;
        this.#lastKey = row.key;
        this.#coverage?.reached(row.key);
        return row;
      }
    }
  }

  /** The next key-value, or undefined at the end of the range. */
  async next(): Promise<KeyValue | undefined> {
    const r = await this.#nextRow();
    return r === undefined ? undefined : txnKeyValue(r);
  }

  /** Up to `max` key-values (fewer only at the end). */
  async nextBatch(max = 256): Promise<KeyValue[]> {
    const out: KeyValue[] = [];
    while (out.length < max) {
      const r = await this.#nextRow();
      if (r === undefined) break;
      out.push(txnKeyValue(r));
    }
    return out;
  }

  /**
   * Moves forward to the first key >= `key` (ascending) or <= `key` (descending). The key must be inside the range
   * and past the last key returned.
   */
  async seek(key: Uint8Array | string): Promise<void> {
    this.#check();
    const k = typeof key === 'string' ? new TextEncoder().encode(key) : key;
    if (!(k instanceof Uint8Array))
      throw invalidError('INVALID_ARGUMENT', 'seek key must be a Uint8Array or string');
    if (this.#lastKey !== undefined && this.#cmp(k, this.#lastKey) <= 0)
      throw invalidError('SEEK_KEY_BEHIND', 'seek key must be past the last key returned');
    if (!rangeContains(this.#range, k))
      throw invalidError('SEEK_KEY_OUT_OF_RANGE', 'seek key is outside the iterator range');
    const held = this.#dbRow;
    // A held row at or past `k` (or the end) means the database iterator already stands where the seek would put it.
    if (held === 'none' || (held !== 'end' && this.#cmp(held.key, k) < 0)) {
      this.#dbRow = 'none';
      await this.#db.seek(k);
    }
    while (this.#pending[this.#pi] !== undefined && this.#cmp(this.#pending[this.#pi]!.key, k) < 0)
      this.#pi += this.#desc ? -1 : 1;
    this.#coverage?.seek(k);
  }

  /** Releases the iterator. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KeyValue> {
    try {
      for (;;) {
        const batch = await this.nextBatch(256);
        for (const kv of batch) yield kv;
        if (batch.length < 256) return;
      }
    } finally {
      this.close();
    }
  }
}
