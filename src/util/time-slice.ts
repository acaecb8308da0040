/**
 * TimeSlice: cooperative yielding for long synchronous loops on the event loop (SST encoding, compaction), so a
 * 64 MiB flush does not freeze every other callback for a second. The loop checks `due` every few hundred items
 * and, when the slice is used up, awaits `next()`, which lets timers and IO callbacks run (setImmediate).
 *
 * Invariants: `due` turns true at most `sliceMs` after the slice started; `next()` always yields once.
 * Concurrency: one loop per instance.
 */

/** Default slice: short enough that other work waits a few ms, long enough that yielding costs nothing visible. */
export const DEFAULT_SLICE_MS = 5;

/** Resolves after one turn of the event loop (timers and IO callbacks queued before it run first). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Loops look at the clock when `(i & ROWS_PER_CHECK_MASK) === 0`: once per 256 items. */
export const ROWS_PER_CHECK_MASK = 255;

/** A time budget for one stretch of synchronous work. */
export class TimeSlice {
  readonly sliceMs: number;
  #deadline: number;

  constructor(sliceMs = DEFAULT_SLICE_MS) {
    this.sliceMs = sliceMs;
    this.#deadline = performance.now() + sliceMs;
  }

  /** True once this slice is used up. */
  get due(): boolean {
    return performance.now() >= this.#deadline;
  }

  /** Yields to the event loop, then starts a new slice. */
  async next(): Promise<void> {
    await yieldToEventLoop();
    this.#deadline = performance.now() + this.sliceMs;
  }
}
