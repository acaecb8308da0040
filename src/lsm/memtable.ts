/**
 * Memtable: the in-memory table of recent writes, keeping every (key, seq) version in LSM order, with the
 * bookkeeping flushes need (estimated size, first/last seq, last clock tick, sequence-tracker samples).
 *
 * Invariants: `sizeBytes` is the sum of SlateDB's estimated_size over live entries (key + value + 8 for seq + 8
 * per timestamp); a replaced (key, seq) entry's old size is subtracted. `lastTick` is the largest createTs put;
 * `firstSeq <= lastSeq` once non-empty. A frozen memtable rejects puts.
 * Rows live in a RunIndex (sorted runs; see run-index.ts); `putAll` hands a sorted batch over as one run.
 * Concurrency: single event loop; an iterator returns every row present when it was made, in order, and may or may
 * not return rows inserted while it is in use (it re-seeks past its last row after any insert).
 */

import type { RowEntry } from '../format/row.js';
import type { KeyRange, RowIterator } from '../format/row-iterator.js';
import { assert } from '../util/assert.js';
import { compareBytes, equalBytes } from '../util/bytes.js';
import {
  compareEntries,
  keyPrefix,
  lowerBound,
  MIN_RUN,
  type Run,
  RunIndex,
  type RunIndexOptions,
} from './run-index.js';

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
  readonly #index: RunIndex;
  #sizeBytes = 0;
  #firstSeq: number | undefined;
  #lastSeq: number | undefined;
  #lastTick = Number.MIN_SAFE_INTEGER;
  #frozen = false;
  readonly #samples: SequenceSample[] = [];

  constructor(options: RunIndexOptions = {}) {
    this.#index = new RunIndex(options);
  }

  /** Adds a row (replacing an equal (key, seq) row). */
  put(row: RowEntry): void {
    assert(!this.#frozen, 'put into a frozen memtable');
    const fresh = this.#lastSeq === undefined || row.seq > this.#lastSeq;
    const old = this.#index.insert(row, fresh);
    this.#sizeBytes += estimatedRowSize(row) - (old === undefined ? 0 : estimatedRowSize(old));
    this.#noteRow(row);
  }

  /**
   * Adds rows as `put` would one by one. Rows strictly ascending in LSM order whose seqs are all above every seq
   * present (a written batch, a WAL SST on replay) skip the search for an equal (key, seq) and, from MIN_RUN rows
   * on, are added as one sorted run; anything else goes row by row. Takes ownership of `rows` (the run keeps it).
   */
  putAll(rows: RowEntry[]): void {
    assert(!this.#frozen, 'put into a frozen memtable');
    const n = rows.length;
    if (n === 0) return;
    const pfx = new Float64Array(n);
    const floor = this.#lastSeq ?? Number.MIN_SAFE_INTEGER;
    let ok = true;
    let size = 0;
    let minSeq = Number.POSITIVE_INFINITY;
    let maxSeq = floor;
    let tick = this.#lastTick;
    for (let i = 0; i < n && ok; i++) {
      const row = rows[i]!;
      const p = keyPrefix(row.key);
      pfx[i] = p;
      if (row.seq <= floor) ok = false;
      else if (i > 0 && compareEntries(pfx[i - 1]!, rows[i - 1]!, p, row) >= 0) ok = false;
      size += estimatedRowSize(row);
      if (row.seq < minSeq) minSeq = row.seq;
      if (row.seq > maxSeq) maxSeq = row.seq;
      if (row.createTs !== undefined && row.createTs > tick) tick = row.createTs;
    }
    if (!ok) {
      for (let i = 0; i < n; i++) this.put(rows[i]!);
      return;
    }
    // Sorted and above every present seq: no row can collide with a present one or with another.
    if (n >= MIN_RUN) this.#index.insertRun(rows, pfx);
    else for (let i = 0; i < n; i++) this.#index.insert(rows[i]!, true);
    this.#sizeBytes += size;
    this.#firstSeq ??= minSeq;
    this.#lastSeq = maxSeq;
    this.#lastTick = tick;
  }

  #noteRow(row: RowEntry): void {
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
    return this.#index.count === 0;
  }

  get entryCount(): number {
    return this.#index.count;
  }

  /** Rows that merges in progress inside the index still have to move (see RunIndex). */
  get mergeBacklog(): number {
    return this.#index.mergeBacklog;
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
    if (this.#index.count === 0) return false;
    const pfx = keyPrefix(key);
    // Each run holds a key's versions newest first; a run's versions past its first value or tombstone are hidden.
    let found: RowEntry[] | undefined;
    let runsWithKey = 0;
    for (const run of this.#index.runs()) {
      let i = lowerBound(run, pfx, key, maxSeq);
      if (i >= run.n || run.pfx[i] !== pfx || !equalBytes(run.rows[i]!.key, key)) continue;
      runsWithKey++;
      found ??= [];
      for (; i < run.n && run.pfx[i] === pfx && equalBytes(run.rows[i]!.key, key); i++) {
        const row = run.rows[i]!;
        found.push(row);
        if (row.kind !== 'merge') break;
      }
    }
    if (found === undefined) return false;
    if (runsWithKey > 1) found.sort(bySeqDesc);
    for (const row of found) {
      out.push(row);
      if (row.kind !== 'merge') return true;
    }
    return false;
  }

  /** An iterator over `range` in the given order (see RowIterator for the ordering rules). */
  iterator(range: KeyRange = {}, order: 'asc' | 'desc' = 'asc'): RowIterator {
    return order === 'asc'
      ? new AscendingIterator(this.#index, range)
      : new DescendingIterator(this.#index, range);
  }
}

function bySeqDesc(a: RowEntry, b: RowEntry): number {
  return b.seq - a.seq;
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

/** Positions every run at its first entry >= (key, seq) (or at 0 without a key). */
function seekRuns(runs: readonly Run[], key: Uint8Array | undefined, seq: number): Int32Array {
  const pos = new Int32Array(runs.length);
  if (key === undefined) return pos;
  const pfx = keyPrefix(key);
  for (let r = 0; r < runs.length; r++) pos[r] = lowerBound(runs[r]!, pfx, key, seq);
  return pos;
}

/**
 * Ascending: a merge of the runs, taking the smallest head each step. If the index changed since the last step (a
 * write landed while the caller awaited), it re-reads the runs and re-seeks just past the last row it returned.
 */
class AscendingIterator implements RowIterator {
  readonly #index: RunIndex;
  readonly #range: KeyRange;
  #runs: readonly Run[];
  #pos: Int32Array;
  #version: number;
  #last: RowEntry | undefined;
  #done = false;
  #closed = false;

  constructor(index: RunIndex, range: KeyRange) {
    this.#index = index;
    this.#range = range;
    this.#version = index.version;
    this.#runs = index.runs();
    this.#pos = this.#start();
  }

  #start(): Int32Array {
    const r = this.#range;
    return seekRuns(this.#runs, r.start, r.startInclusive === false ? SEQ_BELOW_ALL : SEQ_ABOVE_ALL);
  }

  next(): RowEntry | undefined {
    assert(!this.#closed, 'memtable iterator used after close');
    if (this.#done) return undefined;
    if (this.#index.version !== this.#version) {
      this.#version = this.#index.version;
      this.#runs = this.#index.runs();
      const l = this.#last;
      this.#pos = l === undefined ? this.#start() : seekRuns(this.#runs, l.key, l.seq - 1);
    }
    const runs = this.#runs;
    const pos = this.#pos;
    let best = -1;
    let bestPfx = 0;
    let bestRow: RowEntry | undefined;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r]!;
      const i = pos[r]!;
      if (i >= run.n) continue;
      const p = run.pfx[i]!;
      const row = run.rows[i]!;
      if (bestRow === undefined || compareEntries(p, row, bestPfx, bestRow) < 0) {
        best = r;
        bestPfx = p;
        bestRow = row;
      }
    }
    if (bestRow === undefined || !beforeEnd(bestRow.key, this.#range)) {
      this.#done = true;
      return undefined;
    }
    pos[best]!++;
    this.#last = bestRow;
    return bestRow;
  }

  seek(key: Uint8Array): void {
    assert(!this.#closed, 'memtable iterator used after close');
    if (!afterStart(key, this.#range)) return;
    this.#version = this.#index.version;
    this.#runs = this.#index.runs();
    this.#pos = seekRuns(this.#runs, key, SEQ_ABOVE_ALL);
    this.#last = undefined;
    this.#done = false;
  }

  close(): void {
    this.#closed = true;
    this.#runs = [];
  }
}

/**
 * Descending: keys from high to low, each key's versions newest first. Each run's cursor walks backward; a step
 * takes the largest key among the heads, gathers that key's versions from every run, and returns them newest first.
 * A change to the index between calls re-reads the runs and re-seeks below the last key gathered (the rest of the
 * gathered key's versions are returned as gathered).
 */
class DescendingIterator implements RowIterator {
  readonly #index: RunIndex;
  readonly #range: KeyRange;
  #runs: readonly Run[];
  /** Per run, the index of the next entry to consider going backward (-1: none left). */
  #pos: Int32Array;
  #version: number;
  /** Entries below this key (or at it, when inclusive) remain; undefined: all. */
  #bound: Uint8Array | undefined;
  #boundInclusive: boolean;
  readonly #group: RowEntry[] = [];
  #gi = 0;
  #done = false;
  #closed = false;

  constructor(index: RunIndex, range: KeyRange) {
    this.#index = index;
    this.#range = range;
    this.#version = index.version;
    this.#runs = index.runs();
    this.#bound = range.end;
    this.#boundInclusive = range.endInclusive === true;
    this.#pos = this.#position();
  }

  /** Cursors at the last entry within the bound in every run. */
  #position(): Int32Array {
    const runs = this.#runs;
    const bound = this.#bound;
    const pos = new Int32Array(runs.length);
    if (bound === undefined) {
      for (let r = 0; r < runs.length; r++) pos[r] = runs[r]!.n - 1;
      return pos;
    }
    const pfx = keyPrefix(bound);
    const seq = this.#boundInclusive ? SEQ_BELOW_ALL : SEQ_ABOVE_ALL;
    for (let r = 0; r < runs.length; r++) pos[r] = lowerBound(runs[r]!, pfx, bound, seq) - 1;
    return pos;
  }

  next(): RowEntry | undefined {
    assert(!this.#closed, 'memtable iterator used after close');
    if (this.#gi < this.#group.length) return this.#group[this.#gi++];
    if (this.#done) return undefined;
    if (this.#index.version !== this.#version) {
      this.#version = this.#index.version;
      this.#runs = this.#index.runs();
      this.#pos = this.#position();
    }
    const runs = this.#runs;
    const pos = this.#pos;
    let bestPfx = 0;
    let bestKey: Uint8Array | undefined;
    for (let r = 0; r < runs.length; r++) {
      const i = pos[r]!;
      if (i < 0) continue;
      const run = runs[r]!;
      const p = run.pfx[i]!;
      const key = run.rows[i]!.key;
      if (bestKey === undefined || p > bestPfx || (p === bestPfx && compareBytes(key, bestKey) > 0)) {
        bestPfx = p;
        bestKey = key;
      }
    }
    if (bestKey === undefined || !afterStart(bestKey, this.#range)) {
      this.#done = true;
      return undefined;
    }
    const group = this.#group;
    group.length = 0;
    this.#gi = 0;
    let runsWithKey = 0;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r]!;
      let i = pos[r]!;
      if (i < 0 || run.pfx[i] !== bestPfx || !equalBytes(run.rows[i]!.key, bestKey)) continue;
      runsWithKey++;
      // Backward within one key is oldest first; reversed below (or sorted when several runs hold the key).
      const from = group.length;
      for (; i >= 0 && run.pfx[i] === bestPfx && equalBytes(run.rows[i]!.key, bestKey); i--)
        group.push(run.rows[i]!);
      pos[r] = i;
      if (runsWithKey === 1) reverseFrom(group, from);
    }
    if (runsWithKey > 1) group.sort(bySeqDesc);
    this.#bound = bestKey;
    this.#boundInclusive = false;
    return group[this.#gi++];
  }

  seek(key: Uint8Array): void {
    assert(!this.#closed, 'memtable iterator used after close');
    if (!beforeEnd(key, this.#range)) return;
    this.#version = this.#index.version;
    this.#runs = this.#index.runs();
    this.#bound = key;
    this.#boundInclusive = true;
    this.#pos = this.#position();
    this.#group.length = 0;
    this.#gi = 0;
    this.#done = false;
  }

  close(): void {
    this.#closed = true;
    this.#runs = [];
  }
}

function reverseFrom(a: RowEntry[], from: number): void {
  for (let i = from, j = a.length - 1; i < j; i++, j--) {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
