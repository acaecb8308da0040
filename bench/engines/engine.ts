/**
 * BenchEngine: the one interface every engine adapter implements (ShaleDB, SlateDB, LevelDB, LMDB, RocksDB), so
 * a workload drives each engine through the same calls: open, put, putBatch, get, getMany?, scan, drain, settle,
 * close, and a capabilities record saying what the engine can do natively.
 *
 * Invariants: an adapter instance opens at most one database at a time, in a directory the harness made fresh for
 * it, and releases every native handle in `close`. `durable` means the engine's own durability promise (see
 * bench/README.md); non-durable means its fastest mode that still writes. An operation may return synchronously
 * (no promise) when the engine answers synchronously. `drain` ends every measured window (bench/README.md, "Timing"):
 * after it, no work that an acknowledged write deferred under the engine's write mode is still pending.
 * Concurrency: calls may overlap (the durable workload issues up to 256 at once); `open`, `settle` and `close`
 * are never concurrent with anything else.
 */
import type { Progress } from '../lib/progress.js';

/** Engine identifiers, in the order reports list them. */
export const ENGINE_IDS = ['shaledb', 'shaledb-journal', 'slatedb', 'leveldb', 'lmdb', 'rocksdb'] as const;

/** One of {@link ENGINE_IDS}. */
export type EngineId = (typeof ENGINE_IDS)[number];

/** What an engine does natively. */
export interface EngineCapabilities {
  /** Its only durable home is an object store (WAL flush interval and request counts apply). */
  readonly objectStore: boolean;
  /** `get` answers synchronously when it can (no promise per read). */
  readonly syncGet: boolean;
  /** `getMany` is a native batched read. */
  readonly getMany: boolean;
  /** `requestCounts` reports object-store requests. */
  readonly requestCounts: boolean;
  /** How `settle` reaches the compacted state: an explicit call, waiting for background work, or not needed. */
  readonly compaction: 'explicit' | 'background' | 'none';
  /** Concurrent durable writers share one sync or upload (group commit). */
  readonly groupCommit: boolean;
}

/** How to open a database. */
export interface EngineOpenOptions {
  /** A fresh, empty directory on the local disk, used as the engine's directory or file:// store root. */
  readonly dir: string;
  /** WAL flush interval of the object-store engines, ms. */
  readonly flushIntervalMs: number;
  /** Opened for durable writes (LMDB's environment differs between the two modes). */
  readonly durable: boolean;
  /** Poll interval of the object-store engines' compactors, ms (the harness waits on it in `settle`). */
  readonly compactorPollMs: number;
  /** ShaleDB only: put the object-store layer's S3 latency model between the engine and the local store. */
  readonly s3Model?: boolean;
}

/** A key range for scans: `[gte, lt)`, at most `limit` rows. */
export interface ScanRange {
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly limit?: number;
}

/** Receives one row of a scan; returning false stops the scan. */
export type ScanVisitor = (key: Uint8Array, value: Uint8Array) => boolean | undefined;

/** What `settle` did, for the report. */
export interface SettleResult {
  readonly ms: number;
  readonly notes: readonly string[];
}

/** Object-store requests by API name, cumulative since open. */
export type RequestCounts = Readonly<Record<string, number>>;

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** One open database of one engine. */
export interface BenchEngine {
  readonly id: EngineId;
  readonly capabilities: EngineCapabilities;
  /** Opens (creating if needed) the database in `options.dir`. */
  open(options: EngineOpenOptions): Promise<void>;
  /** Writes one key. */
  put(key: Uint8Array, value: Uint8Array, durable: boolean): MaybePromise<void>;
  /** Writes keys[i] = values[i] atomically, as one batch. */
  putBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], durable: boolean): Promise<void>;
  /** Reads one key. */
  get(key: Uint8Array): MaybePromise<Uint8Array | undefined>;
  /** Reads several keys in one call (only when `capabilities.getMany`). */
  getMany?(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  /** Visits rows of `range` in key order until `visit` returns false; returns how many were visited. */
  scan(range: ScanRange, visit: ScanVisitor): Promise<number>;
  /**
   * Finishes the work that writes acknowledged so far deferred in their mode, so a phase's window holds all of the
   * work its writes created: ShaleDB and SlateDB write their WAL buffer to the object store (a WAL flush), LMDB
   * waits for its `flushed` promise; LevelDB and RocksDB have nothing to finish (a `sync: false` write has
   * handed its log record to the OS before it resolves). Returns synchronously when there is nothing to wait for.
   * Flushes of memtables to sorted files and compactions are background work in every LSM engine here and are
   * not waited for (see bench/README.md).
   */
  drain(): MaybePromise<void>;
  /** Flushes everything to the engine's sorted files and waits until compaction is done (or not needed). */
  settle(progress?: Progress): Promise<SettleResult>;
  /** Object-store requests so far (only when `capabilities.requestCounts`). */
  requestCounts?(): RequestCounts;
  /** Closes the database and releases every handle. Idempotent. */
  close(): Promise<void>;
  /** Configuration notes for the report (modes, APIs used, settings). */
  describe(): readonly string[];
}

/** An engine the harness knows: how to check it is usable and how to make adapter instances. */
export interface EngineDefinition {
  readonly id: EngineId;
  /** Display name with version, e.g. "LevelDB (classic-level 3.0.0)". */
  readonly label: string;
  /** In the default engine set. */
  readonly defaultEnabled: boolean;
  /** Why it is not in the default set, when it is not. */
  readonly excludedReason?: string;
  /** Resolves to undefined when usable, or to the reason it is not. */
  probe(): Promise<string | undefined>;
  /** A new adapter instance (closed). */
  create(): BenchEngine;
}
