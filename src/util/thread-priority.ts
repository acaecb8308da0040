/**
 * Thread priority for background worker threads: a worker lowers its own CPU priority (raises its nice value) so
 * that, when the machine's cores are all busy, the scheduler runs the application's thread first and background
 * work (compaction, SST encoding) takes what is left, as RocksDB's low-priority thread pool does.
 *
 * Linux only: there `setpriority(PRIO_PROCESS, tid)` applies to one thread, and a thread finds its own id through
 * `/proc/thread-self`. Elsewhere (or without /proc) nothing changes and the call says so. Raising a nice value needs
 * no privilege; lowering it back would, so a thread's priority only ever goes down.
 *
 * Invariants: never throws; affects only the calling thread.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Lowest and highest nice values a worker may be given (0: the application's own priority; 19: the lowest). */
export const MIN_WORKER_NICE = 0;
export const MAX_WORKER_NICE = 19;
/** The nice value worker threads take unless told otherwise: below the application, above idle. */
export const DEFAULT_WORKER_NICE = 10;

/**
 * Checks a `workerNice` option: undefined (the default), null (unchanged) or an integer in range; returns the nice
 * value to give the workers, or undefined for none. `fail` makes the error thrown for an invalid value.
 */
export function resolveWorkerNice(nice: unknown, fail: (message: string) => Error): number | undefined {
  if (nice === undefined) return DEFAULT_WORKER_NICE;
  if (nice === null) return undefined;
  if (
    typeof nice !== 'number' ||
    !Number.isSafeInteger(nice) ||
    nice < MIN_WORKER_NICE ||
    nice > MAX_WORKER_NICE
  )
    throw fail(`workerNice must be null or an integer from ${MIN_WORKER_NICE} to ${MAX_WORKER_NICE}`);
  return nice;
}

/** The calling thread's kernel thread id, or undefined where it cannot be found (not Linux, no /proc). */
export function currentThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets the calling thread's nice value to `nice` (never below its current one); returns the thread's nice value
 * afterwards, or undefined when thread priorities are not available here.
 */
export function lowerThreadPriority(nice: number): number | undefined {
  const tid = currentThreadId();
  if (tid === undefined) return undefined;
  try {
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return undefined;
  }
}
