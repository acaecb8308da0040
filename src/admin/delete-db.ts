/**
 * Deleting a whole database (docs/admin.md#deleting-a-database). SlateDB 0.12.1's Admin has no such call; this
 * follows the protocol later SlateDB versions use for `Admin::delete_db`, so the two agree on what a half-deleted
 * database looks like:
 * - without `confirm` it is a dry run: it lists every object under the database's path and changes nothing;
 * - with `confirm` it refuses (data INVALID_DB_STATE) a path that holds objects but neither a manifest nor a
 *   `.deleting` marker (a mistyped path must not wipe unrelated data); for a clone, removes the checkpoints it
 *   pinned in its parents; writes the `.deleting` marker; deletes every other object; deletes the marker last. A
 *   run that stopped half way leaves the marker, so running it again finishes the job. Idempotent.
 *
 * Invariants: nothing outside `<path>/` is deleted; the empty path (the whole store) is refused; a delete that
 * fails leaves the marker in place and rejects with the first failure after trying every object.
 * Concurrency: it does not stop or detect live writers, compactors or collectors (neither does SlateDB's): stop
 * them first, or they will recreate objects.
 */
import { withoutCheckpoint } from '../db/checkpoint.js';
import { GcStore } from '../gc/gc-store.js';
import { isObjectStoreError, type ObjectStore } from '../object-store/object-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { normalizeRoot } from '../store/paths.js';
import { TransactionalObject } from '../store/transactional-object.js';
import { dataError, invalidError } from '../util/errors.js';
import type { ProgressCallback } from './admin-types.js';
import { checkOptionKeys, reportProgress } from './admin-util.js';

/** Options of {@link Admin.deleteDb}. */
export interface DeleteDbOptions {
  /** Actually delete; without it the call is a dry run that only lists. */
  readonly confirm?: boolean;
  /** Called as objects are deleted: `{ phase: 'delete', done, total }`. */
  readonly onProgress?: ProgressCallback;
}

/** A checkpoint a clone pinned in a parent database. */
export interface ParentCheckpoint {
  /** The parent database's path. */
  readonly path: string;
  readonly checkpointId: string;
}

/** What deleteDb did (or, in a dry run, would do). */
export interface DeleteDbReport {
  readonly dryRun: boolean;
  /** Object paths (relative to the store root) deleted, or that would be; sorted. */
  readonly paths: readonly string[];
  /** Parent checkpoints removed (or that would be), for a clone. */
  readonly parentCheckpoints: readonly ParentCheckpoint[];
}

/** Name of the marker written before the objects are deleted (as later SlateDB versions name it). */
export const DELETING_MARKER = '.deleting';

async function listAll(store: ObjectStore, root: string): Promise<string[]> {
  const out: string[] = [];
  for await (const m of store.list(`${root}/`)) out.push(m.path);
  return out.sort();
}

async function exists(store: ObjectStore, path: string): Promise<boolean> {
  try {
    await store.head(path);
    return true;
  } catch (e) {
    if (isObjectStoreError(e, 'not-found')) return false;
    throw e;
  }
}

/** Deletes (or with `confirm` unset, lists) the database at `root` (normalized). */
export async function deleteDb(
  store: ObjectStore,
  root: string,
  o: DeleteDbOptions,
): Promise<DeleteDbReport> {
  if (typeof o !== 'object' || o === null)
    throw invalidError('INVALID_ARGUMENT', 'options must be an object');
  checkOptionKeys(o, ['confirm', 'onProgress'], 'deleteDb option');
  if (o.confirm !== undefined && typeof o.confirm !== 'boolean')
    throw invalidError('INVALID_ARGUMENT', 'confirm must be a boolean');
  if (root === '')
    throw invalidError('INVALID_ARGUMENT', 'deleteDb refuses the empty path (the whole store)');
  const latest = await manifestStore(store, root).tryReadLatest();
  const parents: ParentCheckpoint[] = [];
  for (const e of latest?.value.externalDbs ?? []) {
    if (e.finalCheckpointId !== undefined) {
      parents.push({ path: e.path, checkpointId: e.finalCheckpointId.toString() });
    }
  }
  const all = await listAll(store, root);
  if (o.confirm !== true) return { dryRun: true, paths: all, parentCheckpoints: parents };

  const marker = `${root}/${DELETING_MARKER}`;
  const markerExists = await exists(store, marker);
  if (latest === undefined && !markerExists && all.length > 0) {
    throw dataError(
      'INVALID_DB_STATE',
      `${root}: holds objects but no manifest and no ${DELETING_MARKER} marker: not a database, nothing deleted`,
    );
  }
  const stripped: ParentCheckpoint[] = [];
  for (const p of parents) {
    const parent = await TransactionalObject.tryLoad(manifestStore(store, normalizeRoot(p.path)));
    if (parent === undefined) continue; // the parent is gone: nothing left to strip
    const c = latest!.value.externalDbs.find((e) => e.finalCheckpointId?.toString() === p.checkpointId)!;
    await parent.maybeApplyUpdate((m) => withoutCheckpoint(m, c.finalCheckpointId!));
    stripped.push(p);
  }
  if (!markerExists && (latest !== undefined || all.length > 0)) {
    await store.put(marker, new Uint8Array(0));
  }
  const paths = all.filter((p) => p !== marker);
  const total = paths.length + 1;
  let done = 0;
  reportProgress(o.onProgress, { phase: 'delete', done, total });
  const outcome = await new GcStore(store, root).deletePaths(paths, undefined, () =>
    reportProgress(o.onProgress, { phase: 'delete', done: ++done, total }),
  );
  if (outcome.failed.length > 0) throw outcome.failed[0]!.error;
  if (latest !== undefined || all.length > 0) {
    await store.delete(marker);
    outcome.deleted.push(marker);
  }
  reportProgress(o.onProgress, { phase: 'delete', done: total, total });
  return { dryRun: false, paths: outcome.deleted.sort(), parentCheckpoints: stripped };
}
