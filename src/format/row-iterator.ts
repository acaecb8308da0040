/**
 * RowIterator: the iterator protocol shared by blocks, SSTs, WAL SSTs, memtables, merge iterators and the DB.
 *
 * `next()` returns a row, `undefined` at the end, or a Promise of either only when IO is needed. Callers on hot
 * paths test for a Promise and await only then, so iterating cached data never allocates a Promise per row:
 *
 *     let r = it.next();
 *     if (r instanceof Promise) r = await r;
 *
 * Invariants: an ascending iterator yields rows in compareRows order (key ascending, seq descending) within its
 * range; a descending one yields key descending, and within one key still seq descending (newest version first),
 * so version resolution works the same in both directions. `seek(key)` repositions to the first row whose key is
 * >= key (ascending) or <= key (descending), within the range the iterator was created for. After `close()`,
 * every call fails.
 * Concurrency: one caller at a time; do not call next() again before a returned Promise settles.
 */
import type { RowEntry } from './row.js';

/** A value or a Promise of it: a Promise only when IO is needed. */
export type MaybePromise<T> = T | Promise<T>;

/** Iterates rows in LSM order. */
export interface RowIterator {
  /** The next row, undefined at the end. */
  next(): MaybePromise<RowEntry | undefined>;
  /** Repositions (see the file header). */
  seek(key: Uint8Array): MaybePromise<void>;
  /** Releases buffers and cancels read-ahead. Idempotent. */
  close(): void;
}

/** Key bounds of an iteration. `undefined` means unbounded on that side. */
export interface KeyRange {
  readonly start?: Uint8Array;
  readonly startInclusive?: boolean;
  readonly end?: Uint8Array;
  readonly endInclusive?: boolean;
}

/** Collects every row (tests and small tools). */
export async function collectRows(it: RowIterator): Promise<RowEntry[]> {
  const out: RowEntry[] = [];
  for (;;) {
    let r = it.next();
    if (r instanceof Promise) r = await r;
    if (r === undefined) return out;
    out.push(r);
  }
}
