/**
 * The database's use of the local disk cache (`settings.objectStoreCacheOptions`): wraps the store in a
 * CachedObjectStore that caches compacted SSTs (L0 and sorted runs, ULID-named, never rewritten; a clone's shared
 * SSTs under its parent's root count too), and preloads
 * SSTs on open as 0.12.1's `preload_disk_cache_on_startup` does (L0 only, or all, newest first, up to the bound).
 *
 * Why only compacted SSTs: WAL SSTs and manifests have numeric ids that a database re-created at the same path
 * reuses, so a cached copy could outlive its object; they are also read rarely (open, replay).
 * Invariants: with the cache off the store is returned unchanged; preload failures are absorbed (a preload is an
 * optimisation and never fails an open).
 * Concurrency: runs during open.
 */
import type { Manifest } from '../format/manifest.js';
import { COMPACTED_DIR, parseCompactedSstId } from '../format/object-paths.js';
import { CachedObjectStore } from '../object-store/disk-cache/cached-store.js';
import type { ResolvedObjectStoreCacheOptions } from '../object-store/disk-cache/options.js';
import type { ObjectStore } from '../object-store/object-store.js';
import type { SstPaths } from '../store/sst-paths.js';

/** True for `…/compacted/{ULID}.sst`: this database's SSTs, or (for a clone) those of a database it shares. */
function isCompactedSst(p: string): boolean {
  if (!p.endsWith('.sst') || parseCompactedSstId(p) === undefined) return false;
  const parts = p.split('/');
  return parts.length >= 2 && parts[parts.length - 2] === COMPACTED_DIR;
}

/** Wraps `store` in the disk cache when the settings ask for one. */
export async function withDiskCache(
  store: ObjectStore,
  options: ResolvedObjectStoreCacheOptions | null,
  onError?: (what: string, error: unknown) => void,
): Promise<ObjectStore> {
  if (options === null) return store;
  return CachedObjectStore.fromSettings(store, options, {
    cacheable: isCompactedSst,
    ...(onError !== undefined ? { onError } : {}),
  });
}

/** Loads the manifest's SSTs into the cache when `preloadDiskCacheOnStartup` asks; returns how many were loaded. */
export async function preloadDiskCache(
  store: ObjectStore,
  paths: SstPaths,
  manifest: Manifest,
  options: ResolvedObjectStoreCacheOptions | null,
): Promise<number> {
  if (options === null || options.preloadDiskCacheOnStartup === null) return 0;
  if (!(store instanceof CachedObjectStore)) return 0;
  const toLoad = manifest.l0.map((s) => paths.compactedPath(s.id));
  if (options.preloadDiskCacheOnStartup === 'AllSst') {
    for (const run of manifest.compacted) for (const s of run.ssts) toLoad.push(paths.compactedPath(s.id));
  }
  try {
    return await store.preload(toLoad, options.maxCacheSizeBytes ?? Number.MAX_SAFE_INTEGER);
  } catch {
    return 0;
  }
}
