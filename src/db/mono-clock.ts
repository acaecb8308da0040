/**
 * MonotonicClock: the createTs source of a writer, as SlateDB 0.12.1 guards it: a tick never goes below the last
 * tick seen (starting from the manifest's last_l0_clock_tick and raised by replayed rows). If the wall clock is
 * behind, it waits min(10 s, 2 x skew) once and then fails with 'invalid' INVALID_CLOCK_TICK.
 *
 * Invariants: every returned tick is >= every earlier returned or observed tick.
 * Concurrency: single event loop; `now()` is synchronous unless the clock is behind.
 */

import type { MaybePromise } from '../format/row-iterator.js';
import type { Clock } from '../util/clock.js';
import { invalidError } from '../util/errors.js';

/** A monotonic millisecond clock over a wall Clock. */
export class MonotonicClock {
  readonly #clock: Clock;
  #lastTick: number;

  constructor(clock: Clock, initialTick: number) {
    this.#clock = clock;
    this.#lastTick = initialTick;
  }

  /** The last tick returned or observed. */
  get lastTick(): number {
    return this.#lastTick;
  }

  /** Raises the last tick (e.g. from replayed rows); lower values are ignored. */
  observe(tick: number): void {
    if (tick > this.#lastTick) this.#lastTick = tick;
  }

  /** The current tick: synchronous unless the wall clock is behind the last tick. */
  now(): MaybePromise<number> {
    const tick = this.#clock.nowMs();
    if (tick >= this.#lastTick) {
      this.#lastTick = tick;
      return tick;
    }
    return this.#waitForSkew(this.#lastTick - tick);
  }

  async #waitForSkew(skewMs: number): Promise<number> {
    await this.#clock.sleep(Math.min(10_000, 2 * skewMs));
    const tick = this.#clock.nowMs();
    if (tick >= this.#lastTick) {
      this.#lastTick = tick;
      return tick;
    }
    throw invalidError(
      'INVALID_CLOCK_TICK',
      `the system clock (${tick}) is behind the last clock tick (${this.#lastTick}) by ${this.#lastTick - tick} ms`,
    );
  }
}
