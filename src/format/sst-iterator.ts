/**
 * SstIterator: a RowIterator over one SST's rows within a key range, ascending or descending, fetching only the
 * blocks the range needs, several per GET with adaptive read-ahead (docs/format.md#reading).
 *
 * Invariants: ascending yields compareRows order within the range; descending yields keys descending and, per
 * key, versions newest first even when one key's versions straddle blocks (it gathers the whole group before
 * yielding). Blocks are fetched in batches that start at one block (or, with `readAheadFixed`, at the full size)
 * and double up to `readAheadBytes`; once at full size, up to `maxFetchTasks` batches (default 1) are in flight at
 * once, fetched ahead while earlier ones are consumed; a block is in at most one batch in flight. Cached blocks are
 * never refetched. `next()` returns a Promise only when a block must be fetched.
 * Concurrency: one caller at a time (RowIterator protocol); background fetches are abandoned on close or seek.
 */
import { compareBytes, equalBytes } from '../util/bytes.js';
import { closedError } from '../util/errors.js';
import { type Block, BlockCursor } from './block.js';
import type { RowEntry } from './row.js';
import type { KeyRange, MaybePromise, RowIterator } from './row-iterator.js';
import type { SstIndex } from './sst-index.js';
import type { SstReader } from './sst-reader.js';

/** Options of {@link SstReader.iter}. */
export interface SstIteratorOptions {
  readonly order?: 'asc' | 'desc';
  /** Largest GET a scan makes (default: the reader's readAheadBytes). */
  readonly readAheadBytes?: number;
  /** Put fetched blocks into the reader's block cache (default true). */
  readonly cacheBlocks?: boolean;
  /** Every GET fetches `readAheadBytes` of blocks from the first one, skipping the warm-up (default false). */
  readonly readAheadFixed?: boolean;
  /** Batches in flight at once once read-ahead has warmed up: the one being waited for plus prefetches (default 1). */
  readonly maxFetchTasks?: number;
}

const FIRST_BATCH_BYTES = 1;

/** See the file header. */
export class SstIterator implements RowIterator {
  readonly #r: SstReader;
  readonly #range: KeyRange;
  readonly #desc: boolean;
  readonly #maxAhead: number;
  readonly #cacheBlocks: boolean;
  #closed = false;
  #index: SstIndex | undefined;
  /** Range of block numbers still to visit: ascending moves #next up to #last, descending down to #first. */
  #next = 0;
  #first = 0;
  #last = -1;
  #done = false;
  /** Ascending: the open block and the lower bound still to apply to it. */
  #cursor: BlockCursor | undefined;
  #skipBelow: Uint8Array | undefined;
  #skipEqual = false;
  /** Descending: rows of the loaded blocks (forward order) not yet yielded are #buf[0, #bufEnd). */
  #buf: RowEntry[] = [];
  #bufEnd = 0;
  #group: RowEntry[] = [];
  #groupPos = 0;
  #upper: Uint8Array | undefined;
  #upperExclusive = false;
  /** Fetched blocks not yet opened, and the fetch in flight. */
  readonly #ready = new Map<number, Block>();
  #inflight: { from: number; to: number; promise: Promise<void> }[] = [];
  /** The next block no batch has covered yet, in the scan's direction (prefetches start there). */
  #frontier = 0;
  readonly #maxTasks: number;
  #aheadBytes = FIRST_BATCH_BYTES;
  #generation = 0;
  #error: unknown;

  constructor(reader: SstReader, range: KeyRange, options: SstIteratorOptions) {
    this.#r = reader;
    this.#range = range;
    this.#desc = options.order === 'desc';
    this.#maxAhead = Math.max(1, options.readAheadBytes ?? reader.readAheadBytes);
    this.#cacheBlocks = options.cacheBlocks ?? true;
    if (options.readAheadFixed === true) this.#aheadBytes = this.#maxAhead;
    this.#maxTasks = Math.max(1, options.maxFetchTasks ?? 1);
  }

  #position(index: SstIndex, key: Uint8Array | undefined): void {
    const { start, end } = this.#range;
    this.#index = index;
    this.#generation++;
    this.#ready.clear();
    this.#inflight = [];
    this.#done = false;
    this.#cursor = undefined;
    this.#buf = [];
    this.#bufEnd = 0;
    this.#group = [];
    this.#groupPos = 0;
    const n = index.blockCount;
    let lower = start;
    let lowerExclusive = this.#range.startInclusive === false;
    let upper = end;
    let upperExclusive = this.#range.endInclusive !== true;
    if (key !== undefined && !this.#desc && (lower === undefined || compareBytes(key, lower) > 0)) {
      lower = key;
      lowerExclusive = false;
    }
    if (key !== undefined && this.#desc && (upper === undefined || compareBytes(key, upper) < 0)) {
      upper = key;
      upperExclusive = false;
    }
    this.#skipBelow = lower;
    this.#skipEqual = lowerExclusive;
    this.#upper = upper;
    this.#upperExclusive = upperExclusive;
    this.#first = lower === undefined ? 0 : index.firstBlockFor(lower);
    this.#last = upper === undefined ? n - 1 : index.lastBlockFor(upper, upperExclusive);
    if (n === 0) this.#last = -1;
    this.#next = this.#desc ? this.#last : this.#first;
    this.#frontier = this.#next;
  }

  next(): MaybePromise<RowEntry | undefined> {
    if (this.#closed) throw closedError('clean', `iterator over ${this.#r.path} is closed`);
    if (this.#index === undefined) {
      const index = this.#r.index();
      if (index instanceof Promise) {
        return index.then((i) => {
          this.#position(i, undefined);
          return this.next();
        });
      }
      this.#position(index, undefined);
    }
    return this.#desc ? this.#nextDesc() : this.#nextAsc();
  }

  #belowLower(key: Uint8Array): boolean {
    if (this.#skipBelow === undefined) return false;
    const c = compareBytes(key, this.#skipBelow);
    return c < 0 || (c === 0 && this.#skipEqual);
  }

  #aboveUpper(key: Uint8Array): boolean {
    if (this.#upper === undefined) return false;
    const c = compareBytes(key, this.#upper);
    return c > 0 || (c === 0 && this.#upperExclusive);
  }

  #nextAsc(): MaybePromise<RowEntry | undefined> {
    for (;;) {
      const c = this.#cursor;
      if (c !== undefined) {
        const row = c.next();
        if (row !== undefined) {
          if (this.#skipBelow !== undefined) {
            if (this.#belowLower(row.key)) continue;
            this.#skipBelow = undefined;
          }
          if (this.#aboveUpper(row.key)) {
            this.#finish();
            return undefined;
          }
          return row;
        }
        this.#cursor = undefined;
      }
      if (this.#done || this.#next > this.#last) {
        this.#finish();
        return undefined;
      }
      const b = this.#take(this.#next);
      if (b === undefined) return this.#fetch(this.#next).then(() => this.next());
      this.#next++;
      const cursor = new BlockCursor(b);
      if (this.#skipBelow !== undefined) cursor.seek(this.#skipBelow);
      this.#cursor = cursor;
    }
  }

  #nextDesc(): MaybePromise<RowEntry | undefined> {
    for (;;) {
      if (this.#groupPos < this.#group.length) return this.#group[this.#groupPos++]!;
      if (this.#done) return undefined;
      if (this.#bufEnd === 0) {
        if (this.#next < this.#first) {
          this.#finish();
          return undefined;
        }
        const b = this.#take(this.#next);
        if (b === undefined) return this.#fetch(this.#next).then(() => this.next());
        this.#next--;
        this.#buf = b.rows();
        this.#bufEnd = this.#buf.length;
        continue;
      }
      const key = this.#buf[this.#bufEnd - 1]!.key;
      let s = this.#bufEnd - 1;
      while (s > 0 && equalBytes(this.#buf[s - 1]!.key, key)) s--;
      if (s === 0 && this.#next >= this.#first) {
        // The group may continue at the end of the previous block: load it and look again.
        const b = this.#take(this.#next);
        if (b === undefined) return this.#fetch(this.#next).then(() => this.next());
        this.#next--;
        this.#buf = b.rows().concat(this.#buf.slice(0, this.#bufEnd));
        this.#bufEnd = this.#buf.length;
        continue;
      }
      this.#group = this.#buf.slice(s, this.#bufEnd);
      this.#groupPos = 0;
      this.#bufEnd = s;
      if (this.#aboveUpper(key)) {
        this.#group = [];
        continue;
      }
      if (this.#belowLower(key)) {
        this.#group = [];
        this.#finish();
        return undefined;
      }
    }
  }

  #finish(): void {
    this.#done = true;
    this.#cursor = undefined;
    this.#ready.clear();
    this.#generation++;
    this.#inflight = [];
  }

  /** A fetched or cached block, or undefined when it must be fetched. */
  #take(i: number): Block | undefined {
    const b = this.#ready.get(i);
    if (b !== undefined) {
      this.#ready.delete(i);
      return b;
    }
    return this.#r.cachedBlock(i);
  }

  /** Fetches the batch starting at block `i` (in the scan's direction); resolves when `i` is ready. */
  #fetch(i: number): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    const inflight = this.#inflight.find((f) => i >= f.from && i < f.to);
    if (inflight !== undefined) {
      return inflight.promise.then(() => {
        if (this.#error !== undefined) throw this.#error;
      });
    }
    return this.#startFetch(i, false).then(() => {
      if (this.#error !== undefined) throw this.#error;
    });
  }

  /** Starts fetching the batch at `i`; `background` fetches record errors instead of rejecting. */
  #startFetch(i: number, background: boolean): Promise<void> {
    const index = this.#index!;
    const [from, to] = this.#batch(index, i);
    const gen = this.#generation;
    const promise = this.#r.readBlocks(from, to, this.#cacheBlocks).then(
      (blocks) => {
        if (gen !== this.#generation || this.#closed) return;
        for (let k = 0; k < blocks.length; k++) this.#ready.set(from + k, blocks[k]!);
        this.#dropInflight(promise);
        this.#aheadBytes = Math.min(this.#maxAhead, this.#aheadBytes * 2 + 16 * 1024);
        this.#prefetch();
      },
      (e: unknown) => {
        if (gen !== this.#generation) return;
        this.#dropInflight(promise);
        if (background) this.#error = e;
        else throw e;
      },
    );
    this.#inflight.push({ from, to, promise });
    this.#frontier = this.#desc ? Math.min(this.#frontier, from - 1) : Math.max(this.#frontier, to);
    return promise;
  }

  #dropInflight(promise: Promise<void>): void {
    const k = this.#inflight.findIndex((f) => f.promise === promise);
    if (k >= 0) this.#inflight.splice(k, 1);
  }

  #isInflight(i: number): boolean {
    for (const f of this.#inflight) if (i >= f.from && i < f.to) return true;
    return false;
  }

  /**
   * Once read-ahead has warmed up, keeps up to `maxFetchTasks` batches in flight: starts background fetches at the
   * frontier (the first block no batch covered), skipping blocks already cached.
   */
  #prefetch(): void {
    if (this.#aheadBytes < this.#maxAhead || this.#done) return;
    const step = this.#desc ? -1 : 1;
    while (this.#inflight.length < this.#maxTasks) {
      let i = this.#desc ? Math.min(this.#frontier, this.#next) : Math.max(this.#frontier, this.#next);
      while (
        (this.#desc ? i >= this.#first : i <= this.#last) &&
        (this.#ready.has(i) || this.#isInflight(i) || this.#r.cachedBlock(i) !== undefined)
      )
        i += step;
      this.#frontier = i;
      if (this.#desc ? i < this.#first : i > this.#last) return;
      void this.#startFetch(i, true);
    }
  }

  /** Blocks [from, to) of the batch that starts at `i`, within budget, the range, and before any cached block. */
  #batch(index: SstIndex, i: number): [number, number] {
    const offs = index.offsets;
    const blockEnd = (k: number): number => (k + 1 < offs.length ? offs[k + 1]! : this.#r.info.filterOffset);
    if (!this.#desc) {
      let to = i + 1;
      while (
        to <= this.#last &&
        blockEnd(to) - offs[i]! <= this.#aheadBytes &&
        !this.#ready.has(to) &&
        !this.#isInflight(to) &&
        this.#r.cachedBlock(to) === undefined
      ) {
        to++;
      }
      return [i, to];
    }
    let from = i;
    while (
      from - 1 >= this.#first &&
      blockEnd(i) - offs[from - 1]! <= this.#aheadBytes &&
      !this.#ready.has(from - 1) &&
      !this.#isInflight(from - 1) &&
      this.#r.cachedBlock(from - 1) === undefined
    ) {
      from--;
    }
    return [from, i + 1];
  }

  seek(key: Uint8Array): MaybePromise<void> {
    if (this.#closed) throw closedError('clean', `iterator over ${this.#r.path} is closed`);
    const index = this.#index ?? this.#r.index();
    if (index instanceof Promise) return index.then((i) => this.#position(i, key));
    this.#position(index, key);
  }

  close(): void {
    this.#closed = true;
    this.#ready.clear();
    this.#generation++;
    this.#inflight = [];
  }
}
