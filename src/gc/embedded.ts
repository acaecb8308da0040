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
import { GarbageCollector } from './garbage-collector.js';

/** Starts the writer's embedded collector, or returns undefined when the settings configure none. */
export function startEmbeddedGc(ctx: ServiceContext): Service | undefined {
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
}
