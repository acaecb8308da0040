/**
 * The admin API's garbage collection (docs/admin.md#garbage-collection): one pass over the resources named in the
 * options, as SlateDB 0.12.1's `Admin::run_gc_once` (the `slatedb run-garbage-collection` command), or collection
 * on each resource's interval until an AbortSignal fires, as `Admin::run_gc` (`schedule-garbage-collection`).
 *
 * Invariants: a resource left out (or null) is not collected, exactly as a `None` entry of 0.12.1's
 * GarbageCollectorOptions; the collector is src/gc's GarbageCollector, so every rule and report is the one the
 * embedded collector uses; a dry run deletes and rewrites nothing.
 * Concurrency: safe beside writers, compactors, readers and other collectors of the database.
 */
import { GarbageCollector } from '../gc/garbage-collector.js';
import { GC_RESOURCES, type GcPassReport, type GcResourceReport, type GcStats } from '../gc/gc-report.js';
import type { ObjectStore } from '../object-store/object-store.js';
import type { Duration, ResolvedGcDirectoryOptions, ResolvedGcOptions } from '../store/settings.js';
import type { Clock } from '../util/clock.js';
import { parseDurationMs } from '../util/duration.js';
import { invalidError } from '../util/errors.js';
import type { Rand } from '../util/random.js';
import type { ProgressCallback } from './admin-types.js';
import { checkOptionKeys, reportProgress } from './admin-util.js';

/** One resource's collection: objects younger than `minAge` are kept; `interval` paces `runGc` (default 60 s). */
export interface AdminGcResourceOptions {
  readonly minAge: Duration;
  readonly interval?: Duration;
}

/** Which resources to collect (omitted or null: not collected), as 0.12.1's GarbageCollectorOptions. */
export interface AdminGcOptions {
  readonly manifest?: AdminGcResourceOptions | null;
  readonly wal?: AdminGcResourceOptions | null;
  readonly compacted?: AdminGcResourceOptions | null;
  readonly compactions?: AdminGcResourceOptions | null;
  /** Called with every resource task's report. */
  readonly onReport?: (report: GcResourceReport) => void;
  /**
   * `runGcOnce`: called after each resource with `{ phase: resource, done, total }` (resources finished of those
   * collected); `runGc`: after each task, with `done` = tasks run so far and no total.
   */
  readonly onProgress?: ProgressCallback;
}

/** Options of {@link Admin.runGcOnce}. */
export interface AdminGcOnceOptions extends AdminGcOptions {
  /** Report what would be deleted without deleting or rewriting anything. */
  readonly dryRun?: boolean;
}

const GC_KEYS = [
  'manifest',
  'wal',
  'compacted',
  'compactions',
  'onReport',
  'onProgress',
  'dryRun',
] as const satisfies readonly (keyof AdminGcOnceOptions)[];

/** 0.12.1's interval when a directory's `interval` is None. */
const DEFAULT_INTERVAL_MS = 60_000;

function resolveResource(
  name: string,
  o: AdminGcResourceOptions | null | undefined,
): ResolvedGcDirectoryOptions | null {
  if (o === undefined || o === null) return null;
  if (typeof o !== 'object') throw invalidError('INVALID_ARGUMENT', `${name} must be an object or null`);
  checkOptionKeys(o, ['minAge', 'interval'], `${name} gc option`);
  if (o.minAge === undefined) throw invalidError('INVALID_ARGUMENT', `${name}.minAge is required`);
  const minAgeMs = parseDurationMs(o.minAge, `${name}.minAge`);
  const intervalMs =
    o.interval === undefined ? DEFAULT_INTERVAL_MS : parseDurationMs(o.interval, `${name}.interval`);
  if (intervalMs <= 0) throw invalidError('INVALID_ARGUMENT', `${name}.interval must be greater than zero`);
  return { minAgeMs, intervalMs };
}

/** Validates admin GC options into the collector's per-resource options. */
export function resolveAdminGcOptions(o: AdminGcOnceOptions): ResolvedGcOptions {
  if (typeof o !== 'object' || o === null)
    throw invalidError('INVALID_ARGUMENT', 'gc options must be an object');
  checkOptionKeys(o, GC_KEYS, 'gc option');
  for (const f of ['onReport', 'onProgress'] as const) {
    if (o[f] !== undefined && typeof o[f] !== 'function')
      throw invalidError('INVALID_ARGUMENT', `${f} must be a function`);
  }
  return {
    manifest: resolveResource('manifest', o.manifest),
    wal: resolveResource('wal', o.wal),
    compacted: resolveResource('compacted', o.compacted),
    compactions: resolveResource('compactions', o.compactions),
  };
}

/** Where the collector runs. */
export interface GcTarget {
  readonly store: ObjectStore;
  readonly root: string;
  readonly clock: Clock;
  readonly rand: Rand;
}

/** A collector whose task reports go to `o.onReport` and count as progress (of `total` tasks, when known). */
function reportingCollector(
  t: GcTarget,
  options: ReturnType<typeof resolveAdminGcOptions>,
  o: Pick<AdminGcOptions, 'onReport' | 'onProgress'>,
  total: number | undefined,
): GarbageCollector {
  let done = 0;
  return new GarbageCollector({
    ...t,
    options,
    onReport: (r) => {
      o.onReport?.(r);
      reportProgress(o.onProgress, { phase: r.resource, done: ++done, total });
    },
  });
}

/** One pass over the configured resources, in 0.12.1's order (manifest, wal, compacted, compactions). */
export async function runGcOnce(t: GcTarget, o: AdminGcOnceOptions): Promise<GcPassReport> {
  const options = resolveAdminGcOptions(o);
  const total = GC_RESOURCES.filter((r) => options[r] !== null).length;
  const gc = reportingCollector(t, options, o, total);
  try {
    return await gc.runOnce({ dryRun: o.dryRun === true });
  } finally {
    await gc.close();
  }
}

/**
 * Collects on each configured resource's interval (each runs at once, then every interval) until `signal` aborts;
 * then the task in progress finishes and the totals are returned. Task failures are reported, never thrown.
 */
export async function runGc(t: GcTarget, o: AdminGcOptions, signal: AbortSignal): Promise<GcStats> {
  if (!(signal instanceof AbortSignal))
    throw invalidError('INVALID_ARGUMENT', 'signal must be an AbortSignal');
  const options = resolveAdminGcOptions(o);
  if (GC_RESOURCES.every((r) => options[r] === null)) {
    throw invalidError('INVALID_ARGUMENT', 'runGc needs at least one resource to collect');
  }
  const gc = reportingCollector(t, options, o, undefined);
  if (!signal.aborted) {
    gc.start();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  await gc.close();
  return gc.stats;
}
