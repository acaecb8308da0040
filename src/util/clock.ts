/**
 * Clock: the only source of time and timers in ShaleDB. Everything else takes a Clock, so tests can run on a
 * ManualClock and be deterministic.
 *
 * Invariants: `monotonicMs()` never decreases. `sleep` resolves no earlier than `ms` later on this clock, and rejects
 * with the signal's reason when aborted. `nowMs()` is wall-clock Unix milliseconds and may jump.
 * Concurrency: single-threaded; sleepers are resolved from the event loop.
 */

/** A time source with cancellable sleeps. */
export interface Clock {
  /** Wall-clock Unix time in milliseconds (may jump backwards). */
  nowMs(): number;
  /** Monotonic milliseconds since an arbitrary origin (never decreases). */
  monotonicMs(): number;
  /** Resolves after `ms` milliseconds, or rejects with `signal.reason` when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/** The real clock: Date.now, performance.now and setTimeout. */
export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }

  monotonicMs(): number {
    return performance.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The process-wide system clock. */
export const systemClock: Clock = new SystemClock();

interface Sleeper {
  readonly wakeAtMs: number;
  readonly resolve: () => void;
}

/**
 * A clock that moves only when told to (tests). `advance` wakes every sleeper whose time has come, in order.
 */
export class ManualClock implements Clock {
  #nowMs: number;
  #monoMs = 0;
  #sleepers: Sleeper[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  monotonicMs(): number {
    return this.#monoMs;
  }

  /** Sets wall time only (monotonic time is unaffected), to simulate clock skew. */
  setWallMs(ms: number): void {
    this.#nowMs = ms;
  }

  /** Moves both clocks forward by `ms` and wakes due sleepers. */
  async advance(ms: number): Promise<void> {
    const target = this.#monoMs + ms;
    for (;;) {
      this.#sleepers.sort((a, b) => a.wakeAtMs - b.wakeAtMs);
      const next = this.#sleepers[0];
      if (next === undefined || next.wakeAtMs > target) break;
      this.#sleepers.shift();
      this.#nowMs += next.wakeAtMs - this.#monoMs;
      this.#monoMs = next.wakeAtMs;
      next.resolve();
      // Let the woken task run before the next one wakes.
      await new Promise<void>((r) => setImmediate(r));
    }
    this.#nowMs += target - this.#monoMs;
    this.#monoMs = target;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const sleeper: Sleeper = {
        wakeAtMs: this.#monoMs + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(abortReason(signal!));
      };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** How many sleeps are pending (for leak checks in tests). */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }
}
