/**
 * The embedded collector: registers a database service that starts a GarbageCollector with every writer whose
 * settings have `garbageCollectorOptions`, as SlateDB 0.12.1 does, and stops it when the database closes.
 *
 * Invariants: no collector starts when `garbageCollectorOptions` is null (or every resource is null); the
 * collector uses the database's store, root, clock and randomness; its task errors never close the database.
 * Concurrency: the service starts at open and is closed once at close (after draining its task in progress).
 */
import { registerService } from '../db/services.js';
import { GarbageCollector } from './garbage-collector.js';

registerService(async (ctx) => {
  const options = ctx.settings.garbageCollectorOptions;
  if (options === null) return undefined;
  const gc = new GarbageCollector({
    store: ctx.store,
    root: ctx.root,
    options,
    clock: ctx.clock,
    rand: ctx.rand,
  });
  if (gc.resources.length === 0) return undefined;
  gc.start();
  return { close: () => gc.stop() };
});
