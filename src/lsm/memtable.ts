/**
 * Memtable: the in-memory table of recent writes, keeping every (key, seq) version in LSM order, with the
 * bookkeeping flushes need (estimated size, first/last seq, last clock tick, sequence-tracker samples).
 *
 * Invariants: `sizeBytes` is the sum of SlateDB's estimated_size over live entries (key + value + 8 for seq + 8
 * per timestamp); a replaced (key, seq) entry's old size is subtracted. `lastTick` is the largest createTs put;
 * `firstSeq <= lastSeq` once non-empty. A frozen memtable rejects puts.
 * Concurrency: single event loop; iterators observe later inserts (the writer never removes nodes).
 */

import type { RowEntry } from '../format/row.js';
import type { KeyRange, RowIterator } from '../format/row-iterator.js';
import { assert } from '../util/assert.js';
import { compareBytes } from '../util/bytes.js';
import { RowSkiplist, type SkipNode } from './skiplist.js';

const SEQ_ABOVE_ALL = Number.MAX_SAFE_INTEGER;
const SEQ_BELOW_ALL = -1;

/** SlateDB's estimated size of a row, used for freeze and flush thresholds. */
export function estimatedRowSize(row: RowEntry): number {
  let size = row.key.length + row.value.length + 8;
  if (row.createTs !== undefined) size += 8;
  if (row.expireTs !== undefined) size += 8;
  return size;
}

/** One (seq, Unix seconds) sample for the sequence tracker. */
export interface SequenceSample {
  readonly seq: number;
  readonly tsSeconds: number;
}

/** Samples are kept at most one per this many seconds. */
const SEQUENCE_SAMPLE_INTERVAL_S = 60;

/** A memtable. */
export class Memtable {
  readonly #list = new RowSkiplist();
  #sizeBytes = 0;
  #firstSeq: number | undefined;
  #lastSeq: number | undefined;
  #lastTick = Number.MIN_SAFE_INTEGER;
  #frozen = false;
  readonly #samples: SequenceSample[] = [];

  /** Adds a row (replacing an equal (key, seq) row). */
  put(row: RowEntry): void {
    assert(!this.#frozen, 'put into a frozen memtable');
    const old = this.#list.insert(row);
    this.#sizeBytes += estimatedRowSize(row) - (old === undefined ? 0 : estimatedRowSize(old));
    if (this.#firstSeq === undefined || row.seq < this.#firstSeq) this.#firstSeq = row.seq;
    if (this.#lastSeq === undefined || row.seq > this.#lastSeq) this.#lastSeq = row.seq;
    if (row.createTs !== undefined && row.createTs > this.#lastTick) this.#lastTick = row.createTs;
  }

  /** Records a (seq, time) sample for the sequence tracker, at most one per minute. */
  recordSequence(seq: number, tsSeconds: number): void {
    const last = this.#samples[this.#samples.length - 1];
    if (last !== undefined && tsSeconds - last.tsSeconds < SEQUENCE_SAMPLE_INTERVAL_S) return;
    this.#samples.push({ seq, tsSeconds });
  }

  /** The recorded sequence samples, oldest first. */
  get sequenceSamples(): readonly SequenceSample[] {
    return this.#samples;
  }

  /** Stops accepting puts. */
  freeze(): void {
    this.#frozen = true;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  get isEmpty(): boolean {
    return this.#list.count === 0;
  }

  get entryCount(): number {
    return this.#list.count;
  }

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  get firstSeq(): number | undefined {
    return this.#firstSeq;
  }

  get lastSeq(): number | undefined {
    return this.#lastSeq;
  }

  /** The largest createTs put, or Number.MIN_SAFE_INTEGER when none. */
  get lastTick(): number {
    return this.#lastTick;
  }

  /**
   * Point lookup: appends the versions of `key` with seq <= maxSeq to `out`, newest first, stopping after the first
   * value or tombstone. Returns true when such a terminal version was found (older sources need not be read).
   */
  lookup(key: Uint8Array, maxSeq: number, out: RowEntry[]): boolean {
    let n = this.#list.seekGE(key, maxSeq);
    while (n !== null && compareBytes(n.row.key, key) === 0) {
      const row = n.row;
      out.push(row);
      if (row.kind !== 'merge') return true;
      n = n.next[0]!;
    }
    return false;
  }

  /** An iterator over `range` in the given order (see RowIterator for the ordering rules). */
  iterator(range: KeyRange = {}, order: 'asc' | 'desc' = 'asc'): RowIterator {
    return order === 'asc'
      ? new AscendingIterator(this.#list, range)
      : new DescendingIterator(this.#list, range);
  }
}

function beforeEnd(key: Uint8Array, range: KeyRange): boolean {
  if (range.end === undefined) return true;
  const c = compareBytes(key, range.end);
  return c < 0 || (c === 0 && range.endInclusive === true);
}

function afterStart(key: Uint8Array, range: KeyRange): boolean {
  if (range.start === undefined) return true;
  const c = compareBytes(key, range.start);
  return c > 0 || (c === 0 && range.startInclusive !== false);
}

class AscendingIterator implements RowIterator {
  readonly #list: RowSkiplist;
  readonly #range: KeyRange;
  #node: SkipNode | null;
  #closed = false;

  constructor(list: RowSkiplist, range: KeyRange) {
    this.#list = list;
    this.#range = range;
    if (range.start === undefined) this.#node = list.first();
    else {
      const seq = range.startInclusive === false ? SEQ_BELOW_ALL : SEQ_ABOVE_ALL;
      this.#node = list.seekGE(range.start, seq);
    }
  }

  next(): RowEntry | undefined {
    assert(!this.#closed, 'memtable iterator used after close');
    const n = this.#node;
    if (n === null) return undefined;
    if (!beforeEnd(n.row.key, this.#range)) {
      this.#node = null;
      return undefined;
    }
    this.#node = n.next[0]!;
    return n.row;
  }

  seek(key: Uint8Array): void {
    assert(!this.#closed, 'memtable iterator used after close');
    if (!afterStart(key, this.#range)) return;
    this.#node = this.#list.seekGE(key, SEQ_ABOVE_ALL);
  }

  close(): void {
    this.#closed = true;
    this.#node = null;
  }
}

/**
 * Descending: keys from high to low, each key's versions newest first. Positions on the first version of the
 * current key, walks its versions forward, then jumps to the previous key with a search (O(log n) per key).
 */
class DescendingIterator implements RowIterator {
  readonly #list: RowSkiplist;
  readonly #range: KeyRange;
  #node: SkipNode | null;
  #closed = false;

  constructor(list: RowSkiplist, range: KeyRange) {
    this.#list = list;
    this.#range = range;
    this.#node = this.#groupStart(this.#lastAtOrBefore(range.end, range.endInclusive === true));
  }

  /** The last node whose key is <= bound (inclusive) or < bound (exclusive), or the last node when unbounded. */
  #lastAtOrBefore(bound: Uint8Array | undefined, inclusive: boolean): SkipNode | null {
    if (bound === undefined) return this.#list.last();
    return inclusive ? this.#list.seekLT(bound, SEQ_BELOW_ALL) : this.#list.seekKeyLT(bound);
  }

  /** The first (newest) version of the key of `n`, if that key is within the range start. */
  #groupStart(n: SkipNode | null): SkipNode | null {
    if (n === null || !afterStart(n.row.key, this.#range)) return null;
    return this.#list.seekGE(n.row.key, SEQ_ABOVE_ALL);
  }

  next(): RowEntry | undefined {
    assert(!this.#closed, 'memtable iterator used after close');
    const n = this.#node;
    if (n === null) return undefined;
    const row = n.row;
    const following = n.next[0]!;
    if (following !== null && compareBytes(following.row.key, row.key) === 0) {
      this.#node = following;
    } else {
      this.#node = this.#groupStart(this.#list.seekKeyLT(row.key));
    }
    return row;
  }

  seek(key: Uint8Array): void {
    assert(!this.#closed, 'memtable iterator used after close');
    if (!beforeEnd(key, this.#range)) return;
    this.#node = this.#groupStart(this.#list.seekLT(key, SEQ_BELOW_ALL));
  }

  close(): void {
    this.#closed = true;
    this.#node = null;
  }
}
