/**
 * The admin API's standalone compactor (docs/admin.md#compactor): SlateDB 0.12.1's `Admin::run_compactor`
 * (`slatedb run-compactor`), for databases whose writers run with `compactorOptions: null`. It claims the
 * compactor epoch (fencing any other compactor of the database, SlateDB's included), compacts until the
 * AbortSignal fires, then stops cleanly: no new jobs, running jobs abandoned (their outputs are unreferenced and
 * left for GC). The CPU work runs in worker threads (`compactionWorkers`, as in a writer's embedded compactor)
 * unless a merge operator is given; the workers stop when the call returns.
 *
 * Invariants: options are validated like database settings ('invalid' INVALID_SETTING) before anything starts;
 * a compactor that stops on its own (fenced by another, or failed) rejects with that error, as 0.12.1's call
 * returns it; a stop by the signal resolves with the totals.
 * Concurrency: one compactor per call; safe beside writers, readers and collectors.
 */
import { availableParallelism } from 'node:os';
import { Compactor } from '../compactor/compactor.js';
import { CompactionWorkerPool, defaultCompactionWorkers } from '../compactor/worker-pool.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { type CompactorOptions, type CompressionCodec, resolveSettings } from '../store/settings.js';
import { TableStore, tableStoreOptions } from '../store/table-store.js';
import type { Clock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { invalidError } from '../util/errors.js';
import type { Rand } from '../util/random.js';
import { resolveWorkerNice } from '../util/thread-priority.js';
import type { ProgressCallback } from './admin-types.js';
import { checkOptionKeys, reportProgress } from './admin-util.js';

/** Options of {@link Admin.runCompactor}. */
export interface AdminCompactorOptions {
  /** The compactor's options with SlateDB's names in camelCase; omitted fields take 0.12.1's defaults. */
  readonly compactorOptions?: Partial<CompactorOptions>;
  /** Codec of the output SSTs (default null: none). */
  readonly compressionCodec?: CompressionCodec;
  /** Output block size in bytes (default 4096). */
  readonly blockSize?: number;
  /** The database's merge operator (needed when it holds merge operands). */
  readonly mergeOperator?: MergeOperator;
  /** Called after each finished compaction with its id (ULID) and what it wrote. */
  readonly onCompaction?: (
    id: string,
    stats: { readonly rowsWritten: number; readonly bytesWritten: number },
  ) => void;
  /** Called after each finished or failed compaction: `{ phase: 'compaction', done: jobs ended, total: undefined }`. */
  readonly onProgress?: ProgressCallback;
  /**
   * Worker threads that do the compactions' CPU work, as in a writer's embedded compactor (0: on this thread).
   * Default `min(2, os.availableParallelism())`; with `compactorOptions.subcompactions` > 1 one compaction's key
   * ranges spread over them. Ignored with a merge operator (it cannot cross threads; compaction runs here).
   */
  readonly compactionWorkers?: number;
  /** Nice value of those worker threads (Linux; default 10; null: unchanged), as the writer's `workerNice`. */
  readonly workerNice?: number | null;
}

/** What a compactor run did. */
export interface CompactorRunResult {
  /** The compactor epoch it held. */
  readonly epoch: number;
  readonly compactionsCompleted: number;
  readonly compactionsFailed: number;
  readonly bytesWritten: number;
}

const KEYS = [
  'compactorOptions',
  'compressionCodec',
  'blockSize',
  'mergeOperator',
  'onCompaction',
  'onProgress',
  'compactionWorkers',
  'workerNice',
] as const satisfies readonly (keyof AdminCompactorOptions)[];

/** Where the compactor runs. */
export interface CompactorTarget {
  readonly store: ObjectStore;
  readonly root: string;
  readonly clock: Clock;
  readonly rand: Rand;
  /** The Admin's default merge operator. */
  readonly mergeOperator: MergeOperator | undefined;
}

/** Runs the compactor until `signal` aborts (see the file header). */
export async function runCompactor(
  t: CompactorTarget,
  o: AdminCompactorOptions,
  signal: AbortSignal,
): Promise<CompactorRunResult> {
  if (typeof o !== 'object' || o === null)
    throw invalidError('INVALID_ARGUMENT', 'compactor options must be an object');
  checkOptionKeys(o, KEYS, 'compactor option');
  if (!(signal instanceof AbortSignal))
    throw invalidError('INVALID_ARGUMENT', 'signal must be an AbortSignal');
  const blockSize = o.blockSize ?? 4096;
  if (!Number.isSafeInteger(blockSize) || blockSize < 1)
    throw invalidError(
      'INVALID_ARGUMENT',
      `blockSize must be a positive integer, got ${String(o.blockSize)}`,
    );
  for (const f of ['mergeOperator', 'onCompaction', 'onProgress'] as const) {
    if (o[f] !== undefined && typeof o[f] !== 'function')
      throw invalidError('INVALID_ARGUMENT', `${f} must be a function`);
  }
  const workerCount = o.compactionWorkers ?? defaultCompactionWorkers(availableParallelism());
  if (!Number.isSafeInteger(workerCount) || workerCount < 0 || workerCount > 64)
    throw invalidError('INVALID_SETTING', 'compactionWorkers must be an integer from 0 to 64');
  const nice = resolveWorkerNice(o.workerNice, (m) => invalidError('INVALID_SETTING', m));
  const settings = resolveSettings({
    compressionCodec: o.compressionCodec ?? null,
    compactorOptions: o.compactorOptions ?? {},
  });
  const tableStore = new TableStore(t.store, t.root, tableStoreOptions(settings, blockSize, 0));
  const mergeOperator = o.mergeOperator ?? t.mergeOperator;
  // A merge operator is a function of this thread: with one, compaction stays here (no pool).
  const workers =
    workerCount > 0 && mergeOperator === undefined
      ? new CompactionWorkerPool(workerCount, { nice })
      : undefined;
  const executor = new TaskExecutor(t.clock, t.rand);
  let ended = 0;
  const progress = () =>
    reportProgress(o.onProgress, { phase: 'compaction', done: ++ended, total: undefined });
  const started = Compactor.start({
    root: t.root,
    store: t.store,
    tableStore,
    options: settings.compactorOptions!,
    clock: t.clock,
    rand: t.rand,
    mergeOperator,
    ...(workers === undefined ? {} : { workers }),
    executor,
    onJobFinished: (id, stats) => {
      try {
        o.onCompaction?.(id.toString(), {
          rowsWritten: stats.rowsWritten,
          bytesWritten: stats.bytesWritten,
        });
      } catch {
        // A listener's error must not stop the compactor.
      }
      progress();
    },
    onJobFailed: () => progress(),
  });
  try {
    return await runUntilStopped(await started, executor, signal);
  } finally {
    await workers?.close();
  }
}

/** Waits for the signal or the compactor's own end, then stops it; returns its totals or throws its error. */
async function runUntilStopped(
  compactor: Compactor,
  executor: TaskExecutor,
  signal: AbortSignal,
): Promise<CompactorRunResult> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'stop'>((resolve) => {
    onAbort = () => resolve('stop');
    if (signal.aborted) resolve('stop');
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const outcome = await Promise.race([aborted, executor.whenClosed()]);
  signal.removeEventListener('abort', onAbort!);
  const result = await executor.shutdown();
  await compactor.stop();
  if (outcome !== 'stop' && !result.ok) throw result.error;
  return { epoch: compactor.epoch, ...compactor.stats };
}
