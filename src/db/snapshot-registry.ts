/**
 * SnapshotRegistry: the seqs pinned by open snapshots and transactions, so flushes and the manifest's
 * recent_snapshot_min_seq keep every version a pinned reader can still see.
 *
 * Invariants: `minSeq()` is the smallest pinned seq, or undefined when nothing is pinned; a handle releases once.
 * Concurrency: single event loop.
 */
import { assert } from '../util/assert.js';

/** A multiset of pinned seqs. */
export class SnapshotRegistry {
  readonly #counts = new Map<number, number>();

  /** Pins `seq`; returns the function that releases it (idempotent). */
  pin(seq: number): () => void {
    this.#counts.set(seq, (this.#counts.get(seq) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = this.#counts.get(seq);
      assert(n !== undefined && n > 0, 'snapshot released twice');
      if (n === 1) this.#counts.delete(seq);
      else this.#counts.set(seq, n - 1);
    };
  }

  /** The smallest pinned seq, or undefined. */
  minSeq(): number | undefined {
    let min: number | undefined;
    for (const s of this.#counts.keys()) if (min === undefined || s < min) min = s;
    return min;
  }

  /** Number of pins. */
  get size(): number {
    let n = 0;
    for (const c of this.#counts.values()) n += c;
    return n;
  }
}
