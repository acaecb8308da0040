/**
 * The embedded compactor: when a writer's settings have `compactorOptions` (the 0.12.1 default), a Compactor starts
 * beside the writer with its own task executor, so a fenced or failed compactor stops alone instead of closing the
 * database; after each result manifest it asks the writer to refresh at once. Started by the root open
 * (src/open/open.ts).
 *
 * Invariants: no compactor starts when `compactorOptions` is null; the service's close stops the compactor and
 * waits for its jobs.
 * Concurrency: runs at database open and close.
 */

import type { Service, ServiceContext } from '../store/services.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { Compactor } from './compactor.js';

/** Starts the writer's embedded compactor, or returns undefined when the settings have none. */
export async function startEmbeddedCompactor(ctx: ServiceContext): Promise<Service | undefined> {
  const options = ctx.settings.compactorOptions;
  if (options === null) return undefined;
  const executor = new TaskExecutor(ctx.clock, ctx.rand);
  const compactor = await Compactor.start({
    root: ctx.root,
    store: ctx.store,
    tableStore: ctx.tableStore,
    options,
    clock: ctx.clock,
    rand: ctx.rand,
    mergeOperator: ctx.mergeOperator,
    executor,
    onManifestWritten: ctx.onManifestChanged,
  });
  return {
    close: async () => {
      await executor.shutdown();
      await compactor.stop();
    },
  };
}
