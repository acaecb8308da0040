/**
 * The root open: the one place a database is assembled. `Db.open` (the package's, re-exported by src/index.ts)
 * opens the writer (db/open.ts) and, explicitly and in this order, the embedded compactor
 * (compactor/embedded.ts) and the embedded garbage collector (gc/embedded.ts), each as the settings say; closing
 * the database stops them. Nothing is registered anywhere, and what starts does not depend on what was imported.
 *
 * Invariants: a service starts only when its settings are non-null; if one fails to start, those already started
 * are closed and the open fails; services close before the writer's table store and owned object store.
 * Concurrency: runs once per open; services are closed concurrently at close.
 */

import { startEmbeddedCompactor } from '../compactor/embedded.js';
import { type DbOpenOptions, Db as WriterDb } from '../db/db.js';
import { openDb } from '../db/open.js';
import { startEmbeddedGc } from '../gc/embedded.js';
import type { ObjectStore } from '../object-store/object-store.js';
import type { Service, ServiceContext } from '../store/services.js';
import { toShaleDBError } from '../util/errors.js';

/** Starts the compactor, then the collector, as `ctx.settings` configure them. */
export async function startEmbeddedServices(ctx: ServiceContext): Promise<Service> {
  const started: Service[] = [];
  try {
    const compactor = await startEmbeddedCompactor(ctx);
    if (compactor !== undefined) started.push(compactor);
    const gc = startEmbeddedGc(ctx);
    if (gc !== undefined) started.push(gc);
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

/** A ShaleDB database: the writer with its embedded compactor and garbage collector. */
export class Db extends WriterDb {
  /**
   * Opens (creating if needed) the database at `path` in `store` (an ObjectStore or a URL such as
   * `file:///abs/dir`, `memory:///`, `s3://bucket/prefix`). Fences any previous writer of the database, and starts
   * the embedded compactor (`compactorOptions`) and garbage collector (`garbageCollectorOptions`) when set.
   */
  static override async open(
    path: string,
    store: ObjectStore | string,
    options: DbOpenOptions = {},
  ): Promise<Db> {
    try {
      return new Db(await openDb(path, store, options, startEmbeddedServices));
    } catch (e) {
      throw toShaleDBError(e);
    }
  }
}
