/**
 * Manifest collection (SlateDB 0.12.1 `ManifestGcTask`): deletes every manifest version that is not the latest,
 * is not named by a checkpoint of the latest, and was last modified more than the minimum age ago
 * (docs/gc.md#manifests).
 *
 * Invariants: the latest listed version is never deleted; neither is any version a checkpoint of the latest
 * names. Before deleting, the latest manifest is read again and anything it now protects is dropped from the
 * plan (0.12.1 re-checks before each delete; one re-check before the batch is equivalent, because a checkpoint
 * created meanwhile names a version newer than every candidate or one an existing checkpoint already names).
 * Concurrency: safe beside writers, compactors, readers and other collectors.
 */
import { dataError } from '../util/errors.js';
import type { GcStore } from './gc-store.js';
import { type GcPlan, type GcTaskInput, judgedLatest, olderThanMinAge } from './gc-task.js';

/** Chooses the manifest versions to delete. */
export async function planManifestGc(input: GcTaskInput): Promise<GcPlan> {
  const { gcStore } = input;
  const versions = await gcStore.listManifests();
  const last = versions[versions.length - 1];
  if (last === undefined) {
    throw dataError('MANIFEST_MISSING', `${gcStore.manifests.dir}: no manifest (is this a database?)`);
  }
  const latest = judgedLatest(input, { id: last.id, manifest: await gcStore.manifests.read(last.id) });
  const pinned = new Set(latest.manifest.checkpoints.map((c) => c.manifestId));
  const paths = versions
    .filter((v) => v.id < latest.id && !pinned.has(v.id) && olderThanMinAge(input, v.lastModifiedMs))
    .map((v) => v.path);
  return { listed: versions.length, paths };
}

/** Drops from `paths` any version the current latest manifest protects (the re-check before deleting). */
export async function confirmManifestGarbage(gcStore: GcStore, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const latest = await gcStore.readLatestManifest();
  const pinned = new Set(latest.manifest.checkpoints.map((c) => c.manifestId));
  return paths.filter((p) => {
    const id = gcStore.manifests.parseId(p);
    return id !== undefined && id < latest.id && !pinned.has(id);
  });
}
