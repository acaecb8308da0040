/**
 * Settings: the database options, with SlateDB 0.12.1's names in camelCase and its defaults, and their validation.
 * Durations are given as SlateDB strings ("100ms", "5s", "1s+500ms") or numbers of milliseconds; `null` means
 * "none" where SlateDB allows it.
 *
 * Invariants: `resolveSettings` either returns a fully valid ResolvedSettings (every number finite and in range)
 * or throws an 'invalid' INVALID_SETTING error naming the setting; unknown setting names are rejected.
 * Concurrency: pure.
 */
import { checkCodecAvailable } from '../format/compression.js';
import { parseDurationMs } from '../util/duration.js';
import { invalidError } from '../util/errors.js';

/** A duration as SlateDB 0.12.1 writes one ("100ms", "1s 500ms", "1h30m", "0"; see util/duration.ts), or milliseconds. */
export type Duration = string | number;

/** Block compression for new SSTs (null = none). */
export type CompressionCodec = 'snappy' | 'zlib' | 'lz4' | 'zstd' | null;

/** Compactor options (0.12.1 `CompactorOptions`). */
export interface CompactorOptions {
  /** Refresh and scheduling tick. Default "5s". */
  pollInterval: Duration;
  /** Bound on the compactor's epoch initialisation. Default "300s". */
  manifestUpdateTimeout: Duration;
  /** Roll an output SST after more than this many encoded bytes. Default 256 MiB. */
  maxSstSize: number;
  /** Concurrent compactions (also caps the scheduler's proposals). Default 4. */
  maxConcurrentCompactions: number;
  /**
   * 0.12.1's parallel block fetches per compaction input. Default 4. Accepted and validated for compatibility but
   * not used: ShaleDB's compaction reads each input ahead by bytes (4 MiB), not by a count of fetch tasks.
   */
  maxFetchTasks: number;
  /** Size-tiered scheduler options: min_compaction_sources, max_compaction_sources, include_size_threshold. */
  schedulerOptions: Record<string, string>;
  /** Split compactions into parallel key ranges (ShaleDB only). Default 1 (off). */
  subcompactions: number;
}

/** Per-directory GC options (0.12.1 `GarbageCollectorDirectoryOptions`). */
export interface GarbageCollectorDirectoryOptions {
  /** How often to run; null falls back to 60 s as in 0.12.1. Default "60s". */
  interval: Duration | null;
  /** Only objects older than this are deleted. Default "300s". */
  minAge: Duration;
}

/** GC options; a null entry disables that directory's collection. */
export interface GarbageCollectorOptions {
  manifestOptions: Partial<GarbageCollectorDirectoryOptions> | null;
  walOptions: Partial<GarbageCollectorDirectoryOptions> | null;
  compactedOptions: Partial<GarbageCollectorDirectoryOptions> | null;
  compactionsOptions: Partial<GarbageCollectorDirectoryOptions> | null;
}

/** Database settings (0.12.1 `Settings`). */
export interface Settings {
  /** WAL flush timer; null = flush only on size, flush() or close. Default "100ms". */
  flushInterval: Duration | null;
  /** false = no WAL: writes are durable only once flushed to L0. Default true. */
  walEnabled: boolean;
  /** Manifest poll (fencing detection, compactor results) and L0 upload retry backoff. Default "1s". */
  manifestPollInterval: Duration;
  /** Bound on the writer-epoch initialisation loop. Default "300s". */
  manifestUpdateTimeout: Duration;
  /** Build a bloom filter for SSTs with at least this many rows. Default 1000. */
  minFilterKeys: number;
  /** Bloom filter bits per row. Default 10. */
  filterBitsPerKey: number;
  /** Memtable freeze and WAL buffer flush threshold (estimated bytes). Default 64 MiB. */
  l0SstSizeBytes: number;
  /** L0 uploads stall while this many L0 SSTs exist. Default 8. */
  l0MaxSsts: number;
  /** Parallel L0 uploads. Default 4. */
  l0FlushParallelism: number;
  /** Writers wait while unflushed bytes (WAL buffer + immutable memtables) reach this. Default 1 GiB. */
  maxUnflushedBytes: number;
  /** null = no embedded compactor; omitted fields take their defaults. */
  compactorOptions: Partial<CompactorOptions> | null;
  /** Compression of new SSTs. Default null (none). */
  compressionCodec: CompressionCodec;
  /** null = no embedded garbage collector; omitted fields take their defaults. */
  garbageCollectorOptions: Partial<GarbageCollectorOptions> | null;
  /** TTL in ms for writes that use the default TTL; null = no expiry. Default null. */
  defaultTtl: number | null;
}

/** Settings with every duration resolved to milliseconds. */
export interface ResolvedSettings {
  readonly flushIntervalMs: number | null;
  readonly walEnabled: boolean;
  readonly manifestPollIntervalMs: number;
  readonly manifestUpdateTimeoutMs: number;
  readonly minFilterKeys: number;
  readonly filterBitsPerKey: number;
  readonly l0SstSizeBytes: number;
  readonly l0MaxSsts: number;
  readonly l0FlushParallelism: number;
  readonly maxUnflushedBytes: number;
  readonly compactorOptions: ResolvedCompactorOptions | null;
  readonly compressionCodec: CompressionCodec;
  readonly garbageCollectorOptions: ResolvedGcOptions | null;
  readonly defaultTtlMs: number | null;
}

/** Compactor options with durations in ms. */
export interface ResolvedCompactorOptions {
  readonly pollIntervalMs: number;
  readonly manifestUpdateTimeoutMs: number;
  readonly maxSstSize: number;
  readonly maxConcurrentCompactions: number;
  readonly maxFetchTasks: number;
  readonly schedulerOptions: Readonly<Record<string, string>>;
  readonly subcompactions: number;
}

/** One GC directory's options in ms. */
export interface ResolvedGcDirectoryOptions {
  readonly intervalMs: number;
  readonly minAgeMs: number;
}

/** GC options in ms. */
export interface ResolvedGcOptions {
  readonly manifest: ResolvedGcDirectoryOptions | null;
  readonly wal: ResolvedGcDirectoryOptions | null;
  readonly compacted: ResolvedGcDirectoryOptions | null;
  readonly compactions: ResolvedGcDirectoryOptions | null;
}

const MIB = 1024 * 1024;

/** SlateDB 0.12.1's default compactor options. */
export function defaultCompactorOptions(): CompactorOptions {
  return {
    pollInterval: '5s',
    manifestUpdateTimeout: '300s',
    maxSstSize: 256 * MIB,
    maxConcurrentCompactions: 4,
    maxFetchTasks: 4,
    schedulerOptions: {},
    subcompactions: 1,
  };
}

/** SlateDB 0.12.1's default GC options. */
export function defaultGarbageCollectorOptions(): GarbageCollectorOptions {
  const dir = (): GarbageCollectorDirectoryOptions => ({ interval: '60s', minAge: '300s' });
  return { manifestOptions: dir(), walOptions: dir(), compactedOptions: dir(), compactionsOptions: dir() };
}

/** SlateDB 0.12.1's `Settings::default()`. */
export function defaultSettings(): Settings {
  return {
    flushInterval: '100ms',
    walEnabled: true,
    manifestPollInterval: '1s',
    manifestUpdateTimeout: '300s',
    minFilterKeys: 1000,
    filterBitsPerKey: 10,
    l0SstSizeBytes: 64 * MIB,
    l0MaxSsts: 8,
    l0FlushParallelism: 4,
    maxUnflushedBytes: 1024 * MIB,
    compactorOptions: defaultCompactorOptions(),
    compressionCodec: null,
    garbageCollectorOptions: defaultGarbageCollectorOptions(),
    defaultTtl: null,
  };
}

function bad(name: string, why: string): never {
  throw invalidError('INVALID_SETTING', `setting ${name}: ${why}`);
}

function int(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    bad(name, `expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function positiveDuration(v: unknown, name: string): number {
  const ms = parseDurationMs(v as Duration, name);
  if (ms <= 0) bad(name, 'must be greater than zero');
  return ms;
}

function checkKeys(obj: object, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) bad(`${where}${k}`, `unknown setting (known: ${allowed.join(', ')})`);
  }
}

function resolveCompactor(c: Partial<CompactorOptions>): ResolvedCompactorOptions {
  const d = defaultCompactorOptions();
  checkKeys(c, Object.keys(d), 'compactorOptions.');
  const m = { ...d, ...c };
  const sched = m.schedulerOptions;
  if (typeof sched !== 'object' || sched === null)
    bad('compactorOptions.schedulerOptions', 'expected an object');
  for (const [k, v] of Object.entries(sched)) {
    if (typeof v !== 'string')
      bad(`compactorOptions.schedulerOptions.${k}`, 'values are strings, as in SlateDB');
  }
  return {
    pollIntervalMs: positiveDuration(m.pollInterval, 'compactorOptions.pollInterval'),
    manifestUpdateTimeoutMs: positiveDuration(
      m.manifestUpdateTimeout,
      'compactorOptions.manifestUpdateTimeout',
    ),
    maxSstSize: int(m.maxSstSize, 'compactorOptions.maxSstSize', 1),
    maxConcurrentCompactions: int(
      m.maxConcurrentCompactions,
      'compactorOptions.maxConcurrentCompactions',
      1,
      1024,
    ),
    maxFetchTasks: int(m.maxFetchTasks, 'compactorOptions.maxFetchTasks', 1, 1024),
    schedulerOptions: { ...sched },
    subcompactions: int(m.subcompactions, 'compactorOptions.subcompactions', 1, 64),
  };
}

function resolveGcDir(
  v: Partial<GarbageCollectorDirectoryOptions> | null | undefined,
  name: string,
): ResolvedGcDirectoryOptions | null {
  if (v === null) return null;
  const d = { interval: '60s', minAge: '300s', ...(v ?? {}) };
  checkKeys(d, ['interval', 'minAge'], `garbageCollectorOptions.${name}.`);
  return {
    intervalMs:
      d.interval === null ? 60_000 : positiveDuration(d.interval, `garbageCollectorOptions.${name}.interval`),
    minAgeMs: parseDurationMs(d.minAge, `garbageCollectorOptions.${name}.minAge`),
  };
}

function resolveGc(g: Partial<GarbageCollectorOptions>): ResolvedGcOptions | null {
  checkKeys(
    g,
    ['manifestOptions', 'walOptions', 'compactedOptions', 'compactionsOptions'],
    'garbageCollectorOptions.',
  );
  const r = {
    manifest: resolveGcDir(g.manifestOptions, 'manifestOptions'),
    wal: resolveGcDir(g.walOptions, 'walOptions'),
    compacted: resolveGcDir(g.compactedOptions, 'compactedOptions'),
    compactions: resolveGcDir(g.compactionsOptions, 'compactionsOptions'),
  };
  if (r.manifest === null && r.wal === null && r.compacted === null && r.compactions === null) return null;
  return r;
}

/** Merges `input` over the defaults and validates everything. */
export function resolveSettings(input: Partial<Settings> = {}): ResolvedSettings {
  if (typeof input !== 'object' || input === null) bad('settings', 'expected an object');
  const d = defaultSettings();
  checkKeys(input, Object.keys(d), '');
  const s: Settings = { ...d, ...input };
  if (typeof s.walEnabled !== 'boolean') bad('walEnabled', 'expected a boolean');
  const codecs = ['snappy', 'zlib', 'lz4', 'zstd', null];
  if (!codecs.includes(s.compressionCodec)) bad('compressionCodec', `expected one of ${codecs.join(', ')}`);
  if (s.compressionCodec !== null) checkCodecAvailable(s.compressionCodec);
  return {
    flushIntervalMs: s.flushInterval === null ? null : positiveDuration(s.flushInterval, 'flushInterval'),
    walEnabled: s.walEnabled,
    manifestPollIntervalMs: positiveDuration(s.manifestPollInterval, 'manifestPollInterval'),
    manifestUpdateTimeoutMs: positiveDuration(s.manifestUpdateTimeout, 'manifestUpdateTimeout'),
    minFilterKeys: int(s.minFilterKeys, 'minFilterKeys', 0, 0xffff_ffff),
    filterBitsPerKey: int(s.filterBitsPerKey, 'filterBitsPerKey', 1, 64),
    l0SstSizeBytes: int(s.l0SstSizeBytes, 'l0SstSizeBytes', 1),
    l0MaxSsts: int(s.l0MaxSsts, 'l0MaxSsts', 1, 100_000),
    l0FlushParallelism: int(s.l0FlushParallelism, 'l0FlushParallelism', 1, 1024),
    maxUnflushedBytes: int(s.maxUnflushedBytes, 'maxUnflushedBytes', 1),
    compactorOptions: s.compactorOptions === null ? null : resolveCompactor(s.compactorOptions ?? {}),
    compressionCodec: s.compressionCodec,
    garbageCollectorOptions:
      s.garbageCollectorOptions === null ? null : resolveGc(s.garbageCollectorOptions ?? {}),
    defaultTtlMs: s.defaultTtl === null ? null : int(s.defaultTtl, 'defaultTtl', 0),
  };
}
