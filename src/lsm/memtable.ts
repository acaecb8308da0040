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
import { RowTree, rowAt, stepBack, stepForward, type TreePos } from './row-tree.js';

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
  readonly #list = new RowTree();
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
    if (this.#list.count === 0) return false;
    const p = this.#list.seekGE(key, maxSeq);
    for (let row = rowAt(p); row !== undefined && compareBytes(row.key, key) === 0; row = rowAt(p)) {
      out.push(row);
      if (row.kind !== 'merge') return true;
      stepForward(p);
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

/**
 * Ascending: walks the leaves. If the tree changed since the last step (a write landed while the caller awaited),
 * it re-seeks just past the last row it returned.
 */
class AscendingIterator implements RowIterator {
  readonly #tree: RowTree;
  readonly #range: KeyRange;
  #pos: TreePos | undefined;
  #version: number;
  #last: RowEntry | undefined;
  #done = false;
  #closed = false;

  constructor(tree: RowTree, range: KeyRange) {
    this.#tree = tree;
    this.#range = range;
    this.#version = tree.version;
    this.#pos = this.#start();
  }

  #start(): TreePos {
    const r = this.#range;
    if (r.start === undefined) return this.#tree.first();
    return this.#tree.seekGE(r.start, r.startInclusive === false ? SEQ_BELOW_ALL : SEQ_ABOVE_ALL);
  }

  next(): RowEntry | undefined {
    assert(!this.#closed, 'memtable iterator used after close');
    if (this.#done) return undefined;
    if (this.#tree.version !== this.#version) {
      this.#version = this.#tree.version;
      const l = this.#last;
      this.#pos = l === undefined ? this.#start() : this.#tree.seekGE(l.key, l.seq - 1);
    }
    const p = this.#pos!;
    const row = rowAt(p);
    if (row === undefined || !beforeEnd(row.key, this.#range)) {
      this.#done = true;
      return undefined;
    }
    stepForward(p);
    this.#last = row;
    return row;
  }

  seek(key: Uint8Array): void {
    assert(!this.#closed, 'memtable iterator used after close');
    if (!afterStart(key, this.#range)) return;
    this.#version = this.#tree.version;
    this.#pos = this.#tree.seekGE(key, SEQ_ABOVE_ALL);
    this.#last = undefined;
    this.#done = false;
  }

  close(): void {
    this.#closed = true;
    this.#pos = undefined;
  }
}

/**
 * Descending: keys from high to low, each key's versions newest first. It finds the last key at or below the bound,
 * walks that key's versions forward from its newest, then moves to the previous key. A change to the tree between
 * calls is handled by re-seeking from the last row returned.
 */
class DescendingIterator implements RowIterator {
  readonly #tree: RowTree;
  readonly #range: KeyRange;
  /** Position of the next row to return within the current key's versions. */
  #pos: TreePos | undefined;
  #version: number;
  #last: RowEntry | undefined;
  #closed = false;

  constructor(tree: RowTree, range: KeyRange) {
    this.#tree = tree;
    this.#range = range;
    this.#version = tree.version;
    const end = range.end;
    this.#pos = this.#groupBefore(end, end === undefined ? false : range.endInclusive !== true);
  }

  /**
   * The start of the newest key group whose key is < bound (exclusive) or <= bound (inclusive), or below every key
   * when `bound` is undefined; undefined when there is none inside the range start.
   */
  #groupBefore(bound: Uint8Array | undefined, exclusive: boolean): TreePos | undefined {
    let p: TreePos | undefined;
    if (bound === undefined) {
      p = this.#tree.last();
    } else {
      p = this.#tree.seekGE(bound, exclusive ? SEQ_ABOVE_ALL : SEQ_BELOW_ALL);
      if (!stepBack(p)) p = undefined;
    }
    if (p === undefined) return undefined;
    const row = rowAt(p);
    if (row === undefined || !afterStart(row.key, this.#range)) return undefined;
    return this.#tree.seekGE(row.key, SEQ_ABOVE_ALL);
  }

  next(): RowEntry | undefined {
    assert(!this.#closed, 'memtable iterator used after close');
    if (this.#tree.version !== this.#version) {
      this.#version = this.#tree.version;
      const l = this.#last;
      if (l !== undefined) {
        const p = this.#tree.seekGE(l.key, l.seq - 1);
        const r = rowAt(p);
        this.#pos = r !== undefined && compareBytes(r.key, l.key) === 0 ? p : this.#groupBefore(l.key, true);
      }
    }
    const p = this.#pos;
    if (p === undefined) return undefined;
    const row = rowAt(p);
    if (row === undefined) {
      this.#pos = undefined;
      return undefined;
    }
    stepForward(p);
    const following = rowAt(p);
    if (following === undefined || compareBytes(following.key, row.key) !== 0) {
      this.#pos = this.#groupBefore(row.key, true);
    }
    this.#last = row;
    return row;
  }

  seek(key: Uint8Array): void {
    assert(!this.#closed, 'memtable iterator used after close');
    if (!beforeEnd(key, this.#range)) return;
    this.#version = this.#tree.version;
    this.#pos = this.#groupBefore(key, false);
    this.#last = undefined;
  }

  close(): void {
    this.#closed = true;
    this.#pos = undefined;
  }
}
