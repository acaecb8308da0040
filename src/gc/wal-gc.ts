/**
 * WAL collection (SlateDB 0.12.1 `WalGcTask`): deletes WAL SSTs (and writer fences) whose id is strictly below
 * the latest manifest's `replayAfterWalId`, that were last modified more than the minimum age ago, and that no
 * active manifest needs (docs/gc.md#wal).
 *
 * Invariants: active = the latest manifest plus every manifest its checkpoints name; a manifest needs WAL id w iff
 * replayAfterWalId < w < walIdLastSeen + 1; if any checkpointed manifest cannot be read, the task fails and
 * deletes nothing; a database whose WAL lives in a separate object store (which ShaleDB does not support) fails
 * the task instead of reporting an empty WAL.
 * Concurrency: safe beside a writer: everything below the latest `replayAfterWalId` is already in L0 or a sorted
 * run of every manifest from that one on, and the writer only moves `replayAfterWalId` forward.
 */
import { invalidError } from '../util/errors.js';
import {
  type GcPlan,
  type GcTaskInput,
  judgedLatest,
  manifestReferencesWal,
  olderThanMinAge,
} from './gc-task.js';

/** Chooses the WAL SSTs to delete. */
export async function planWalGc(input: GcTaskInput): Promise<GcPlan> {
  const { gcStore } = input;
  const latest = judgedLatest(input, await gcStore.readLatestManifest());
  if (latest.manifest.walObjectStoreUri !== undefined) {
    throw invalidError(
      'WAL_STORE_RECONFIGURATION',
      'the database keeps its WAL in a separate object store, which ShaleDB does not support',
    );
  }
  const active = [...(await gcStore.readReferencedManifests(latest)).values()];
  const wal = await gcStore.listWalSsts();
  const replayAfter = latest.manifest.replayAfterWalId;
  const paths = wal
    .filter(
      (w) =>
        w.id < replayAfter &&
        olderThanMinAge(input, w.lastModifiedMs) &&
        !active.some((m) => manifestReferencesWal(m, w.id)),
    )
    .map((w) => w.path);
  return { listed: wal.length, paths };
}
