/**
 * ArrayRowIterator: a RowIterator over a sorted array (write batches, tests); tests can make it answer through
 * Promises at random, to exercise both the synchronous and the asynchronous paths of iterator consumers.
 *
 * Invariants: rows must already be in the order the iterator claims (asc or desc per RowIterator rules).
 * Concurrency: RowIterator protocol.
 */

import type { RowEntry } from '../format/row.js';
import type { MaybePromise, RowIterator } from '../format/row-iterator.js';
import { assert } from '../util/assert.js';
import { compareBytes } from '../util/bytes.js';
import type { Rand } from '../util/random.js';

/** A RowIterator over an array. */
export class ArrayRowIterator implements RowIterator {
  readonly #rows: readonly RowEntry[];
  readonly #desc: boolean;
  readonly #rand: Rand | undefined;
  #pos = 0;

  constructor(rows: readonly RowEntry[], options: { order?: 'asc' | 'desc'; asyncRand?: Rand } = {}) {
    this.#rows = rows;
    this.#desc = options.order === 'desc';
    this.#rand = options.asyncRand;
  }

  #maybeAsync<T>(v: T): MaybePromise<T> {
    if (this.#rand !== undefined && this.#rand.nextInt(2) === 0) return Promise.resolve(v);
    return v;
  }

  next(): MaybePromise<RowEntry | undefined> {
    return this.#maybeAsync(this.#rows[this.#pos++]);
  }

  seek(key: Uint8Array): MaybePromise<void> {
    this.#pos = this.#rows.findIndex((r) => {
      const c = compareBytes(r.key, key);
      return this.#desc ? c <= 0 : c >= 0;
    });
    if (this.#pos < 0) this.#pos = this.#rows.length;
    return this.#maybeAsync(undefined);
  }

  close(): void {}
}

/** Drains an iterator that never needs IO (throws if it returns a Promise). */
export function collectRowsSync(it: RowIterator): RowEntry[] {
  const out: RowEntry[] = [];
  for (;;) {
    const r = it.next();
    assert(!(r instanceof Promise), 'collectRowsSync: the iterator needed IO');
    if (r === undefined) return out;
    out.push(r);
  }
}
