/**
 * The embedded compactor: when a writer's settings have `compactorOptions` (the 0.12.1 default), a Compactor starts
 * beside the writer with its own task executor, so a fenced or failed compactor stops alone instead of closing the
 * database; after each result manifest it asks the writer to refresh at once. Started by the root open
 * (src/open/open.ts).
 *
 * Compactions run in a pool of worker threads (`compactionWorkers`, default min(2, cores)) unless a merge operator
 * is configured (a JS function of this thread), in which case they run in-thread.
 *
 * Invariants: no compactor starts when `compactorOptions` is null; the service's close stops the compactor, waits
 * for its jobs, then terminates its workers.
 * Concurrency: runs at database open and close.
 */

import { availableParallelism } from 'node:os';
import { countMergeOperands } from '../store/merge-operand-count.js';
import type { Service, ServiceContext } from '../store/services.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { COMPACTOR, MERGE_OPERATOR_OPERANDS } from '../util/metric-names.js';
import { noopMetricsRecorder } from '../util/metrics.js';
import { Compactor } from './compactor.js';
import { CompactionWorkerPool, defaultCompactionWorkers } from './worker-pool.js';

/** Starts the writer's embedded compactor, or returns undefined when the settings have none. */
export async function startEmbeddedCompactor(ctx: ServiceContext): Promise<Service | undefined> {
  const options = ctx.settings.compactorOptions;
  if (options === null) return undefined;
  const executor = new TaskExecutor(ctx.clock, ctx.rand);
  // A merge operator is a JS function of this thread: with one, compaction stays in-thread (no pool).
  const poolSize =
    ctx.mergeOperator === undefined
      ? (ctx.compactionWorkers ?? defaultCompactionWorkers(availableParallelism()))
      : 0;
  const workers = poolSize > 0 ? new CompactionWorkerPool(poolSize, { nice: ctx.workerNice }) : undefined;
  const metrics = ctx.metrics ?? noopMetricsRecorder;
  const bytesCompacted = metrics.registerCounter(
    COMPACTOR.BYTES_COMPACTED,
    'Bytes written by compactions',
    [],
  );
  const lastCompaction = metrics.registerGauge(
    COMPACTOR.LAST_COMPACTION_TS_SEC,
    'Unix seconds of the last finished compaction',
    [],
  );
  const running = metrics.registerUpDownCounter(COMPACTOR.RUNNING_COMPACTIONS, 'Compactions running', []);
  const compactOperands = metrics.registerCounter(
    MERGE_OPERATOR_OPERANDS,
    'Merge operator operands resolved',
    [{ key: 'path', value: 'compact' }],
  );
  const compactor = await Compactor.start({
    root: ctx.root,
    store: ctx.store,
    tableStore: ctx.tableStore,
    options,
    clock: ctx.clock,
    rand: ctx.rand,
    mergeOperator:
      ctx.mergeOperator === undefined ? undefined : countMergeOperands(ctx.mergeOperator, compactOperands),
    executor,
    ...(workers === undefined ? {} : { workers }),
    onManifestWritten: ctx.onManifestChanged,
    onJobStarted: () => running.increment(1),
    onJobEnded: () => running.increment(-1),
    onJobFinished: (_id, stats) => {
      bytesCompacted.increment(stats.bytesWritten);
      lastCompaction.set(Math.floor(ctx.clock.nowMs() / 1000));
    },
    onJobFailed: (id, error) => {
      ctx.logger?.log('warn', 'compaction failed; its inputs stay in place', {
        compaction: id.toString(),
        error,
      });
    },
  });
  return {
    close: async () => {
      await executor.shutdown();
      await compactor.stop();
      await workers?.close();
    },
  };
}
