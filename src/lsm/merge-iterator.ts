/**
 * MergeIterator: merges several RowIterators (memtables, L0 SSTs, sorted runs) into one stream in LSM order,
 * keeping every version. Sources are given newest first; on an equal (key, seq) the newer source comes first.
 *
 * Invariants: output order is (key asc | key desc, then seq desc, then source index asc), the same rule as each
 * input; nothing is dropped or deduplicated here (version resolution is the caller's job). A source is advanced only
 * when its current row has been returned, lazily at the next call, so an all-cached merge stays synchronous.
 * Concurrency: one caller at a time (RowIterator protocol).
 */

import type { RowEntry } from '../format/row.js';
import type { MaybePromise, RowIterator } from '../format/row-iterator.js';
import { compareBytes } from '../util/bytes.js';

interface Source {
  readonly index: number;
  readonly iter: RowIterator;
  row: RowEntry;
}

/** Merges RowIterators given newest first. */
export class MergeIterator implements RowIterator {
  readonly #iters: readonly RowIterator[];
  readonly #desc: boolean;
  #heap: Source[] = [];
  #started = false;
  #pending: Source | undefined;

  constructor(iters: readonly RowIterator[], order: 'asc' | 'desc' = 'asc') {
    this.#iters = iters;
    this.#desc = order === 'desc';
  }

  #less(a: Source, b: Source): boolean {
    let c = compareBytes(a.row.key, b.row.key);
    if (this.#desc) c = -c;
    if (c !== 0) return c < 0;
    if (a.row.seq !== b.row.seq) return a.row.seq > b.row.seq;
    return a.index < b.index;
  }

  #push(s: Source): void {
    const h = this.#heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      const t = h[i]!;
      h[i] = h[p]!;
      h[p] = t;
      i = p;
    }
  }

  #popTop(): Source | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        const t = h[i]!;
        h[i] = h[m]!;
        h[m] = t;
        i = m;
      }
    }
    return top;
  }

  /** Fills the heap with every source's first row. */
  #start(): MaybePromise<void> {
    this.#started = true;
    this.#heap = [];
    const waits: Promise<void>[] = [];
    this.#iters.forEach((iter, index) => {
      const r = iter.next();
      if (r instanceof Promise) {
        waits.push(
          r.then((row) => {
            if (row !== undefined) this.#push({ index, iter, row });
          }),
        );
      } else if (r !== undefined) {
        this.#push({ index, iter, row: r });
      }
    });
    if (waits.length > 0) return Promise.all(waits).then(() => undefined);
  }

  #take(): RowEntry | undefined {
    const top = this.#popTop();
    if (top === undefined) return undefined;
    this.#pending = top;
    return top.row;
  }

  next(): MaybePromise<RowEntry | undefined> {
    if (!this.#started) {
      const s = this.#start();
      if (s instanceof Promise) return s.then(() => this.#take());
      return this.#take();
    }
    const p = this.#pending;
    if (p !== undefined) {
      this.#pending = undefined;
      const r = p.iter.next();
      if (r instanceof Promise) {
        return r.then((row) => {
          if (row !== undefined) {
            p.row = row;
            this.#push(p);
          }
          return this.#take();
        });
      }
      if (r !== undefined) {
        p.row = r;
        this.#push(p);
      }
    }
    return this.#take();
  }

  seek(key: Uint8Array): MaybePromise<void> {
    this.#pending = undefined;
    const waits: Promise<void>[] = [];
    for (const it of this.#iters) {
      const r = it.seek(key);
      if (r instanceof Promise) waits.push(r);
    }
    if (waits.length > 0) return Promise.all(waits).then(() => this.#start());
    return this.#start();
  }

  close(): void {
    for (const it of this.#iters) it.close();
    this.#heap = [];
    this.#pending = undefined;
  }
}
