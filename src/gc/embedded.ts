/**
 * The embedded collector: a GarbageCollector started beside every writer whose settings have
 * `garbageCollectorOptions`, as SlateDB 0.12.1 does, and stopped when the database closes. Started by the root
 * open (src/open/open.ts).
 *
 * Invariants: no collector starts when `garbageCollectorOptions` is null (or every resource is null); the
 * collector uses the database's store, root, clock and randomness; its task errors never close the database.
 * Concurrency: starts at open and is closed once at close (after draining its task in progress).
 */
import type { Service, ServiceContext } from '../store/services.js';
import { GC } from '../util/metric-names.js';
import { labels, noopMetricsRecorder } from '../util/metrics.js';
import { GarbageCollector } from './garbage-collector.js';

/** Starts the writer's embedded collector, or returns undefined when the settings configure none. */
export function startEmbeddedGc(ctx: ServiceContext): Service | undefined {
  const options = ctx.settings.garbageCollectorOptions;
  if (options === null) return undefined;
  const metrics = ctx.metrics ?? noopMetricsRecorder;
  const deleted = {
    manifest: metrics.registerCounter(
      GC.DELETED_COUNT,
      'Objects deleted by GC',
      labels({ resource: 'manifest' }),
    ),
    wal: metrics.registerCounter(GC.DELETED_COUNT, 'Objects deleted by GC', labels({ resource: 'wal' })),
    compacted: metrics.registerCounter(
      GC.DELETED_COUNT,
      'Objects deleted by GC',
      labels({ resource: 'compacted' }),
    ),
    compactions: metrics.registerCounter(
      GC.DELETED_COUNT,
      'Objects deleted by GC',
      labels({ resource: 'compactions' }),
    ),
  };
  const runs = metrics.registerCounter(GC.COUNT, 'GC tasks run', []);
  const gc = new GarbageCollector({
    store: ctx.store,
    root: ctx.root,
    options,
    clock: ctx.clock,
    rand: ctx.rand,
    onReport: (report) => {
      runs.increment(1);
      if (!report.dryRun) deleted[report.resource].increment(report.deleted.length);
      if (report.error !== undefined || report.failed.length > 0) {
        ctx.logger?.log('warn', 'garbage collection task failed', {
          resource: report.resource,
          error: report.error,
          failedDeletes: report.failed.length,
        });
      }
    },
  });
  if (gc.resources.length === 0) return undefined;
  gc.start();
  return { close: () => gc.stop() };
}
