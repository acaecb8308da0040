/**
 * openGarbageCollector: builds a standalone collector for the database at `path` in a store (or a store URL),
 * from SlateDB-named GC options with 0.12.1's defaults (every resource: interval 60 s, minimum age 300 s) and
 * optional overrides for every resource's minimum age and interval (docs/gc.md#running-it).
 *
 * Invariants: options are validated like database settings ('invalid' INVALID_SETTING naming the option); a store
 * opened from a URL is owned by the collector and closed by `close()`; the store is wrapped in a retrying store
 * when given as a URL (as Db.open does).
 * Concurrency: the returned collector follows GarbageCollector's rules.
 */

import type { ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { normalizeRoot } from '../store/paths.js';
import {
  type Duration,
  type GarbageCollectorOptions,
  type ResolvedGcDirectoryOptions,
  type ResolvedGcOptions,
  resolveSettings,
} from '../store/settings.js';
import { type Clock, systemClock } from '../util/clock.js';
import { parseDurationMs } from '../util/duration.js';
import { invalidError } from '../util/errors.js';
import { type Rand, systemRand } from '../util/random.js';
import { GarbageCollector } from './garbage-collector.js';
import type { GcResourceReport } from './gc-report.js';

/** Options of {@link openGarbageCollector}. */
export interface GcOpenOptions {
  /** Per-resource options with SlateDB's names; omitted entries take 0.12.1's defaults, null disables one. */
  readonly garbageCollectorOptions?: Partial<GarbageCollectorOptions>;
  /** Overrides the minimum age of every configured resource. */
  readonly minAge?: Duration;
  /** Overrides the interval of every configured resource. */
  readonly interval?: Duration;
  /** Called with every task's report. */
  readonly onReport?: (report: GcResourceReport) => void;
  /** @internal Injected clock (tests). */
  readonly clock?: Clock;
  /** @internal Injected randomness (tests). */
  readonly rand?: Rand;
}

const NONE: ResolvedGcOptions = { manifest: null, wal: null, compacted: null, compactions: null };

/** Resolves GC options with 0.12.1's defaults and applies the overrides. */
export function resolveGcOpenOptions(options: GcOpenOptions): ResolvedGcOptions {
  const gc = options.garbageCollectorOptions ?? {};
  if (typeof gc !== 'object' || gc === null) {
    throw invalidError('INVALID_SETTING', 'garbageCollectorOptions must be an object');
  }
  const resolved = resolveSettings({
    garbageCollectorOptions: { ...gc } as GarbageCollectorOptions,
  }).garbageCollectorOptions;
  const minAgeMs = options.minAge === undefined ? undefined : parseDurationMs(options.minAge, 'minAge');
  const intervalMs =
    options.interval === undefined ? undefined : parseDurationMs(options.interval, 'interval');
  if (intervalMs !== undefined && intervalMs <= 0) {
    throw invalidError('INVALID_SETTING', 'setting interval: must be greater than zero');
  }
  const apply = (d: ResolvedGcDirectoryOptions | null): ResolvedGcDirectoryOptions | null =>
    d === null ? null : { intervalMs: intervalMs ?? d.intervalMs, minAgeMs: minAgeMs ?? d.minAgeMs };
  const r = resolved ?? NONE;
  return {
    manifest: apply(r.manifest),
    wal: apply(r.wal),
    compacted: apply(r.compacted),
    compactions: apply(r.compactions),
  };
}

/** Opens a garbage collector for the database at `path` (it does not start collecting until asked). */
export async function openGarbageCollector(
  path: string,
  store: ObjectStore | string,
  options: GcOpenOptions = {},
): Promise<GarbageCollector> {
  if (typeof path !== 'string') throw invalidError('INVALID_ARGUMENT', 'path must be a string');
  const root = normalizeRoot(path);
  const resolved = resolveGcOpenOptions(options);
  const clock = options.clock ?? systemClock;
  const rand = options.rand ?? systemRand;
  let s: ObjectStore;
  let owned: ObjectStore | undefined;
  if (typeof store === 'string') {
    s = await resolveObjectStore(store, { clock, rand });
    owned = s;
  } else if (store !== null && typeof store === 'object' && typeof store.delete === 'function') {
    s = store;
  } else {
    throw invalidError('INVALID_ARGUMENT', 'store must be an ObjectStore or a URL string');
  }
  return new GarbageCollector({
    store: s,
    root,
    options: resolved,
    clock,
    rand,
    onReport: options.onReport,
    ownedStore: owned,
  });
}
