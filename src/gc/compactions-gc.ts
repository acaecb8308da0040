/**
 * Compactions-file collection (SlateDB 0.12.1 `CompactionsGcTask`): deletes every `.compactions` version except
 * the newest, once it was last modified more than the minimum age ago (docs/gc.md#compactions).
 *
 * Invariants: the newest listed version is never deleted (it holds the compactor epoch and the compaction low
 * watermark); the contents of older versions are never needed.
 * Concurrency: safe beside a compactor: it only ever reads or replaces the newest version.
 */
import { type GcPlan, type GcTaskInput, olderThanMinAge } from './gc-task.js';

/** Chooses the compactions files to delete. */
export async function planCompactionsGc(input: GcTaskInput): Promise<GcPlan> {
  const versions = await input.gcStore.listCompactions();
  const older = versions.slice(0, -1);
  const paths = older.filter((v) => olderThanMinAge(input, v.lastModifiedMs)).map((v) => v.path);
  return { listed: versions.length, paths };
}
