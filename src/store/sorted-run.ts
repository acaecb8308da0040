/**
 * Sorted runs and SST references as every reader sees them (the writer's reads, compaction inputs): an SST's key
 * bounds and lazily opened view, a sorted run's SSTs in key order, the view of a read (memtables, L0, sorted runs,
 * newest first), the bound checks and binary search that pick the SSTs a key or range touches, and the iterator
 * over one sorted run.
 *
 * Invariants: a sorted run's SSTs are in key order with disjoint ranges, except that one key's versions may
 * straddle two neighbours (searches step back over neighbours that start with the key); an SST is opened only
 * when an iterator reaches it.
 * Concurrency: iterators are single-consumer; synchronous while every needed block is cached.
 */
import type { RowEntry } from '../format/row.js';
import type { KeyRange, MaybePromise, RowIterator } from '../format/row-iterator.js';
import type { Memtable } from '../lsm/memtable.js';
import { compareBytes } from '../util/bytes.js';

/** What the reader needs of one SST. */
export interface SstView {
  /**
   * Appends the versions of `key` with seq <= maxSeq to `out`, newest first, stopping after the first value or
   * tombstone; returns true when such a terminal version was found. Checks the bloom filter first.
   */
  lookup(key: Uint8Array, maxSeq: number, out: RowEntry[]): MaybePromise<boolean>;
  /** All rows in `range`, in LSM order for `order`. */
  iterator(range: KeyRange, order: 'asc' | 'desc', options?: ScanIoOptions): RowIterator;
}

/** IO options of a scan (compactions read without filling the block cache). */
export interface ScanIoOptions {
  /** Keep fetched blocks in the block cache (default true). */
  readonly cacheBlocks?: boolean;
  /** Largest GET a scan makes. */
  readonly readAheadBytes?: number;
}

/** A reference to one SST with its key bounds. */
export interface SstRef {
  readonly firstKey: Uint8Array | undefined;
  readonly lastKey: Uint8Array | undefined;
  readonly view: () => SstView;
}

/** A sorted run: SSTs in key order with disjoint ranges (one key's versions may straddle two neighbours). */
export interface SortedRunRef {
  readonly id: number;
  readonly ssts: readonly SstRef[];
}

/** The sources of a read, newest first. */
export interface ReadView {
  readonly memtables: readonly Memtable[];
  readonly l0: readonly SstRef[];
  readonly sortedRuns: readonly SortedRunRef[];
}

/** True when `key` lies within the SST's key bounds. */
export function mayHoldKey(sst: SstRef, key: Uint8Array): boolean {
  if (sst.firstKey !== undefined && compareBytes(key, sst.firstKey) < 0) return false;
  if (sst.lastKey !== undefined && compareBytes(key, sst.lastKey) > 0) return false;
  return true;
}

/** Index of the last SST whose first key is <= key (or 0). */
export function coveringIndex(ssts: readonly SstRef[], key: Uint8Array): number {
  let lo = 0;
  let hi = ssts.length - 1;
  let ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const fk = ssts[mid]!.firstKey;
    if (fk === undefined || compareBytes(fk, key) <= 0) {
      ans = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return ans;
}

/**
 * Probes the SSTs of one sorted run that may hold `key` (from index `from`, or the first candidate when -1);
 * true when a terminal version was found.
 */
export function probeRun(
  ssts: readonly SstRef[],
  from: number,
  key: Uint8Array,
  maxSeq: number,
  out: RowEntry[],
): MaybePromise<boolean> {
  if (ssts.length === 0) return false;
  let i = from;
  if (i < 0) {
    i = coveringIndex(ssts, key);
    // One key's versions may straddle SSTs: step back over neighbours that start with this very key.
    while (i > 0 && ssts[i]!.firstKey !== undefined && compareBytes(ssts[i]!.firstKey!, key) === 0) i--;
  }
  for (; i < ssts.length; i++) {
    const s = ssts[i]!;
    if (s.firstKey !== undefined && compareBytes(s.firstKey, key) > 0) break;
    if (!mayHoldKey(s, key)) continue;
    const r = s.view().lookup(key, maxSeq, out);
    if (r instanceof Promise) {
      const next = i + 1;
      return r.then((terminal) => terminal || probeRun(ssts, next, key, maxSeq, out));
    }
    if (r) return true;
  }
  return false;
}

/** True when the SST's key bounds intersect `range`. */
export function overlaps(sst: SstRef, range: KeyRange): boolean {
  if (range.start !== undefined && sst.lastKey !== undefined) {
    const c = compareBytes(sst.lastKey, range.start);
    if (c < 0 || (c === 0 && range.startInclusive === false)) return false;
  }
  if (range.end !== undefined && sst.firstKey !== undefined) {
    const c = compareBytes(sst.firstKey, range.end);
    if (c > 0 || (c === 0 && range.endInclusive !== true)) return false;
  }
  return true;
}

/**
 * Iterators over the tables of a read or a compaction, newest source first: each L0 SST that overlaps `range`,
 * then one iterator per sorted run (the writer's scans and compaction jobs build their sources here).
 */
export function tableIterators(
  l0: readonly SstRef[],
  sortedRuns: readonly SortedRunRef[],
  range: KeyRange,
  order: 'asc' | 'desc',
  io?: ScanIoOptions,
): RowIterator[] {
  const iters: RowIterator[] = [];
  for (const sst of l0) if (overlaps(sst, range)) iters.push(sst.view().iterator(range, order, io));
  for (const run of sortedRuns) iters.push(new SortedRunIterator(run.ssts, range, order, io));
  return iters;
}

/** Iterates one sorted run's SSTs in order (ascending or descending), opening each only when reached. */
export class SortedRunIterator implements RowIterator {
  readonly #ssts: readonly SstRef[];
  readonly #range: KeyRange;
  readonly #desc: boolean;
  readonly #io: ScanIoOptions | undefined;
  #index: number;
  #current: RowIterator | undefined;

  constructor(ssts: readonly SstRef[], range: KeyRange, order: 'asc' | 'desc', io?: ScanIoOptions) {
    this.#ssts = ssts.filter((s) => overlaps(s, range));
    this.#range = range;
    this.#desc = order === 'desc';
    this.#io = io;
    this.#index = this.#desc ? this.#ssts.length - 1 : 0;
  }

  next(): MaybePromise<RowEntry | undefined> {
    for (;;) {
      if (this.#current === undefined) {
        const sst = this.#ssts[this.#index];
        if (sst === undefined) return undefined;
        this.#current = sst.view().iterator(this.#range, this.#desc ? 'desc' : 'asc', this.#io);
      }
      const r = this.#current.next();
      if (r instanceof Promise) return r.then((row) => (row === undefined ? this.#advance() : row));
      if (r !== undefined) return r;
      this.#current.close();
      this.#current = undefined;
      this.#index += this.#desc ? -1 : 1;
    }
  }

  #advance(): MaybePromise<RowEntry | undefined> {
    this.#current?.close();
    this.#current = undefined;
    this.#index += this.#desc ? -1 : 1;
    return this.next();
  }

  seek(key: Uint8Array): MaybePromise<void> {
    this.#current?.close();
    this.#current = undefined;
    // Position on the SST that may hold `key` (first one covering it in iteration order).
    const n = this.#ssts.length;
    if (this.#desc) {
      let i = n - 1;
      while (
        i >= 0 &&
        this.#ssts[i]!.firstKey !== undefined &&
        compareBytes(this.#ssts[i]!.firstKey!, key) > 0
      )
        i--;
      this.#index = i;
    } else {
      let i = 0;
      while (i < n && this.#ssts[i]!.lastKey !== undefined && compareBytes(this.#ssts[i]!.lastKey!, key) < 0)
        i++;
      this.#index = i;
    }
    const sst = this.#ssts[this.#index];
    if (sst === undefined) return;
    this.#current = sst.view().iterator(this.#range, this.#desc ? 'desc' : 'asc', this.#io);
    return this.#current.seek(key);
  }

  close(): void {
    this.#current?.close();
    this.#current = undefined;
    this.#index = this.#desc ? -1 : this.#ssts.length;
  }
}
