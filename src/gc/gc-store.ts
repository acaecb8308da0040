/**
 * GcStore: the collector's view of one database's objects: the manifest and compactions version stores, listings
 * of `wal/` and `compacted/` parsed the way SlateDB 0.12.1 parses them, the set of manifests a manifest keeps
 * alive, and bounded-concurrency deletes (docs/gc.md).
 *
 * Invariants: only this database's own directories are listed; files whose names do not parse are skipped, never
 * deleted; a manifest a checkpoint names that cannot be read is an error (the caller then deletes nothing); a
 * failed delete is reported, not thrown, and never stops the other deletes.
 * Concurrency: every method may run concurrently with writers, compactors and other collectors; listings may
 * miss or include objects created or deleted meanwhile (the rules that use them allow for that).
 */

import type { Compactions } from '../format/compactions.js';
import type { Manifest } from '../format/manifest.js';
import { compactedSstPath, parseCompactedSstId, parseWalId, walSstPath } from '../format/object-paths.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { compactionsStore } from '../store/compactions-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { compactedDir, walDir } from '../store/paths.js';
import type { SequencedStore, VersionMeta } from '../store/transactional-object.js';
import { dataError, toShaleDBError } from '../util/errors.js';
import type { Ulid } from '../util/ids.js';
import type { GcDeleteFailure } from './gc-report.js';

/** Deletes in flight at once per task. */
export const GC_DELETE_CONCURRENCY_MAX = 8;

/** A listed WAL SST. */
export interface WalSstMeta {
  readonly id: number;
  readonly path: string;
  readonly lastModifiedMs: number;
}

/** A listed compacted SST. */
export interface CompactedSstMeta {
  readonly id: Ulid;
  readonly path: string;
  readonly lastModifiedMs: number;
}

/** A manifest with its id. */
export interface ManifestVersion {
  readonly id: number;
  readonly manifest: Manifest;
}

/** What a batch of deletes did. */
export interface DeleteOutcome {
  readonly deleted: string[];
  readonly failed: GcDeleteFailure[];
}

/** One database's objects, as the collector reads and deletes them. */
export class GcStore {
  readonly store: ObjectStore;
  readonly root: string;
  readonly manifests: SequencedStore<Manifest>;
  readonly compactions: SequencedStore<Compactions>;

  /** `root` must already be normalized (store/paths.ts normalizeRoot). */
  constructor(store: ObjectStore, root: string) {
    this.store = store;
    this.root = root;
    this.manifests = manifestStore(store, root);
    this.compactions = compactionsStore(store, root);
  }

  /** The latest manifest; a database without one is a data error (0.12.1: LatestTransactionalObjectVersionMissing). */
  async readLatestManifest(): Promise<ManifestVersion> {
    const latest = await this.manifests.tryReadLatest();
    if (latest === undefined) {
      throw dataError('MANIFEST_MISSING', `${this.manifests.dir}: no manifest (is this a database?)`);
    }
    return { id: latest.id, manifest: latest.value };
  }

  /** The latest compactions file, or undefined when there is none. */
  async readLatestCompactions(): Promise<Compactions | undefined> {
    return (await this.compactions.tryReadLatest())?.value;
  }

  /**
   * The manifests `latest` keeps alive: itself and every manifest one of its checkpoints names, by id. A named
   * manifest that is missing or unreadable is an error.
   */
  async readReferencedManifests(latest: ManifestVersion): Promise<Map<number, Manifest>> {
    const out = new Map<number, Manifest>([[latest.id, latest.manifest]]);
    for (const c of latest.manifest.checkpoints) {
      if (out.has(c.manifestId)) continue;
      out.set(c.manifestId, await this.manifests.read(c.manifestId));
    }
    return out;
  }

  /**
   * Every WAL SST under `wal/`, ascending by id. Only canonical names (`wal/{id:020}.sst`) count: anything else
   * is not an object SlateDB or ShaleDB writes, so it is skipped (0.12.1 also skips names that do not parse).
   */
  async listWalSsts(): Promise<WalSstMeta[]> {
    const out: WalSstMeta[] = [];
    for await (const m of this.store.list(`${walDir(this.root)}/`)) {
      const id = parseWalId(m.path);
      if (id === undefined || m.path !== walSstPath(this.root, id)) continue;
      out.push({ id, path: m.path, lastModifiedMs: m.lastModifiedMs });
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** Every compacted SST under this database's own `compacted/`, ascending by ULID; only canonical names count. */
  async listCompactedSsts(): Promise<CompactedSstMeta[]> {
    const out: CompactedSstMeta[] = [];
    for await (const m of this.store.list(`${compactedDir(this.root)}/`)) {
      const id = parseCompactedSstId(m.path);
      if (id === undefined || m.path !== compactedSstPath(this.root, id)) continue;
      out.push({ id, path: m.path, lastModifiedMs: m.lastModifiedMs });
    }
    return out.sort((a, b) => a.id.compare(b.id));
  }

  /** Manifest versions with canonical names, ascending by id. */
  async listManifests(): Promise<VersionMeta[]> {
    return (await this.manifests.list()).filter((v) => v.path === this.manifests.pathFor(v.id));
  }

  /** Compactions versions with canonical names, ascending by id. */
  async listCompactions(): Promise<VersionMeta[]> {
    return (await this.compactions.list()).filter((v) => v.path === this.compactions.pathFor(v.id));
  }

  /**
   * Deletes `paths`, at most GC_DELETE_CONCURRENCY_MAX at a time; failures are collected, not thrown. `onDone` is
   * called after each delete, whether it succeeded or failed (progress).
   */
  async deletePaths(
    paths: readonly string[],
    signal?: AbortSignal,
    onDone?: (path: string) => void,
  ): Promise<DeleteOutcome> {
    const deleted: string[] = [];
    const failed: GcDeleteFailure[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < paths.length) {
        const path = paths[next++]!;
        try {
          await this.store.delete(path, { signal });
          deleted.push(path);
        } catch (e) {
          failed.push({ path, error: toShaleDBError(e) });
        }
        onDone?.(path);
      }
    };
    const workers = Math.min(GC_DELETE_CONCURRENCY_MAX, paths.length);
    await Promise.all(Array.from({ length: workers }, worker));
    // Report in the order chosen, whatever order the deletes finished in.
    const order = new Map(paths.map((p, i) => [p, i]));
    deleted.sort((a, b) => order.get(a)! - order.get(b)!);
    return { deleted, failed };
  }
}
