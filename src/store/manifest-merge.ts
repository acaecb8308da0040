/**
 * Merging a remote manifest with a holder's local one, as SlateDB 0.12.1 does after a CAS conflict or a poll
 * (docs/design/0001-db-core.md; spec §6.4). The writer owns WAL and L0 bookkeeping; the compactor owns sorted
 * runs and `l0LastCompacted`; checkpoints and epochs always come from the remote version.
 *
 * Invariants: the writer never resurrects an L0 the compactor consumed (it keeps local L0 entries only up to, not
 * including, remote `l0LastCompacted`); the compactor never drops an L0 it has not consumed (it keeps remote L0
 * entries up to its own `l0LastCompacted`). Neither ever writes another holder's epoch.
 * Concurrency: pure functions.
 */
import type { CompactedSsTable, Manifest } from '../format/manifest.js';

/** L0 entries up to, not including, the one whose id is `lastCompacted` (all when it is absent or not found). */
export function l0NewerThan(
  l0: readonly CompactedSsTable[],
  lastCompacted: Manifest['l0LastCompacted'],
): CompactedSsTable[] {
  if (lastCompacted === undefined) return [...l0];
  const out: CompactedSsTable[] = [];
  for (const sst of l0) {
    if (sst.id.equals(lastCompacted)) break;
    out.push(sst);
  }
  return out;
}

/** The writer's merge: remote compaction results and checkpoints, local WAL/L0 bookkeeping. */
export function mergeRemoteIntoWriter(remote: Manifest, local: Manifest): Manifest {
  return {
    ...remote,
    initialized: local.initialized,
    l0: l0NewerThan(local.l0, remote.l0LastCompacted),
    walIdLastSeen: local.walIdLastSeen,
    replayAfterWalId: local.replayAfterWalId,
    lastL0ClockTick: local.lastL0ClockTick,
    lastL0Seq: local.lastL0Seq,
    recentSnapshotMinSeq: local.recentSnapshotMinSeq,
    sequenceTracker: local.sequenceTracker,
    walObjectStoreUri: local.walObjectStoreUri,
  };
}

/** The compactor's merge: remote writer progress, local sorted runs and `l0LastCompacted`. */
export function mergeRemoteIntoCompactor(remote: Manifest, local: Manifest): Manifest {
  return {
    ...remote,
    l0: l0NewerThan(remote.l0, local.l0LastCompacted),
    compacted: local.compacted,
    l0LastCompacted: local.l0LastCompacted,
  };
}
