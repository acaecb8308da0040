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
import { compareBytes, equalBytes } from '../util/bytes.js';

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

/**
 * Iterates one sorted run's SSTs in order (ascending or descending), opening each only when reached.
 *
 * One key's versions may straddle neighbouring SSTs (the earlier SST ends with the newer versions, the next one
 * starts with the older ones). Ascending iteration meets them newest first by construction; descending iteration
 * reaches the later SST first, so when a row's key is both the current SST's first key and the previous SST's last
 * key, it gathers that key's versions from every SST holding them and yields them newest first (lowest SST first).
 */
export class SortedRunIterator implements RowIterator {
  readonly #ssts: readonly SstRef[];
  readonly #range: KeyRange;
  readonly #desc: boolean;
  readonly #io: ScanIoOptions | undefined;
  /** straddles[i]: SST i starts with the key SST i-1 ends with. */
  readonly #straddles: readonly boolean[];
  #index: number;
  #current: RowIterator | undefined;
  /** Descending: a straddling key's versions, gathered newest first, and the first row after them. */
  #ready: RowEntry[] = [];
  #readyPos = 0;
  #lookahead: RowEntry | undefined;

  constructor(ssts: readonly SstRef[], range: KeyRange, order: 'asc' | 'desc', io?: ScanIoOptions) {
    this.#ssts = ssts.filter((s) => overlaps(s, range));
    this.#range = range;
    this.#desc = order === 'desc';
    this.#io = io;
    this.#index = this.#desc ? this.#ssts.length - 1 : 0;
    this.#straddles = this.#ssts.map((s, i) => {
      const prev = i > 0 ? this.#ssts[i - 1]!.lastKey : undefined;
      return prev !== undefined && s.firstKey !== undefined && equalBytes(prev, s.firstKey);
    });
  }

  #open(i: number): RowIterator {
    return this.#ssts[i]!.view().iterator(this.#range, this.#desc ? 'desc' : 'asc', this.#io);
  }

  next(): MaybePromise<RowEntry | undefined> {
    if (this.#readyPos < this.#ready.length) return this.#ready[this.#readyPos++]!;
    const la = this.#lookahead;
    if (la !== undefined) {
      this.#lookahead = undefined;
      return this.#check(la);
    }
    for (;;) {
      if (this.#current === undefined) {
        if (this.#ssts[this.#index] === undefined) return undefined;
        this.#current = this.#open(this.#index);
      }
      const r = this.#current.next();
      if (r instanceof Promise)
        return r.then((row) => (row === undefined ? this.#advance() : this.#check(row)));
      if (r !== undefined) return this.#check(r);
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

  /** Passes a row of the current SST on, or starts gathering a straddling key (descending only). */
  #check(row: RowEntry): MaybePromise<RowEntry | undefined> {
    if (!this.#desc || this.#straddles[this.#index] !== true) return row;
    if (!equalBytes(row.key, this.#ssts[this.#index]!.firstKey!)) return row;
    return this.#gather(row);
  }

  /**
   * Gathers every version of `first.key` from the current SST (where it is the first key, so the rest of the SST)
   * and from the earlier SSTs that end with it, then yields them newest first.
   */
  #gather(first: RowEntry): MaybePromise<RowEntry | undefined> {
    const key = first.key;
    const groups: RowEntry[][] = [[first]];
    /** Takes one row of the gathering; false when the gathering is complete. */
    const accept = (row: RowEntry | undefined): boolean => {
      if (row !== undefined) {
        if (equalBytes(row.key, key)) {
          groups[groups.length - 1]!.push(row);
          return true;
        }
        this.#lookahead = row;
        return false;
      }
      this.#current?.close();
      this.#current = undefined;
      if (this.#straddles[this.#index] === true) {
        this.#index--;
        this.#current = this.#open(this.#index);
        groups.push([]);
        return true;
      }
      this.#index--;
      return false;
    };
    const finish = (): RowEntry => {
      this.#ready = [];
      for (let g = groups.length - 1; g >= 0; g--) for (const r of groups[g]!) this.#ready.push(r);
      this.#readyPos = 1;
      return this.#ready[0]!;
    };
    const drive = (): MaybePromise<RowEntry | undefined> => {
      for (;;) {
        const r = this.#current!.next();
        if (r instanceof Promise) return r.then((row) => (accept(row) ? drive() : finish()));
        if (!accept(r)) return finish();
      }
    };
    return drive();
  }

  seek(key: Uint8Array): MaybePromise<void> {
    this.#current?.close();
    this.#current = undefined;
    this.#ready = [];
    this.#readyPos = 0;
    this.#lookahead = undefined;
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
    if (this.#ssts[this.#index] === undefined) return;
    this.#current = this.#open(this.#index);
    return this.#current.seek(key);
  }

  close(): void {
    this.#current?.close();
    this.#current = undefined;
    this.#ready = [];
    this.#readyPos = 0;
    this.#lookahead = undefined;
    this.#index = this.#desc ? -1 : this.#ssts.length;
  }
}
