/**
 * The writer's checkpoint calls (Db.createCheckpoint, refreshCheckpoint, deleteCheckpoint, listCheckpoints), as
 * SlateDB 0.12.1's `Db::create_checkpoint` and admin calls behave (docs/checkpoints-and-readers.md).
 *
 * Invariants: every manifest change goes through the memtable flusher, in order with the writer's own manifest
 * writes, as a fenced CAS (a lost race merges the remote version and re-applies the change, so a checkpoint's
 * manifestId is always the id of the version that adds it); scope 'all' returns only after every write made
 * before the call is in an L0 SST of the pinned manifest; scope 'durable' pins the current manifest, which lists
 * every WAL SST written so far; refresh and delete first poll the latest manifest, so a checkpoint another process
 * added is found.
 * Concurrency: any number of concurrent calls; each is one flusher message.
 */

import type { Checkpoint } from '../format/manifest.js';
import { parseDurationMs } from '../util/duration.js';
import { invalidError, ShaleDBError } from '../util/errors.js';
import { Uuid } from '../util/ids.js';
import {
  type CheckpointCreateResult,
  type CheckpointInfo,
  checkScope,
  DB_CHECKPOINT_KEYS,
  type DbCheckpointOptions,
  filterCheckpoints,
  newCheckpoint,
  resolveCheckpointOptions,
  toCheckpointInfo,
  toU32Seconds,
  withCheckpoint,
  withoutCheckpoint,
  withRefreshedCheckpoint,
} from './checkpoint.js';
import { asClosed, type DbInner } from './db-inner.js';

function asCallerError(e: unknown): ShaleDBError {
  return e instanceof ShaleDBError ? e : asClosed(e);
}

/** Creates a checkpoint of the open database. */
export async function createDbCheckpoint(
  inner: DbInner,
  options: DbCheckpointOptions | undefined,
): Promise<CheckpointCreateResult> {
  const scope = checkScope(options?.scope);
  const o = resolveCheckpointOptions(options, DB_CHECKPOINT_KEYS);
  inner.checkOpen();
  if (scope === 'all') await inner.flush('memtable');
  else if (o.source !== undefined) await inner.pollManifest().catch((e) => Promise.reject(asCallerError(e)));
  const id = Uuid.v4(inner.rand);
  let added: Checkpoint | undefined;
  await inner
    .updateManifest((local, nextId) => {
      added = newCheckpoint(local, nextId - 1, id, inner.clock.nowMs(), o);
      return withCheckpoint(local, added);
    })
    .catch((e) => Promise.reject(asCallerError(e)));
  return { id: id.toString(), manifestId: BigInt(added!.manifestId) };
}

/** Sets checkpoint `id` to expire `lifetime` from now (omitted: never). */
export async function refreshDbCheckpoint(
  inner: DbInner,
  id: string,
  lifetime: string | number | undefined,
): Promise<void> {
  if (typeof id !== 'string') throw invalidError('INVALID_ARGUMENT', 'id must be a checkpoint UUID string');
  const uuid = Uuid.parse(id);
  const ms = lifetime === undefined ? undefined : parseDurationMs(lifetime, 'lifetime');
  inner.checkOpen();
  await inner.pollManifest().catch((e) => Promise.reject(asCallerError(e)));
  await inner
    .updateManifest((local) =>
      withRefreshedCheckpoint(local, uuid, ms === undefined ? 0 : toU32Seconds(inner.clock.nowMs() + ms)),
    )
    .catch((e) => Promise.reject(asCallerError(e)));
}

/** Deletes checkpoint `id` (no manifest is written when it does not exist). */
export async function deleteDbCheckpoint(inner: DbInner, id: string): Promise<void> {
  if (typeof id !== 'string') throw invalidError('INVALID_ARGUMENT', 'id must be a checkpoint UUID string');
  const uuid = Uuid.parse(id);
  inner.checkOpen();
  await inner.pollManifest().catch((e) => Promise.reject(asCallerError(e)));
  await inner
    .updateManifest((local) => withoutCheckpoint(local, uuid))
    .catch((e) => Promise.reject(asCallerError(e)));
}

/** The checkpoints of the latest manifest (filtered by name as 0.12.1's list_checkpoints). */
export async function listDbCheckpoints(inner: DbInner, name: string | undefined): Promise<CheckpointInfo[]> {
  if (name !== undefined && typeof name !== 'string')
    throw invalidError('INVALID_ARGUMENT', 'name must be a string');
  inner.checkOpen();
  await inner.pollManifest().catch((e) => Promise.reject(asCallerError(e)));
  return filterCheckpoints(inner.manifest.checkpoints, name).map(toCheckpointInfo);
}
