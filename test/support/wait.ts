/**
 * Waiting in tests: polling a condition until it holds (with a deadline that names what was awaited), and counting
 * turns of the event loop (to show that a long operation let other callbacks run).
 */

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Poll this often (default 10 ms). */
  readonly intervalMs?: number;
}

/** Waits on another engine's background work (SlateDB's compactor in a child process): 30 s, polled every 50 ms. */
export const INTEROP_WAIT: WaitOptions = { timeoutMs: 30_000, intervalMs: 50 };

/** Polls `cond` until it holds; throws `timed out waiting for <what>` once the deadline passes. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  o: WaitOptions = {},
): Promise<void> {
  const deadline = performance.now() + (o.timeoutMs ?? 10_000);
  const interval = o.intervalMs ?? 10;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Counts event-loop turns (setImmediate callbacks) until stopped. */
export function turnCounter(): { turns: () => number; stop: () => void } {
  let turns = 0;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return { turns: () => turns, stop: () => (stopped = true) };
}
