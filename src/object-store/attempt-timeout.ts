/**
 * Runs one object-store attempt under a time limit: the attempt gets its own AbortSignal, aborted when the limit
 * passes or the caller's signal fires. A timed-out attempt fails with a transient ObjectStoreError ("timed out"),
 * so retry logic treats it like any other ambiguous failure: the request may or may not have reached the store.
 *
 * Invariants: the returned promise settles exactly once; a late result or rejection of an abandoned attempt is
 * swallowed (never an unhandled rejection); the timer is always released.
 * Concurrency: any number of attempts may run at once; each owns its controller.
 */
import type { Clock } from '../util/clock.js';
import { ObjectStoreError, type ObjectStoreOperation } from './object-store.js';

/** The reason the timer is released with (a constant: aborting without one builds a DOMException each time). */
const SETTLED = Symbol('attempt settled');

/** Runs `fn` with a signal that aborts after `timeoutMs` (0 = no limit) or when `outer` aborts. */
export async function runWithTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  options: {
    readonly timeoutMs: number;
    readonly clock: Clock;
    readonly signal: AbortSignal | undefined;
    readonly operation: ObjectStoreOperation;
    readonly path: string | undefined;
  },
): Promise<T> {
  const { timeoutMs, clock, signal, operation, path } = options;
  signal?.throwIfAborted();
  const attempt = new AbortController();
  const timer = timeoutMs > 0 ? new AbortController() : undefined;
  const onOuterAbort = (): void => attempt.abort(signal!.reason);
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  const work = fn(attempt.signal);
  try {
    if (timer === undefined) return await work;
    const timeout = clock.sleep(timeoutMs, timer.signal).then(
      () => {
        const e = new ObjectStoreError('transient', operation, path, `timed out after ${timeoutMs} ms`);
        attempt.abort(e);
        throw e;
      },
      () => new Promise<never>(() => {}),
    );
    return await Promise.race([work, timeout]);
  } catch (e) {
    if (attempt.signal.aborted && !signal?.aborted && isTimeout(attempt.signal.reason)) {
      throw attempt.signal.reason;
    }
    throw e;
  } finally {
    timer?.abort(SETTLED);
    signal?.removeEventListener('abort', onOuterAbort);
    work.catch(() => {});
  }
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof ObjectStoreError && reason.reason === 'transient';
}
