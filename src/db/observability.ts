/**
 * A database's observability: its metrics recorder (the in-memory DefaultMetricsRecorder behind `db.metrics()`, teed
 * to the user's `metricsRecorder` when given), its DbStats, and its logger (the user's `logger`, made safe, or the
 * default stderr JSON logger). Built once per open and handed to the engine, the background services and the
 * store wrappers.
 *
 * Invariants: every metric the database publishes goes through `recorder`; `db.metrics()` sees all of them.
 * Concurrency: single event loop.
 */

import type { MergeOperator } from '../lsm/merge-operator.js';
import { CachedObjectStore } from '../object-store/disk-cache/cached-store.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { countMergeOperands } from '../store/merge-operand-count.js';
import type { TableStore } from '../store/table-store.js';
import { invalidError } from '../util/errors.js';
import { defaultLogger, type Logger, safeLogger } from '../util/logger.js';
import { DefaultMetricsRecorder, type MetricsRecorder, teeMetricsRecorder } from '../util/metrics.js';
import type { DbState } from './db-state.js';
import type { DbStats as DbStatsType } from './db-stats.js';
import { DbStats } from './db-stats.js';
import type { WalWriter } from './wal-writer.js';

/** What a database open needs from the caller for observability. */
export interface ObservabilityOptions {
  readonly metricsRecorder?: MetricsRecorder;
  readonly logger?: Logger;
}

/** The observability of one open database. */
export class Observability {
  /** The database's own recorder (what `db.metrics()` reads). */
  readonly own = new DefaultMetricsRecorder();
  /** Where everything is recorded: `own`, and the user's recorder if any. */
  readonly recorder: MetricsRecorder;
  readonly logger: Logger;
  readonly stats: DbStatsType;

  constructor(options: ObservabilityOptions, withDiskCache: boolean) {
    const r = options.metricsRecorder as Partial<MetricsRecorder> | undefined;
    if (
      r !== undefined &&
      (typeof r !== 'object' ||
        r === null ||
        typeof r.registerCounter !== 'function' ||
        typeof r.registerGauge !== 'function' ||
        typeof r.registerUpDownCounter !== 'function' ||
        typeof r.registerHistogram !== 'function')
    ) {
      throw invalidError('INVALID_ARGUMENT', 'metricsRecorder must implement MetricsRecorder');
    }
    const l = options.logger as Partial<Logger> | undefined;
    if (l !== undefined && (typeof l !== 'object' || l === null || typeof l.log !== 'function')) {
      throw invalidError('INVALID_ARGUMENT', 'logger must have a log(level, message, fields) method');
    }
    this.recorder =
      options.metricsRecorder === undefined
        ? this.own
        : teeMetricsRecorder(this.own, options.metricsRecorder);
    this.logger = options.logger === undefined ? defaultLogger() : safeLogger(options.logger);
    this.stats = new DbStats(this.recorder, withDiskCache);
  }

  /**
   * `op` counting its operands under `slatedb.merge_operator_operands{path}` (as 0.12.1 counts each successful
   * batch merge's operands, so re-merged intermediate results count again).
   */
  countOperands(op: MergeOperator | undefined, path: 'read' | 'flush'): MergeOperator | undefined {
    if (op === undefined) return undefined;
    const counter = path === 'read' ? this.stats.mergeReadOperands : this.stats.mergeFlushOperands;
    return countMergeOperands(op, counter);
  }

  /** Reports a disk cache failure that was absorbed. */
  readonly onCacheError = (what: string, error: unknown): void => {
    this.logger.log('warn', 'disk cache operation failed; the read was served from the object store', {
      what,
      error,
    });
  };

  /** Counts an L0 SST written. */
  readonly onL0Written = (bytes: number): void => {
    this.stats.immutableMemtableFlushes.increment(1);
    this.stats.l0FlushBytes.increment(bytes);
  };

  /** Counts a WAL SST written and refreshes the sampled metrics. */
  onWalFlushed(): void {
    this.stats.walBufferFlushes.increment(1);
    this.stats.refresh();
  }

  /** Tells the stats where to sample state from. */
  attach(store: ObjectStore, state: DbState, tableStore: TableStore, walWriter: WalWriter | undefined): void {
    this.stats.setSources({
      walBufferBytes: () => walWriter?.estimatedBytes ?? 0,
      memBytes: () => state.memtable.sizeBytes + state.immBytes,
      l0Count: () => state.manifest.l0.length,
      blockCache: tableStore.blockCache,
      filterStats: tableStore.filterStats,
      diskCache: store instanceof CachedObjectStore ? store : undefined,
    });
  }
}
