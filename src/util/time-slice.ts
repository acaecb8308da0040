/**
 * TimeSlice: cooperative yielding for long synchronous loops on the event loop (SST encoding, compaction), so a
 * 64 MiB flush does not freeze every other callback for a second. The loop checks `due` every few hundred items
 * and, when the slice is used up, awaits `next()`, which lets timers and IO callbacks run.
 *
 * Sliced loops take turns: `next()` queues the loop behind every other sliced loop waiting to resume, and one
 * resumes per turn of the event loop (a turn runs timers, then IO callbacks, then one slice). Resuming them all in
 * the same turn, as plain setImmediate would, lets a WAL flush, a memtable flush and a compaction each run a whole
 * slice back to back while a due timer waits for all of them.
 *
 * Invariants: `due` turns true at most `sliceMs` after the slice started; `next()` always yields at least one turn
 * of the event loop; waiting loops resume in the order they yielded, one per turn.
 * Concurrency: one loop per instance; the turn queue is per thread (module state).
 */

/**
 * Default slice: about the resolution of a timer, so a request handler or timer waits at most about a millisecond
 * for background encoding; a yield costs a few microseconds, so the loops lose nothing measurable
 * (docs/design/0006-background-workers.md).
 */
export const DEFAULT_SLICE_MS = 1;

/** Resolves after one turn of the event loop (timers and IO callbacks queued before it run first). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

const waiting: (() => void)[] = [];
let turnScheduled = false;

/** Resumes the longest-waiting sliced loop, and schedules the next one for the next turn. */
function resumeOne(): void {
  turnScheduled = false;
  waiting.shift()?.();
  if (waiting.length > 0) {
    turnScheduled = true;
    setImmediate(resumeOne);
  }
}

/**
 * Resolves in a later turn of the event loop than every sliced loop that yielded before it: one waiting loop
 * resumes per turn, in order.
 */
export function yieldTurn(): Promise<void> {
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(resumeOne);
    }
  });
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
    await yieldTurn();
    this.#deadline = performance.now() + this.sliceMs;
  }
}

/** Default longest stretch a run of quick operations may hold the event loop before one of them yields. */
export const DEFAULT_STARVATION_LIMIT_MS = 4;

/**
 * StarvationGuard: notices when a run of operations that each complete synchronously (non-durable writes awaited in
 * a loop resolve through microtasks only) has kept the event loop from turning, so timers (the WAL flush timer)
 * and IO callbacks (its PUT) never run until the loop ends. `starved()` is cheap (a counter; the clock once per 16
 * calls) and turns true once the loop has not turned for `limitMs`; the caller then yields once.
 *
 * Invariants: at most one setImmediate is pending per instance; `starved()` never turns true before `limitMs` of
 * continuous synchronous work was seen.
 */
export class StarvationGuard {
  readonly #limitMs: number;
  #count = 0;
  #turnPending = false;
  #turnStart = 0;
  readonly #onTurn = (): void => {
    this.#turnPending = false;
  };

  constructor(limitMs = DEFAULT_STARVATION_LIMIT_MS) {
    this.#limitMs = limitMs;
  }

  /** True when the event loop has not turned for the limit while operations kept coming. */
  starved(): boolean {
    if ((++this.#count & 15) !== 0) return false;
    const now = performance.now();
    if (!this.#turnPending) {
      this.#turnPending = true;
      this.#turnStart = now;
      setImmediate(this.#onTurn);
      return false;
    }
    return now - this.#turnStart >= this.#limitMs;
  }
}
