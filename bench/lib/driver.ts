/**
 * Closed-loop drivers: run an operation from `concurrency` workers until an operation count or a time cap is
 * reached, timing each awaited operation with the high-resolution clock into a LatencyHistogram, then run the
 * phase's drain (the engine finishing the work its writes deferred) inside the window.
 *
 * Invariants: every completed operation is timed exactly once, from just before it is issued (after its input
 * is prepared) to just after its promise settles (synchronous operations are not awaited, so they pay no promise cost); no operation starts after
 * `maxOps` or after `capMs`; elapsed time runs until the drain (after the last in-flight operation) completes; a
 * loop stopped by its cap is rated by the operations completed within the cap over the cap plus the drain (see
 * LoopResult.opsPerSec). An operation or drain that throws stops the loop and the error propagates.
 * Concurrency: workers share the event loop; at most `concurrency` operations are in flight.
 */
import { LatencyHistogram } from './histogram.js';
import type { Progress } from './progress.js';
import { nowMs } from './timer.js';

/** An operation; `i` is its sequence number in the loop (0, 1, 2, ...), `input` what `prepare(i)` made. */
export type Operation<P> = (i: number, input: P) => unknown;

/** What to run. */
export interface LoopOptions<P = undefined> {
  /** Concurrent workers (each awaits its operation before starting the next). */
  readonly concurrency: number;
  /** Start at most this many operations. */
  readonly maxOps: number;
  /** Start no operation after this many ms. */
  readonly capMs: number;
  readonly op: Operation<P>;
  /** Builds operation i's input (keys, values) before its timer starts, so input making is not measured. */
  readonly prepare?: (i: number) => P;
  readonly progress?: Progress | undefined;
  /** Items per operation, for the progress display (e.g. a batch size). Default 1. */
  readonly itemsPerOp?: number;
  /**
   * Finishes the work the operations deferred (the engine's `drain`). It runs once every operation has completed
   * and is part of the window: its time counts in `elapsedMs` and in the rate.
   */
  readonly drain?: () => unknown;
}

/** What a loop measured. */
export interface LoopResult {
  /** Operations completed. */
  readonly ops: number;
  /** From the first issue to the end of the drain (after the last completion). */
  readonly elapsedMs: number;
  /** How long the drain took (0 without one). */
  readonly drainMs: number;
  /**
   * The throughput: for a loop stopped by its time cap, the operations completed within the cap divided by the cap
   * plus the drain; for a loop stopped by its operation count, all operations over `elapsedMs` (drain included).
   * (Operations issued just before the cap complete after it; for an engine that acknowledges in waves, one per
   * flush interval, that tail is a partial wave plus up to an interval of waiting, which would move the figure by
   * several percent by chance. Their deferred work is still drained inside the window.)
   */
  readonly opsPerSec: number;
  /** Per-operation latency. */
  readonly histogram: LatencyHistogram;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** Runs a closed loop and returns its measurements. */
export async function runLoop<P = undefined>(o: LoopOptions<P>): Promise<LoopResult> {
  const histogram = new LatencyHistogram();
  const per = o.itemsPerOp ?? 1;
  const start = nowMs();
  const deadline = start + o.capMs;
  let issued = 0;
  let done = 0;
  let doneInCap = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && issued < o.maxOps) {
      if (nowMs() >= deadline) return;
      const i = issued++;
      const input = o.prepare === undefined ? (undefined as P) : o.prepare(i);
      const t0 = nowMs();
      try {
        const r = o.op(i, input);
        if (isThenable(r)) await r;
      } catch (e) {
        failed ??= e;
        return;
      }
      const t1 = nowMs();
      histogram.recordMs(t1 - t0);
      done++;
      if (t1 <= deadline) doneInCap++;
      o.progress?.tick(done * per);
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.max(1, o.concurrency); w++) workers.push(worker());
  await Promise.all(workers);
  if (failed !== undefined) throw failed;
  let drainMs = 0;
  if (o.drain !== undefined) {
    const drainStart = nowMs();
    const r = o.drain();
    if (isThenable(r)) await r;
    drainMs = nowMs() - drainStart;
  }
  const end = nowMs();
  const elapsedMs = end - start;
  const capped = issued < o.maxOps && doneInCap > 0;
  const opsPerSec = capped
    ? (doneInCap * 1000) / (o.capMs + drainMs)
    : elapsedMs > 0
      ? (done * 1000) / elapsedMs
      : 0;
  return { ops: done, elapsedMs, drainMs, opsPerSec, histogram };
}

/** Runs an operation for warm-up: the same loop, results discarded; returns the operations done. */
export async function warmUp(
  op: (i: number) => unknown,
  maxOps: number,
  capMs: number,
  concurrency = 1,
): Promise<number> {
  if (maxOps <= 0 || capMs <= 0) return 0;
  const r = await runLoop({ concurrency, maxOps, capMs, op: (i) => op(i) });
  return r.ops;
}
