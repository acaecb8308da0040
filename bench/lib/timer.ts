/**
 * Timers for the benchmark: a monotonic high-resolution clock in ms and ns, stopwatches and sleeps, all taken from
 * ShaleDB's one time source (src/util/clock.ts), so the harness follows the same rule as the engine.
 *
 * Invariants: `nowMs()` never decreases; its resolution is sub-microsecond (performance.now underneath).
 * Concurrency: single event loop.
 */
import { systemClock } from '../../src/util/clock.js';

/** Monotonic milliseconds since an arbitrary origin (fractional, sub-µs resolution). */
export function nowMs(): number {
  return systemClock.monotonicMs();
}

/** Wall-clock Unix milliseconds (for dates in reports only; never for measuring). */
export function wallMs(): number {
  return systemClock.nowMs();
}

/** Resolves after `ms` milliseconds. */
export function sleepMs(ms: number): Promise<void> {
  return systemClock.sleep(ms);
}

/** Yields to the event loop once (lets native callbacks and timers run). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Measures elapsed time from its creation. */
export class Stopwatch {
  #startMs = nowMs();

  /** Milliseconds since start. */
  elapsedMs(): number {
    return nowMs() - this.#startMs;
  }

  /** Restarts the stopwatch. */
  restart(): void {
    this.#startMs = nowMs();
  }
}

/** Runs `fn` and returns its result with the elapsed milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = nowMs();
  const value = await fn();
  return { value, ms: nowMs() - t0 };
}
