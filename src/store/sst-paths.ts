/**
 * Where a compacted SST lives: under the database's own root, or, for an SST a clone shares with the database it
 * was cloned from, under that database's root, as the manifest's external-database entries say (SlateDB 0.12.1's
 * `PathResolver` with `external_ssts`; docs/clones.md).
 *
 * Invariants: an SST id listed in an external database's `sstIds` resolves to that database's root (when several
 * entries list one id, the last entry wins, as 0.12.1's map insert does); every other id resolves to the own root.
 * WAL SSTs are never external. New SSTs (flushes, compaction outputs) get fresh ULIDs, so they are always written
 * under the own root.
 * Concurrency: the map is replaced whole by `setExternalDbs`; lookups see either the old or the new map.
 */
import type { ExternalDb } from '../format/manifest.js';
import { compactedSstPath } from '../format/object-paths.js';
import { dataError, isShaleDBError } from '../util/errors.js';
import type { Ulid } from '../util/ids.js';
import { normalizeRoot } from './paths.js';

/** SST id (ULID text) -> root of the database holding it, for every SST of `dbs`. */
export function externalSstRoots(dbs: readonly ExternalDb[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const db of dbs) {
    let root: string;
    try {
      root = normalizeRoot(db.path);
    } catch (e) {
      if (!isShaleDBError(e, 'invalid')) throw e;
      throw dataError('INVALID_FORMAT', `external database path ${JSON.stringify(db.path)}: ${e.message}`);
    }
    for (const id of db.sstIds) out.set(id.toString(), root);
  }
  return out;
}

/** Resolves compacted-SST ids to object paths for one database (its own root plus its external databases). */
export class SstPaths {
  readonly root: string;
  #external: ReadonlyMap<string, string> = new Map();

  constructor(root: string) {
    this.root = root;
  }

  /** Takes the external databases of the database's manifest (a clone's parents); [] for a plain database. */
  setExternalDbs(dbs: readonly ExternalDb[]): void {
    this.#external = dbs.length === 0 ? new Map() : externalSstRoots(dbs);
  }

  /** Takes external SST roots already resolved (SST id text -> normalized root), e.g. sent to a compaction worker. */
  setExternalRoots(roots: Iterable<readonly [string, string]>): void {
    this.#external = new Map(roots);
  }

  /** The root of the database holding SST `id`. */
  rootOf(id: Ulid): string {
    return this.#external.get(id.toString()) ?? this.root;
  }

  /** True when SST `id` belongs to an external database (it is never written or deleted by this one). */
  isExternal(id: Ulid): boolean {
    return this.#external.has(id.toString());
  }

  /** The object path of compacted SST `id`. */
  compactedPath(id: Ulid): string {
    return compactedSstPath(this.rootOf(id), id);
  }
}
