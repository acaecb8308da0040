/**
 * The database's use of the local disk cache (`settings.objectStoreCacheOptions`): wraps the store in a
 * CachedObjectStore that caches compacted SSTs (L0 and sorted runs, ULID-named, never rewritten), and preloads
 * SSTs on open as 0.12.1's `preload_disk_cache_on_startup` does (L0 only, or all, newest first, up to the bound).
 *
 * Why only compacted SSTs: WAL SSTs and manifests have numeric ids that a database re-created at the same path
 * reuses, so a cached copy could outlive its object; they are also read rarely (open, replay).
 * Invariants: with the cache off the store is returned unchanged; preload failures are absorbed (a preload is an
 * optimisation and never fails an open).
 * Concurrency: runs during open.
 */
import type { Manifest } from '../format/manifest.js';
import { compactedSstPath, parseCompactedSstId } from '../format/object-paths.js';
import { CachedObjectStore } from '../object-store/disk-cache/cached-store.js';
import type { ResolvedObjectStoreCacheOptions } from '../object-store/disk-cache/options.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { compactedDir } from '../store/paths.js';

/** Wraps `store` in the disk cache when the settings ask for one. */
export async function withDiskCache(
  store: ObjectStore,
  root: string,
  options: ResolvedObjectStoreCacheOptions | null,
  onError?: (what: string, error: unknown) => void,
): Promise<ObjectStore> {
  if (options === null) return store;
  const dir = `${compactedDir(root)}/`;
  return CachedObjectStore.fromSettings(store, options, {
    cacheable: (p) => p.startsWith(dir) && p.endsWith('.sst') && parseCompactedSstId(p) !== undefined,
    ...(onError !== undefined ? { onError } : {}),
  });
}

/** Loads the manifest's SSTs into the cache when `preloadDiskCacheOnStartup` asks; returns how many were loaded. */
export async function preloadDiskCache(
  store: ObjectStore,
  root: string,
  manifest: Manifest,
  options: ResolvedObjectStoreCacheOptions | null,
): Promise<number> {
  if (options === null || options.preloadDiskCacheOnStartup === null) return 0;
  if (!(store instanceof CachedObjectStore)) return 0;
  const paths = manifest.l0.map((s) => compactedSstPath(root, s.id));
  if (options.preloadDiskCacheOnStartup === 'AllSst') {
    for (const run of manifest.compacted) for (const s of run.ssts) paths.push(compactedSstPath(root, s.id));
  }
  try {
    return await store.preload(paths, options.maxCacheSizeBytes ?? Number.MAX_SAFE_INTEGER);
  } catch {
    return 0;
  }
}
