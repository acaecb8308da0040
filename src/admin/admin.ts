/**
 * Admin: administration of one database without opening a writer, at parity with SlateDB 0.12.1's
 * `slatedb::admin::Admin` (docs/admin.md): read and list manifests and compactions files, manage checkpoints,
 * convert seq ↔ time with the manifest's sequence tracker, run garbage collection and the compactor, and delete the
 * database. `openAdmin(path, store)` builds one; results are typed values, and admin-json.ts turns them into the
 * JSON the `slatedb` CLI prints.
 *
 * Invariants: reads never write; checkpoint changes are unfenced compare-and-swaps on the latest manifest that
 * carry both epochs forward (db/checkpoint.ts), safe beside live writers and SlateDB processes; a missing version
 * reads as undefined (as 0.12.1's `Ok(None)`); a store given as a URL is owned and closed by `close()`; a store
 * object is wrapped in a RetryingObjectStore unless `retry: false`.
 * Concurrency: any number of calls may run at once; each reads the store afresh.
 */
import {
  type CheckpointCreateResult,
  type CheckpointInfo,
  type CheckpointOptions,
  createDetachedCheckpoint,
  deleteCheckpoint,
  listCheckpoints,
  refreshCheckpoint,
} from '../db/checkpoint.js';
import { createClone } from '../db/clone.js';
import type { Compaction } from '../format/compactions.js';
import { SequenceTracker } from '../format/sequence-tracker.js';
import type { GcPassReport, GcStats } from '../gc/gc-report.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { RetryingObjectStore } from '../object-store/retrying-store.js';
import { compactionsStore } from '../store/compactions-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { normalizeRoot } from '../store/paths.js';
import type { SequencedStore } from '../store/transactional-object.js';
import { type Clock, systemClock } from '../util/clock.js';
import { closedError, dataError, invalidError, toShaleDBError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import { type Rand, systemRand } from '../util/random.js';
import { type AdminCompactorOptions, type CompactorRunResult, runCompactor } from './admin-compactor.js';
import { type AdminGcOnceOptions, type AdminGcOptions, runGc, runGcOnce } from './admin-gc.js';
import type {
  CompactionsVersionInfo,
  IdRange,
  ManifestVersionInfo,
  Rounding,
  VersionFileInfo,
} from './admin-types.js';
import { checkOptionKeys, toU64, toVersionId } from './admin-util.js';
import { type DeleteDbOptions, type DeleteDbReport, deleteDb } from './delete-db.js';
import { type CompactionRequest, submitCompaction } from './submit-compaction.js';

/** Options of {@link openAdmin}. */
export interface AdminOptions {
  /** Retry transient object-store failures (default true). */
  readonly retry?: boolean;
  /** The database's merge operator, for `runCompactor` (it may also be given there). */
  readonly mergeOperator?: MergeOperator;
  /** @internal Injected clock (tests). */
  readonly clock?: Clock;
  /** @internal Injected randomness (tests). */
  readonly rand?: Rand;
}

const ADMIN_KEYS = [
  'retry',
  'mergeOperator',
  'clock',
  'rand',
] as const satisfies readonly (keyof AdminOptions)[];

function checkRounding(round: unknown): Rounding {
  if (round === undefined) return 'down';
  if (round === 'up' || round === 'down') return round;
  throw invalidError('INVALID_ARGUMENT', `round must be 'up' or 'down', got ${JSON.stringify(round)}`);
}

async function guard<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw toShaleDBError(e);
  }
}

/** Administration of the database at one path (see the file header). Build with {@link openAdmin}. */
export class Admin {
  /** The database path, normalized (no leading or trailing '/'). */
  readonly path: string;
  readonly #store: ObjectStore;
  readonly #owned: ObjectStore | undefined;
  readonly #clock: Clock;
  readonly #rand: Rand;
  readonly #mergeOperator: MergeOperator | undefined;
  #closed = false;

  /** @internal Use {@link openAdmin}. */
  constructor(
    path: string,
    store: ObjectStore,
    owned: ObjectStore | undefined,
    o: { clock: Clock; rand: Rand; mergeOperator: MergeOperator | undefined },
  ) {
    this.path = path;
    this.#store = store;
    this.#owned = owned;
    this.#clock = o.clock;
    this.#rand = o.rand;
    this.#mergeOperator = o.mergeOperator;
  }

  #check(): void {
    if (this.#closed) throw closedError('clean', 'this Admin is closed');
  }

  get #checkpointAdmin() {
    return { retry: false, clock: this.#clock, rand: this.#rand } as const;
  }

  /** Manifest `id`, or the latest when omitted; undefined when it does not exist (0.12.1's `read_manifest`). */
  readManifest(id?: number | bigint): Promise<ManifestVersionInfo | undefined> {
    return guard(async () => {
      this.#check();
      const v = await readVersion(manifestStore(this.#store, this.path), id);
      return v && { id: v.id, manifest: v.value };
    });
  }

  /** The stored manifests with ids in [start, end), ascending (0.12.1's `list_manifests`). */
  listManifests(range: IdRange = {}): Promise<VersionFileInfo[]> {
    return guard(async () => {
      this.#check();
      return listVersions(manifestStore(this.#store, this.path), range);
    });
  }

  /** Compactions file `id`, or the latest; undefined when it does not exist (0.12.1's `read_compactions`). */
  readCompactions(id?: number | bigint): Promise<CompactionsVersionInfo | undefined> {
    return guard(async () => {
      this.#check();
      const v = await readVersion(compactionsStore(this.#store, this.path), id);
      return v && { id: v.id, compactions: v.value };
    });
  }

  /**
   * Compaction `compactionId` (a ULID) of compactions file `compactionsId` (default the latest); undefined when the
   * file or the compaction does not exist (0.12.1's `read_compaction`).
   */
  readCompaction(compactionId: string, compactionsId?: number | bigint): Promise<Compaction | undefined> {
    return guard(async () => {
      this.#check();
      if (typeof compactionId !== 'string')
        throw invalidError('INVALID_ARGUMENT', 'compactionId must be a ULID string');
      const id = Ulid.parse(compactionId);
      const v = await this.readCompactions(compactionsId);
      return v?.compactions.recentCompactions.find((c) => c.id.equals(id));
    });
  }

  /**
   * Submits a compaction for the running compactor (0.12.1's `submit_compaction`, with the requests of `slatedb
   * submit-compaction`): `{ l0ViewIds?, sortedRuns? }`, or 'full' (every sorted run, no L0, into the lowest id).
   * Returns it as stored (status submitted). No compactions file: data error INVALID_DB_STATE.
   */
  submitCompaction(request: CompactionRequest): Promise<Compaction> {
    return guard(async () => {
      this.#check();
      const id = await submitCompaction(this.#store, this.path, request, this.#clock, this.#rand);
      const c = await this.readCompaction(id.toString());
      if (c === undefined)
        throw dataError('INVALID_DB_STATE', `submitted compaction ${id} is not in the latest file`);
      return c;
    });
  }

  /** The stored compactions files with ids in [start, end), ascending (0.12.1's `list_compactions`). */
  listCompactions(range: IdRange = {}): Promise<VersionFileInfo[]> {
    return guard(async () => {
      this.#check();
      return listVersions(compactionsStore(this.#store, this.path), range);
    });
  }

  /**
   * The latest manifest's checkpoints: all, those named `name`, or with `name` '' the unnamed ones. A path without
   * a manifest is a data error MANIFEST_MISSING (0.12.1's `list_checkpoints`).
   */
  listCheckpoints(name?: string): Promise<CheckpointInfo[]> {
    return guard(async () => {
      this.#check();
      return listCheckpoints(this.path, this.#store, name, this.#checkpointAdmin);
    });
  }

  /**
   * Adds a checkpoint of the latest manifest (or of `options.source`'s) without flushing anything (0.12.1's
   * `create_detached_checkpoint`).
   */
  createDetachedCheckpoint(options?: CheckpointOptions): Promise<CheckpointCreateResult> {
    return guard(async () => {
      this.#check();
      return createDetachedCheckpoint(this.path, this.#store, options, this.#checkpointAdmin);
    });
  }

  /**
   * Sets checkpoint `id` to expire `lifetime` from now ("1h", ms; omitted: never). A missing checkpoint is a data
   * error INVALID_DB_STATE (0.12.1's `refresh_checkpoint`).
   */
  refreshCheckpoint(id: string, lifetime?: string | number): Promise<void> {
    return guard(async () => {
      this.#check();
      return refreshCheckpoint(this.path, this.#store, id, lifetime, this.#checkpointAdmin);
    });
  }

  /** Deletes checkpoint `id` (nothing is written when it does not exist; 0.12.1's `delete_checkpoint`). */
  deleteCheckpoint(id: string): Promise<void> {
    return guard(async () => {
      this.#check();
      return deleteCheckpoint(this.path, this.#store, id, this.#checkpointAdmin);
    });
  }

  /**
   * One garbage-collection pass over the resources `options` names (0.12.1's `run_gc_once`); with `dryRun`, only
   * reports. Returns the pass report (task failures are in it, not thrown).
   */
  runGcOnce(options: AdminGcOnceOptions): Promise<GcPassReport> {
    return guard(async () => {
      this.#check();
      return runGcOnce(this.#gcTarget(), options);
    });
  }

  /**
   * Collects the resources `options` names on their intervals until `signal` aborts (0.12.1's `run_gc`), then
   * resolves with the totals.
   */
  runGc(options: AdminGcOptions, signal: AbortSignal): Promise<GcStats> {
    return guard(async () => {
      this.#check();
      return runGc(this.#gcTarget(), options, signal);
    });
  }

  /**
   * Runs the compactor until `signal` aborts (0.12.1's `run_compactor`); rejects if it stops on its own (fenced
   * by another compactor, or failed).
   */
  runCompactor(options: AdminCompactorOptions, signal: AbortSignal): Promise<CompactorRunResult> {
    return guard(async () => {
      this.#check();
      return runCompactor(
        {
          store: this.#store,
          root: this.path,
          clock: this.#clock,
          rand: this.#rand,
          mergeOperator: this.#mergeOperator,
        },
        options,
        signal,
      );
    });
  }

  /**
   * The time of `seq` by the latest manifest's sequence tracker: its sample's time, else the next higher
   * (`'up'`) or lower (`'down'`, default) sample's; undefined when there is none or no manifest (0.12.1's
   * `get_timestamp_for_sequence`). Second precision.
   */
  getTimestampForSequence(seq: number | bigint, round?: Rounding): Promise<Date | undefined> {
    return guard(async () => {
      this.#check();
      const s = toU64(seq, 'seq');
      const r = checkRounding(round);
      const tracker = await this.#tracker();
      const ts = tracker?.findTs(s, r);
      return ts === undefined ? undefined : new Date(Number(ts) * 1000);
    });
  }

  /**
   * The seq at time `ts` (a Date, or Unix ms; truncated to whole seconds) by the latest manifest's sequence
   * tracker, rounding as {@link getTimestampForSequence}; undefined when there is none (0.12.1's
   * `get_sequence_for_timestamp`).
   */
  getSequenceForTimestamp(ts: Date | number, round?: Rounding): Promise<bigint | undefined> {
    return guard(async () => {
      this.#check();
      const ms = ts instanceof Date ? ts.getTime() : ts;
      if (typeof ms !== 'number' || !Number.isFinite(ms))
        throw invalidError('INVALID_ARGUMENT', 'ts must be a valid Date or Unix milliseconds');
      const r = checkRounding(round);
      const tracker = await this.#tracker();
      return tracker?.findSeq(BigInt(Math.floor(ms / 1000)), r);
    });
  }

  /**
   * Deletes the whole database: a dry run listing every object unless `confirm` is true (see delete-db.ts). Stop
   * its writers, compactors and collectors first.
   */
  deleteDb(options: DeleteDbOptions = {}): Promise<DeleteDbReport> {
    return guard(async () => {
      this.#check();
      return deleteDb(this.#store, this.path, options);
    });
  }

  /**
   * Makes the database at this Admin's path a clone of the database at `parentPath` in the same store, from the
   * parent's checkpoint `parentCheckpoint` or its latest state (0.12.1's `create_clone`; see db/clone.ts and
   * docs/clones.md).
   */
  createClone(parentPath: string, parentCheckpoint?: string): Promise<void> {
    return guard(async () => {
      this.#check();
      await createClone(this.path, parentPath, this.#store, {
        ...(parentCheckpoint === undefined ? {} : { parentCheckpoint }),
        retry: false,
        clock: this.#clock,
        rand: this.#rand,
      });
    });
  }

  /** Releases the store if this Admin opened it from a URL. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#owned?.close();
  }

  #gcTarget() {
    return { store: this.#store, root: this.path, clock: this.#clock, rand: this.#rand };
  }

  async #tracker(): Promise<SequenceTracker | undefined> {
    const latest = await manifestStore(this.#store, this.path).tryReadLatest();
    if (latest === undefined) return undefined;
    return SequenceTracker.fromBytes(latest.value.sequenceTracker, 'manifest sequence tracker');
  }
}

async function readVersion<T>(
  s: SequencedStore<T>,
  id: number | bigint | undefined,
): Promise<{ id: bigint; value: T } | undefined> {
  if (id === undefined) {
    const latest = await s.tryReadLatest();
    return latest && { id: BigInt(latest.id), value: latest.value };
  }
  const n = toVersionId(id, 'id');
  const value = await s.tryRead(n);
  return value === undefined ? undefined : { id: BigInt(n), value };
}

async function listVersions<T>(s: SequencedStore<T>, range: IdRange): Promise<VersionFileInfo[]> {
  if (typeof range !== 'object' || range === null)
    throw invalidError('INVALID_ARGUMENT', 'range must be an object');
  checkOptionKeys(range, ['start', 'end'], 'range key');
  const start = range.start === undefined ? 0n : toU64(range.start, 'range.start');
  const end = range.end === undefined ? undefined : toU64(range.end, 'range.end');
  const out: VersionFileInfo[] = [];
  for (const v of await s.list()) {
    const id = BigInt(v.id);
    if (id < start || (end !== undefined && id >= end)) continue;
    out.push({
      id,
      location: v.path.slice(s.dir.length + 1),
      lastModified: new Date(v.lastModifiedMs),
      size: v.size,
    });
  }
  return out;
}

/**
 * Opens the admin API for the database at `path` in `store` (an ObjectStore, or a URL such as "file:///data",
 * "s3://bucket/prefix"). Nothing is read until a method is called (as 0.12.1's `AdminBuilder::build`).
 */
export async function openAdmin(
  path: string,
  store: ObjectStore | string,
  options: AdminOptions = {},
): Promise<Admin> {
  return guard(async () => {
    if (typeof path !== 'string') throw invalidError('INVALID_ARGUMENT', 'path must be a string');
    if (typeof options !== 'object' || options === null)
      throw invalidError('INVALID_ARGUMENT', 'admin options must be an object');
    checkOptionKeys(options, ADMIN_KEYS, 'admin option');
    if (options.mergeOperator !== undefined && typeof options.mergeOperator !== 'function')
      throw invalidError('INVALID_ARGUMENT', 'mergeOperator must be a function');
    const root = normalizeRoot(path);
    const clock = options.clock ?? systemClock;
    const rand = options.rand ?? systemRand;
    const o = { clock, rand, mergeOperator: options.mergeOperator };
    if (typeof store === 'string') {
      const s = await resolveObjectStore(store, { clock, rand, retry: options.retry !== false });
      return new Admin(root, s, s, o);
    }
    if (store === null || typeof store !== 'object' || typeof store.put !== 'function')
      throw invalidError('INVALID_ARGUMENT', 'store must be an ObjectStore or a URL string');
    const s = options.retry === false ? store : new RetryingObjectStore(store, { clock, rand });
    return new Admin(root, s, undefined, o);
  });
}
