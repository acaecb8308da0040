/**
 * Compacted-SST collection (SlateDB 0.12.1 `CompactedGcTask`): deletes L0 and sorted-run SSTs in this database's
 * own `compacted/` that no active manifest references and whose ULID time is before the cutoff
 * min(now - minAge, compaction low watermark, newest L0 time) (docs/gc.md#compacted-ssts).
 *
 * Invariants: the latest compactions file is read BEFORE the latest manifest (otherwise a compaction finishing
 * in between could leave its outputs in neither view and below the watermark); active = the latest manifest plus
 * every manifest its checkpoints name, and any of them that cannot be read fails the task; the low watermark is
 * the oldest compaction id's ULID time in the latest compactions file, or the Unix epoch when there is no file or
 * no compaction (nothing is then deleted); the newest L0 time is the newest L0 ULID time in the latest manifest,
 * else `l0LastCompacted`'s, else the epoch.
 * Concurrency: safe beside a writer (an L0 written but not yet in a manifest is newer than every L0 in it) and a
 * compactor (an output written but not yet in a manifest is newer than its compaction's id, which is in the
 * compactions file until a later file replaces it with a newer compaction).
 */
import type { Compactions } from '../format/compactions.js';
import type { Manifest } from '../format/manifest.js';
import { type GcPlan, type GcTaskInput, judgedLatest } from './gc-task.js';

/** The oldest compaction id's ULID time, or 0 (the epoch) without a file or compactions. */
export function compactionLowWatermarkMs(compactions: Compactions | undefined): number {
  if (compactions === undefined || compactions.recentCompactions.length === 0) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const c of compactions.recentCompactions) min = Math.min(min, c.id.timestampMs);
  return min;
}

/** The newest L0's ULID time, else `l0LastCompacted`'s, else 0 (the epoch). */
export function newestL0TimeMs(m: Manifest): number {
  if (m.l0.length > 0) {
    let max = 0;
    for (const sst of m.l0) max = Math.max(max, sst.id.timestampMs);
    return max;
  }
  const last = m.l0LastCompacted ?? m.l0LastCompactedViewId;
  return last === undefined ? 0 : last.timestampMs;
}

/** Chooses the compacted SSTs to delete. */
export async function planCompactedGc(input: GcTaskInput): Promise<GcPlan> {
  const { gcStore } = input;
  // Order matters: compactions first, then the manifest (see the file header).
  const compactions = await gcStore.readLatestCompactions();
  const latest = judgedLatest(input, await gcStore.readLatestManifest());
  const active = new Set<string>();
  for (const m of (await gcStore.readReferencedManifests(latest)).values()) {
    for (const sst of m.l0) active.add(sst.id.toString());
    for (const sr of m.compacted) for (const sst of sr.ssts) active.add(sst.id.toString());
  }
  const cutoffMs = Math.min(
    input.nowMs - input.minAgeMs,
    compactionLowWatermarkMs(compactions),
    newestL0TimeMs(latest.manifest),
  );
  const ssts = await gcStore.listCompactedSsts();
  const paths = ssts
    .filter((s) => s.id.timestampMs < cutoffMs && !active.has(s.id.toString()))
    .map((s) => s.path);
  return { listed: ssts.length, paths, cutoffMs };
}
