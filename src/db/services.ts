/**
 * Background services a writer may embed beside its own tasks: the compactor and the garbage collector. Each is
 * started from the settings (compactorOptions, garbageCollectorOptions) and stopped when the database closes.
 *
 * Invariants: a service that is not configured is not started; `close` stops every started service and waits for
 * it to drain.
 * Concurrency: called once at open and once at close.
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

/** A service factory registered by a higher layer (compactor, gc), which db must not import. */
export type ServiceStarter = (ctx: ServiceContext) => Promise<Service | undefined>;

const starters: ServiceStarter[] = [];

/** Registers a service started with every database (called by the compactor and GC modules when loaded). */
export function registerService(starter: ServiceStarter): void {
  starters.push(starter);
}

/** Starts every registered service that is configured. */
export async function startBackgroundServices(ctx: ServiceContext): Promise<Service> {
  const started: Service[] = [];
  try {
    for (const s of starters) {
      const svc = await s(ctx);
      if (svc !== undefined) started.push(svc);
    }
  } catch (e) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw e;
  }
  return {
    close: async () => {
      await Promise.allSettled(started.map((s) => s.close()));
    },
  };
}
