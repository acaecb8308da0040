/**
 * DbIterator: the public scan iterator. It reads a merged stream of every version from every source and yields,
 * per key, what a read at the visible seq sees: versions above the seq are skipped, merge operands are folded
 * onto the first value or tombstone below them (operands with different expiry times fold together on reads, as in
 * 0.12.1), and keys whose newest visible version is a tombstone are skipped. Expired values are still returned
 * (0.12.1 applies TTL only at flush and compaction).
 *
 * Invariants: keys come out strictly ascending (or strictly descending); each at most once; seek only moves forward
 * in the iteration order and stays inside the range (else 'invalid'); after close every call fails with 'closed'.
 * Concurrency: one caller at a time; `next()` may be called again only after the previous call settled.
 */

import type { RowEntry } from '../format/row.js';
import type { KeyRange, MaybePromise, RowIterator } from '../format/row-iterator.js';
import { foldVersions, type MergeOperator } from '../lsm/merge-operator.js';
import { ByteArena } from '../util/byte-arena.js';
import { compareBytes, copyBytes, equalBytes } from '../util/bytes.js';
import { closedError, invalidError } from '../util/errors.js';

/** One key's visible value. */
export interface KeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** The seq of the newest version that contributed. */
  readonly seq: bigint;
  /** Creation time (Unix ms) of that version, when recorded. */
  readonly createTs: number | undefined;
  /** Expiry time (Unix ms), when set. */
  readonly expireTs: number | undefined;
}

/** @internal Turns a resolved row into the public shape. */
export function toKeyValue(row: RowEntry, arena?: ByteArena): KeyValue {
  // Copies: rows share memory with the memtable and the block cache, which callers must not be able to change.
  return {
    key: arena === undefined ? copyBytes(row.key) : arena.copy(row.key),
    value: arena === undefined ? copyBytes(row.value) : arena.copy(row.value),
    seq: BigInt(row.seq),
    createTs: row.createTs,
    expireTs: row.expireTs,
  };
}

/** @internal Resolves one key's versions (newest first, all at or below the cap). Undefined when deleted. */
export function resolveVersions(
  rows: RowEntry[],
  mergeOperator: MergeOperator | undefined,
): RowEntry | undefined {
  const r = foldVersions(mergeOperator, rows);
  if (r === undefined || r.kind === 'tombstone') return undefined;
  return r;
}

/** Iterates the visible key-values of a range. */
export class DbIterator implements AsyncIterable<KeyValue> {
  readonly #source: RowIterator;
  readonly #maxSeq: number;
  readonly #mergeOperator: MergeOperator | undefined;
  readonly #desc: boolean;
  readonly #range: KeyRange;
  readonly #onClose: (() => void) | undefined;
  #lookahead: RowEntry | undefined;
  #ended = false;
  #closed = false;
  #lastKey: Uint8Array | undefined;
  /** The key being gathered, its visible versions, and whether a value or tombstone ended them. */
  #groupKey: Uint8Array | undefined;
  #group: RowEntry[] = [];
  #groupDone = false;
  /** Key-values still to return under a scan limit; undefined when unlimited. */
  #remaining: number | undefined;

  /** @internal */
  constructor(
    source: RowIterator,
    options: {
      maxSeq: number;
      mergeOperator: MergeOperator | undefined;
      order: 'asc' | 'desc';
      range: KeyRange;
      onClose?: () => void;
      limit?: number | undefined;
    },
  ) {
    this.#source = source;
    this.#maxSeq = options.maxSeq;
    this.#mergeOperator = options.mergeOperator;
    this.#desc = options.order === 'desc';
    this.#range = options.range;
    this.#onClose = options.onClose;
    this.#remaining = options.limit;
  }

  /** The next visible key-value, or undefined at the end of the range. */
  async next(): Promise<KeyValue | undefined> {
    let r = this.nextRow();
    if (r instanceof Promise) r = await r;
    return r === undefined ? undefined : toKeyValue(r);
  }

  /**
   * Up to `max` key-values at once (fewer only at the end): cheaper than `next()` per item. The copies of one
   * batch share slab memory (a retained value keeps at most its slab alive).
   */
  async nextBatch(max = 256): Promise<KeyValue[]> {
    const out: KeyValue[] = [];
    const arena = new ByteArena(32 * 1024, 4096);
    while (out.length < max) {
      let r = this.nextRow();
      if (r instanceof Promise) r = await r;
      if (r === undefined) break;
      out.push(toKeyValue(r, arena));
    }
    return out;
  }

  /** @internal The next resolved row; synchronous while data is cached. */
  nextRow(): MaybePromise<RowEntry | undefined> {
    if (this.#remaining === undefined) return this.#nextRow();
    if (this.#closed) throw closedError('clean', 'iterator is closed');
    if (this.#remaining === 0) return undefined;
    const r = this.#nextRow();
    if (r instanceof Promise) return r.then((row) => this.#count(row));
    return this.#count(r);
  }

  #count(row: RowEntry | undefined): RowEntry | undefined {
    if (row !== undefined) this.#remaining!--;
    return row;
  }

  #nextRow(): MaybePromise<RowEntry | undefined> {
    if (this.#closed) throw closedError('clean', 'iterator is closed');
    for (;;) {
      if (this.#ended && this.#lookahead === undefined) return undefined;
      const r = this.#collect();
      if (r instanceof Promise) return r.then(() => this.#afterCollect());
      const out = this.#finish();
      if (out !== NEXT) return out;
    }
  }

  #afterCollect(): MaybePromise<RowEntry | undefined> {
    const out = this.#finish();
    return out === NEXT ? this.#nextRow() : out;
  }

  #finish(): RowEntry | undefined | typeof NEXT {
    const group = this.#group;
    if (group.length === 0) return this.#ended && this.#lookahead === undefined ? undefined : NEXT;
    const row =
      group.length === 1 && group[0]!.kind !== 'merge'
        ? group[0]!
        : resolveVersions(group, this.#mergeOperator);
    if (row === undefined || row.kind === 'tombstone') return NEXT;
    this.#lastKey = row.key;
    return row;
  }

  /** Adds a row of the current key to the group; false at the end of the key (the row becomes the lookahead). */
  #take(row: RowEntry | undefined): boolean {
    if (row === undefined) {
      this.#ended = true;
      return false;
    }
    const key = this.#groupKey;
    if (key === undefined) this.#groupKey = row.key;
    else if (!equalBytes(key, row.key)) {
      this.#lookahead = row;
      return false;
    }
    if (this.#groupDone || row.seq > this.#maxSeq) return true;
    this.#group.push(row);
    if (row.kind !== 'merge') this.#groupDone = true;
    return true;
  }

  /** Gathers the visible versions of the next key into #group (newest first, up to a value or tombstone). */
  #collect(): MaybePromise<void> {
    this.#group = [];
    this.#groupKey = undefined;
    this.#groupDone = false;
    const la = this.#lookahead;
    if (la !== undefined) {
      this.#lookahead = undefined;
      this.#take(la);
    }
    if (this.#ended) return;
    return this.#pump();
  }

  #pump(): MaybePromise<void> {
    for (;;) {
      const r = this.#source.next();
      if (r instanceof Promise) return r.then((row) => (this.#take(row) ? this.#pump() : undefined));
      if (!this.#take(r)) return;
    }
  }

  /**
   * Moves forward to the first key >= `key` (ascending) or <= `key` (descending). The key must be inside the range
   * and not behind the last key returned.
   */
  async seek(key: Uint8Array | string): Promise<void> {
    if (this.#closed) throw closedError('clean', 'iterator is closed');
    if (typeof key !== 'string' && !(key instanceof Uint8Array))
      throw invalidError('INVALID_ARGUMENT', 'seek key must be a Uint8Array or string');
    // A private copy: the sources may keep the seek key, and the caller may reuse its buffer.
    const k = typeof key === 'string' ? new TextEncoder().encode(key) : copyBytes(key);
    const { start, startInclusive, end, endInclusive } = this.#range;
    const belowStart =
      start !== undefined &&
      (compareBytes(k, start) < 0 || (compareBytes(k, start) === 0 && startInclusive === false));
    const aboveEnd =
      end !== undefined &&
      (compareBytes(k, end) > 0 || (compareBytes(k, end) === 0 && endInclusive !== true));
    if (belowStart || aboveEnd)
      throw invalidError('SEEK_KEY_OUT_OF_RANGE', 'seek key is outside the iterator range');
    if (this.#lastKey !== undefined) {
      const c = compareBytes(k, this.#lastKey);
      if (this.#desc ? c >= 0 : c <= 0) {
        throw invalidError('SEEK_KEY_BEHIND', 'seek key must be past the last key returned');
      }
    }
    this.#lookahead = undefined;
    this.#ended = false;
    const r = this.#source.seek(k);
    if (r instanceof Promise) await r;
  }

  /** Releases the iterator's sources. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.close();
    this.#onClose?.();
  }

  /** `await using it = db.scan()` closes the iterator at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
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

const NEXT = Symbol('next');
