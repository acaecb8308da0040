/**
 * The local disk cache's options: SlateDB 0.12.1's `ObjectStoreCacheOptions` in camelCase with its defaults, and
 * their validation. The cache is off unless `rootFolder` is set.
 *
 * Invariants: `resolveObjectStoreCacheOptions` returns fully valid options (part size a positive multiple of 1 KiB,
 * sizes safe integers) or throws an 'invalid' INVALID_SETTING error naming the option; unknown names are rejected.
 * Concurrency: pure.
 */
import { parseDurationMs } from '../../util/duration.js';
import { invalidError } from '../../util/errors.js';

/** Which SSTs to load into the disk cache when a database opens (0.12.1 `PreloadLevel`). */
export type PreloadLevel = 'L0Sst' | 'AllSst';

/** 0.12.1 `ObjectStoreCacheOptions`. */
export interface ObjectStoreCacheOptions {
  /** Folder for the cache files; null disables the cache. Default null. */
  rootFolder: string | null;
  /** Bound on the bytes of cached parts; null = unbounded. Default 16 GiB. */
  maxCacheSizeBytes: number | null;
  /** Objects are cached in parts of this size (a multiple of 1 KiB). Default 4 MiB. */
  partSizeBytes: number;
  /** Also cache what this process writes (L0 flushes, compaction outputs, WAL SSTs). Default false. */
  cachePuts: boolean;
  /** Load SSTs into the cache on open, up to the size bound. Default null (no preload). */
  preloadDiskCacheOnStartup: PreloadLevel | null;
  /** Accepted for 0.12.1 compatibility: ShaleDB keeps an exact index and scans the folder only on open. */
  scanInterval: string | number | null;
}

/** Validated cache options (null when the cache is off). */
export interface ResolvedObjectStoreCacheOptions {
  readonly rootFolder: string;
  readonly maxCacheSizeBytes: number | null;
  readonly partSizeBytes: number;
  readonly cachePuts: boolean;
  readonly preloadDiskCacheOnStartup: PreloadLevel | null;
  readonly scanIntervalMs: number | null;
}

const KIB = 1024;

/** 0.12.1's defaults. */
export function defaultObjectStoreCacheOptions(): ObjectStoreCacheOptions {
  return {
    rootFolder: null,
    maxCacheSizeBytes: 16 * KIB * KIB * KIB,
    partSizeBytes: 4 * KIB * KIB,
    cachePuts: false,
    preloadDiskCacheOnStartup: null,
    scanInterval: '3600s',
  };
}

function bad(name: string, why: string): never {
  throw invalidError('INVALID_SETTING', `setting objectStoreCacheOptions.${name}: ${why}`);
}

/** Accepts 0.12.1's spellings ("L0Sst", "AllSst") case-insensitively, and snake_case ("l0_sst"). */
function preloadLevel(v: unknown): PreloadLevel | null {
  if (v === null) return null;
  const s = typeof v === 'string' ? v.replaceAll('_', '').toLowerCase() : '';
  if (s === 'l0sst') return 'L0Sst';
  if (s === 'allsst') return 'AllSst';
  return bad('preloadDiskCacheOnStartup', `expected "L0Sst", "AllSst" or null, got ${JSON.stringify(v)}`);
}

/** Merges `input` over the defaults and validates; null when no root folder is set (cache off). */
export function resolveObjectStoreCacheOptions(
  input: Partial<ObjectStoreCacheOptions> | undefined,
): ResolvedObjectStoreCacheOptions | null {
  if (input === undefined) return null;
  if (typeof input !== 'object' || input === null) bad('', 'expected an object');
  const d = defaultObjectStoreCacheOptions();
  const known = Object.keys(d);
  for (const k of Object.keys(input)) {
    if (!known.includes(k)) bad(k, `unknown setting (known: ${known.join(', ')})`);
  }
  const o = { ...d, ...input };
  if (o.rootFolder !== null && (typeof o.rootFolder !== 'string' || o.rootFolder === '')) {
    bad('rootFolder', 'expected a non-empty path or null');
  }
  const max = o.maxCacheSizeBytes;
  if (max !== null && (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0)) {
    bad('maxCacheSizeBytes', `expected a non-negative integer or null, got ${JSON.stringify(max)}`);
  }
  const part = o.partSizeBytes;
  if (typeof part !== 'number' || !Number.isSafeInteger(part) || part <= 0 || part % KIB !== 0) {
    bad('partSizeBytes', `expected a positive multiple of 1024, got ${JSON.stringify(part)}`);
  }
  if (part > 1024 * KIB * KIB) bad('partSizeBytes', 'at most 1 GiB');
  if (typeof o.cachePuts !== 'boolean') bad('cachePuts', 'expected a boolean');
  const preload = preloadLevel(o.preloadDiskCacheOnStartup);
  const scan =
    o.scanInterval === null ? null : parseDurationMs(o.scanInterval, 'objectStoreCacheOptions.scanInterval');
  if (o.rootFolder === null) return null;
  return {
    rootFolder: o.rootFolder,
    maxCacheSizeBytes: max,
    partSizeBytes: part,
    cachePuts: o.cachePuts,
    preloadDiskCacheOnStartup: preload,
    scanIntervalMs: scan,
  };
}
