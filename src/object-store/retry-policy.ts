/**
 * RetryPolicy: bounded exponential backoff with jitter for object-store calls, shared by the retrying wrapper and
 * the multipart uploaders. Attempt n (1-based) that fails waits a delay drawn uniformly from [cap/2, cap] where
 * cap = min(backoffMaxMs, backoffInitialMs * multiplier^(n-1)) ("equal jitter": spread out, never near zero).
 * Defaults follow SlateDB 0.12.1's object-store retry (100 ms doubling to 1 s), but bounded: at most 10 attempts
 * and 60 s in all, where SlateDB retries forever.
 *
 * Invariants: `attemptsMax >= 1`; a retry is never scheduled past `totalTimeMs` after the first attempt started;
 * every delay is in [0, backoffMaxMs].
 * Concurrency: immutable; `nextDelayMs` draws from the injected Rand.
 */
import { invalidError } from '../util/errors.js';
import { type Rand, systemRand } from '../util/random.js';

/** Options for {@link RetryPolicy}. */
export interface RetryPolicyOptions {
  /** Attempts in all, the first included (default 10). */
  readonly attemptsMax?: number;
  /** No retry starts later than this after the first attempt (default 60 000 ms). */
  readonly totalTimeMs?: number;
  /** First backoff cap (default 100 ms). */
  readonly backoffInitialMs?: number;
  /** Largest backoff cap (default 1 000 ms). */
  readonly backoffMaxMs?: number;
  /** Growth of the cap per attempt (default 2). */
  readonly backoffMultiplier?: number;
  /** Per-attempt time limit; a slower attempt is abandoned as a transient timeout (default 60 000 ms; 0 = none). */
  readonly attemptTimeoutMs?: number;
}

/** Resolved retry settings plus the delay computation. */
export class RetryPolicy {
  readonly attemptsMax: number;
  readonly totalTimeMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly backoffMultiplier: number;
  readonly attemptTimeoutMs: number;
  readonly #rand: Rand;

  constructor(options: RetryPolicyOptions = {}, rand: Rand = systemRand) {
    this.attemptsMax = count(options.attemptsMax ?? 10, 'attemptsMax', 1);
    this.totalTimeMs = count(options.totalTimeMs ?? 60_000, 'totalTimeMs', 0);
    this.backoffInitialMs = count(options.backoffInitialMs ?? 100, 'backoffInitialMs', 0);
    this.backoffMaxMs = count(options.backoffMaxMs ?? 1_000, 'backoffMaxMs', 0);
    this.attemptTimeoutMs = count(options.attemptTimeoutMs ?? 60_000, 'attemptTimeoutMs', 0);
    const m = options.backoffMultiplier ?? 2;
    if (!Number.isFinite(m) || m < 1) {
      throw invalidError('INVALID_SETTING', `retry backoffMultiplier must be >= 1, got ${m}`);
    }
    this.backoffMultiplier = m;
    this.#rand = rand;
  }

  /** The delay before attempt `failedAttempt + 1`. */
  nextDelayMs(failedAttempt: number): number {
    const cap = Math.min(
      this.backoffMaxMs,
      this.backoffInitialMs * this.backoffMultiplier ** Math.max(0, failedAttempt - 1),
    );
    return cap / 2 + this.#rand.nextFloat() * (cap / 2);
  }

  /**
   * Whether another attempt may start after `failedAttempt` attempts, `elapsedMs` after the first one began,
   * waiting `delayMs` first.
   */
  mayRetry(failedAttempt: number, elapsedMs: number, delayMs: number): boolean {
    return failedAttempt < this.attemptsMax && elapsedMs + delayMs <= this.totalTimeMs;
  }
}

function count(v: number, name: string, min: number): number {
  if (!Number.isFinite(v) || v < min) {
    throw invalidError('INVALID_SETTING', `retry ${name} must be a number >= ${min}, got ${v}`);
  }
  return v;
}
