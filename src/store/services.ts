/**
 * What a writer hands the background services embedded beside it (the compactor and the garbage collector, built
 * by the root open in src/open/open.ts from the settings), and what a started service gives back.
 *
 * Invariants: a service is started at most once per open and closed once, when the database closes; `close`
 * waits for the service to drain.
 * Concurrency: started once at open and closed once at close.
 */

import type { MergeOperator } from '../lsm/merge-operator.js';
import type { ObjectStore } from '../object-store/object-store.js';
import type { Clock } from '../util/clock.js';
import type { TaskExecutor } from '../util/dispatcher.js';
import type { Logger } from '../util/logger.js';
import type { MetricsRecorder } from '../util/metrics.js';
import type { Rand } from '../util/random.js';
import type { ResolvedSettings } from './settings.js';
import type { TableStore } from './table-store.js';

/** What a service gets. */
export interface ServiceContext {
  readonly root: string;
  readonly store: ObjectStore;
  readonly executor: TaskExecutor;
  readonly settings: ResolvedSettings;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly mergeOperator: MergeOperator | undefined;
  readonly tableStore: TableStore;
  /** Compaction worker threads (absent: the default; 0: compaction runs on the writer's thread). */
  readonly compactionWorkers?: number;
  /** The compaction workers' thread nice value (absent: the process's priority). */
  readonly workerNice?: number;
  /** Where services record their metrics (absent: none). */
  readonly metrics?: MetricsRecorder;
  /** Where services report absorbed failures (absent: nowhere). */
  readonly logger?: Logger;
  /** Tells the writer the manifest changed (it refreshes at once instead of at its next poll). */
  readonly onManifestChanged: () => void;
}

/** A started service. */
export interface Service {
  close(): Promise<void>;
}

/** Starts the services a writer embeds (the root open passes one; a writer opened without it embeds none). */
export type ServiceStarter = (ctx: ServiceContext) => Promise<Service>;
