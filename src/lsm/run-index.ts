/**
 * RunIndex: the memtable's index, rows ordered by (key ascending, seq descending), kept as a short list of sorted
 * runs plus a small insertion-sorted tail. A sorted batch becomes a run as it is; runs of similar size are merged
 * (a binary counter: each run is at least twice the size of the next newer one), so a row is copied about
 * log2(rows / batch) times, always sequentially. This replaced a B+tree whose random inserts cost about 1 µs each in
 * cache misses at 600 000 rows; a merge touches memory in order and runs at a few ns per row.
 *
 * Merges of up to `syncMergeRows` rows run at once; larger ones run in slices, a budget proportional to the rows
 * each later insert adds, so no single write pays for merging the whole table. Until a sliced merge completes its
 * two inputs stay in the index as they are (readers never see a partial output).
 *
 * Invariants: at most one entry per (key, seq) across all runs and the tail (callers say when a row cannot collide,
 * otherwise `insert` searches and replaces in place, after completing any merge in progress); every run's `pfx[i]`
 * is `keyPrefix(rows[i].key)` and orders like the key whenever two prefixes differ; sealed runs never change except
 * by in-place replacement of an equal (key, seq) row; `version` changes on every insert, so iterators holding runs
 * re-read `runs()` and re-seek.
 * Concurrency: single event loop.
 */

import type { RowEntry } from '../format/row.js';
import { compareBytes, equalBytes } from '../util/bytes.js';

const TWO_8 = 256;
/** Capacity of the insertion-sorted tail that collects single rows. */
const TAIL_MAX = 128;
/** A sorted insert of at least this many rows becomes a run of its own instead of going through the tail. */
export const MIN_RUN = 32;

/** The first 6 bytes of `key` as an integer (zero-padded), which orders like the key when it differs. */
export function keyPrefix(key: Uint8Array): number {
  const n = key.length;
  let p = n > 0 ? key[0]! : 0;
  p = p * TWO_8 + (n > 1 ? key[1]! : 0);
  p = p * TWO_8 + (n > 2 ? key[2]! : 0);
  p = p * TWO_8 + (n > 3 ? key[3]! : 0);
  p = p * TWO_8 + (n > 4 ? key[4]! : 0);
  return p * TWO_8 + (n > 5 ? key[5]! : 0);
}

/** A sorted run: `rows[0, n)` in LSM order with their key prefixes. */
export interface Run {
  readonly pfx: Float64Array;
  readonly rows: RowEntry[];
  n: number;
}

function emptyTail(): Run {
  return { pfx: new Float64Array(TAIL_MAX), rows: new Array<RowEntry>(TAIL_MAX), n: 0 };
}

/** LSM order of two rows given their prefixes: negative when a comes first. */
export function compareEntries(pa: number, a: RowEntry, pb: number, b: RowEntry): number {
  if (pa !== pb) return pa < pb ? -1 : 1;
  const c = compareBytes(a.key, b.key);
  return c !== 0 ? c : b.seq - a.seq;
}

/** First index i in [0, run.n) whose entry is >= the probe (key, seq) in LSM order (run.n when none). */
export function lowerBound(run: Run, pfx: number, key: Uint8Array, seq: number): number {
  const pfxs = run.pfx;
  const rows = run.rows;
  let lo = 0;
  let hi = run.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = pfxs[mid]!;
    let less: boolean;
    if (p !== pfx) {
      less = p < pfx;
    } else {
      const row = rows[mid]!;
      const c = compareBytes(row.key, key);
      less = c < 0 || (c === 0 && row.seq > seq);
    }
    if (less) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A merge of two runs (which share no (key, seq)) into `out`, of which `out.n` rows are done. */
interface Merge {
  readonly a: Run;
  readonly b: Run;
  readonly out: Run;
  i: number;
  j: number;
}

function startMerge(a: Run, b: Run): Merge {
  const n = a.n + b.n;
  return { a, b, out: { pfx: new Float64Array(n), rows: new Array<RowEntry>(n), n: 0 }, i: 0, j: 0 };
}

/** Advances `m` by up to `budget` output rows; returns the rows done. */
function stepMerge(m: Merge, budget: number): number {
  const { a, b, out } = m;
  const an = a.n;
  const bn = b.n;
  const ap = a.pfx;
  const bp = b.pfx;
  const ar = a.rows;
  const br = b.rows;
  const pfx = out.pfx;
  const rows = out.rows;
  let i = m.i;
  let j = m.j;
  let o = out.n;
  const end = Math.min(an + bn, o + budget);
  while (o < end && i < an && j < bn) {
    const x = ap[i]!;
    const y = bp[j]!;
    let takeA: boolean;
    if (x !== y) {
      takeA = x < y;
    } else {
      const ra = ar[i]!;
      const rb = br[j]!;
      const c = compareBytes(ra.key, rb.key);
      takeA = c < 0 || (c === 0 && ra.seq > rb.seq);
    }
    if (takeA) {
      pfx[o] = x;
      rows[o++] = ar[i++]!;
    } else {
      pfx[o] = y;
      rows[o++] = br[j++]!;
    }
  }
  if (o < end && i < an) {
    const k = Math.min(an - i, end - o);
    pfx.set(ap.subarray(i, i + k), o);
    for (const stop = i + k; i < stop; ) rows[o++] = ar[i++]!;
  }
  if (o < end && j < bn) {
    const k = Math.min(bn - j, end - o);
    pfx.set(bp.subarray(j, j + k), o);
    for (const stop = j + k; j < stop; ) rows[o++] = br[j++]!;
  }
  const done = o - out.n;
  m.i = i;
  m.j = j;
  out.n = o;
  return done;
}

function isMerge(slot: Run | Merge): slot is Merge {
  return 'out' in slot;
}

/** The merged run of a slot, completing its merge first if one is in progress. */
function settle(slot: Run | Merge): Run {
  if (!isMerge(slot)) return slot;
  stepMerge(slot, Number.POSITIVE_INFINITY);
  return slot.out;
}

/** Merges of at most this many rows run at once by default (about a millisecond). */
export const SYNC_MERGE_ROWS = 16_384;
/** A sliced merge advances by this many rows per inserted row, plus SLICE_BASE_ROWS per insert. */
const SLICE_ROWS_PER_ROW = 8;
const SLICE_BASE_ROWS = 256;
/** At most this many sliced merges are in progress at once. */
const MAX_SLICED = 4;

/** Options of a RunIndex (the defaults suit production; tests shrink them to keep merges in progress). */
export interface RunIndexOptions {
  /** Merges up to this many rows run at once; larger ones run in slices. */
  readonly syncMergeRows?: number;
  /** Rows a sliced merge advances per inserted row. */
  readonly sliceRowsPerRow?: number;
  /** Rows a sliced merge advances per insert call, on top of the per-row share. */
  readonly sliceBaseRows?: number;
}

/** The index. */
export class RunIndex {
  readonly #syncMergeRows: number;
  readonly #sliceRowsPerRow: number;
  readonly #sliceBaseRows: number;
  /** Sealed runs and merges in progress, oldest (largest) first. */
  readonly #slots: Array<Run | Merge> = [];
  #merging = 0;
  #tail: Run = emptyTail();
  /** Every readable run (a merge in progress shows as its two inputs) and the tail, rebuilt on changes. */
  #all: Run[] = [this.#tail];
  #count = 0;
  /** Changes on every insert (iterators re-read runs() and re-seek when it moved). */
  version = 0;

  constructor(options: RunIndexOptions = {}) {
    this.#syncMergeRows = options.syncMergeRows ?? SYNC_MERGE_ROWS;
    this.#sliceRowsPerRow = options.sliceRowsPerRow ?? SLICE_ROWS_PER_ROW;
    this.#sliceBaseRows = options.sliceBaseRows ?? SLICE_BASE_ROWS;
  }

  get count(): number {
    return this.#count;
  }

  /** Every run, the tail last. The array is replaced (not changed) when runs are sealed or merged. */
  runs(): readonly Run[] {
    return this.#all;
  }

  /**
   * Inserts one row; returns the row it replaced, if any. `fresh` promises that no row with the same (key, seq)
   * is present (its seq is above every seq inserted so far), which skips the search for one.
   */
  insert(row: RowEntry, fresh: boolean): RowEntry | undefined {
    const key = row.key;
    const seq = row.seq;
    const pfx = keyPrefix(key);
    this.version++;
    if (!fresh) {
      // A replacement must land in the run readers will keep, so merges in progress complete first.
      if (this.#merging > 0) this.#settleAll();
      for (const run of this.#all) {
        const i = lowerBound(run, pfx, key, seq);
        if (
          i < run.n &&
          run.pfx[i] === pfx &&
          run.rows[i]!.seq === seq &&
          equalBytes(run.rows[i]!.key, key)
        ) {
          const old = run.rows[i]!;
          run.rows[i] = row;
          return old;
        }
      }
    }
    const tail = this.#tail;
    const i = lowerBound(tail, pfx, key, seq);
    const rows = tail.rows;
    for (let j = tail.n; j > i; j--) rows[j] = rows[j - 1]!;
    tail.pfx.copyWithin(i + 1, i, tail.n);
    rows[i] = row;
    tail.pfx[i] = pfx;
    tail.n++;
    this.#count++;
    if (tail.n === TAIL_MAX) this.#sealTail();
    if (this.#merging > 0) this.#advance(this.#sliceRowsPerRow + this.#sliceBaseRows);
    return undefined;
  }

  /**
   * Adds `rows` as one run. The caller has checked that they are strictly ascending in LSM order, that `pfx[i]`
   * is each row's key prefix, and that none collides with a present (key, seq). Takes ownership of both arrays.
   */
  insertRun(rows: RowEntry[], pfx: Float64Array): void {
    if (rows.length === 0) return;
    this.version++;
    if (this.#tail.n > 0) this.#sealTail();
    this.#count += rows.length;
    this.#push({ pfx, rows, n: rows.length });
    if (this.#merging > 0) this.#advance(this.#sliceRowsPerRow * rows.length + this.#sliceBaseRows);
  }

  /** Rows merges in progress still have to produce (0 when none is). */
  get mergeBacklog(): number {
    let n = 0;
    for (const s of this.#slots) if (isMerge(s)) n += s.out.pfx.length - s.out.n;
    return n;
  }

  #sealTail(): void {
    const tail = this.#tail;
    this.#tail = emptyTail();
    this.#push(tail);
  }

  /** Appends a sealed run and merges as the size rule asks. */
  #push(run: Run): void {
    this.#slots.push(run);
    this.#compact();
  }

  /**
   * Merges adjacent finished runs while the older is less than twice the newer, newest pairs first. A merge in
   * progress is not merged further until it completes (then this runs again), so a carry through several sizes
   * becomes a sequence of sliced merges rather than one merge of everything. More than MAX_SLICED merges in
   * progress (inserts outrunning their budget) completes the oldest at once.
   */
  #compact(): void {
    const slots = this.#slots;
    let s = slots.length - 1;
    while (s >= 1) {
      const x = slots[s - 1]!;
      const y = slots[s]!;
      if (isMerge(x) || isMerge(y) || x.n >= 2 * y.n) {
        s--;
        continue;
      }
      const m = startMerge(x, y);
      if (m.out.pfx.length <= this.#syncMergeRows) {
        stepMerge(m, Number.POSITIVE_INFINITY);
        slots.splice(s - 1, 2, m.out);
      } else {
        slots.splice(s - 1, 2, m);
        this.#merging++;
      }
      s--;
    }
    while (this.#merging > MAX_SLICED) {
      const oldest = slots.findIndex(isMerge);
      slots[oldest] = settle(slots[oldest]!);
      this.#merging--;
    }
    this.#rebuild();
  }

  /** Spends up to `budget` rows on merges in progress, newest (smallest, needed soonest) first. */
  #advance(budget: number): void {
    const slots = this.#slots;
    let completed = false;
    for (let s = slots.length - 1; s >= 0 && budget > 0; s--) {
      const slot = slots[s]!;
      if (!isMerge(slot)) continue;
      budget -= stepMerge(slot, budget);
      if (slot.out.n === slot.out.pfx.length) {
        slots[s] = slot.out;
        this.#merging--;
        completed = true;
      }
    }
    if (completed) this.#compact();
  }

  #settleAll(): void {
    const slots = this.#slots;
    for (let s = 0; s < slots.length; s++) slots[s] = settle(slots[s]!);
    this.#merging = 0;
    this.#rebuild();
  }

  #rebuild(): void {
    const all: Run[] = [];
    for (const s of this.#slots) {
      if (isMerge(s)) all.push(s.a, s.b);
      else all.push(s);
    }
    all.push(this.#tail);
    this.#all = all;
  }
}
