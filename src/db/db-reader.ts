/**
 * DbReader: a read-only handle on a database that a writer (ShaleDB or SlateDB) may be using at the same time. It
 * never fences the writer: it never touches the writer epoch or the WAL, and its only writes (in the managed mode)
 * are checkpoint entries made by unfenced compare-and-swap, as SlateDB 0.12.1's DbReader does
 * (docs/checkpoints-and-readers.md).
 *
 * Modes:
 * - managed (default): creates its own checkpoint (lifetime `checkpointLifetime`) on the latest manifest, follows
 *   the database (each poll: a new manifest with new data replaces the checkpoint by a new one in one CAS;
 *   otherwise new WAL SSTs are replayed), refreshes the checkpoint once half its lifetime has passed, and deletes
 *   it on close;
 * - pinned (`checkpointId`): reads exactly that checkpoint's manifest and the WAL SSTs it lists; never polls and
 *   never writes;
 * - latest (`createCheckpoint: false`): follows the latest manifest and the WAL like the managed mode but never
 *   writes anything (so it works with read-only credentials); nothing pins what it reads against GC.
 *
 * Invariants: every read sees one ReaderState (immutable), whose rows are every durable write up to one seq; the
 * view only moves forward (a later state never lacks a row an earlier one had); after close every call fails
 * with kind 'closed'.
 * Concurrency: any number of concurrent reads; one poll task (dispatcher pattern) replaces the state.
 */

import type { Checkpoint, Manifest } from '../format/manifest.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { RetryingObjectStore } from '../object-store/retrying-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { normalizeRoot } from '../store/paths.js';
import { TableStore } from '../store/table-store.js';
import { type SequencedStore, TransactionalObject } from '../store/transactional-object.js';
import { ByteArena } from '../util/byte-arena.js';
import { type Clock, systemClock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { parseDurationMs } from '../util/duration.js';
import { closedError, dataError, invalidError, ShaleDBError, toShaleDBError } from '../util/errors.js';
import { Uuid } from '../util/ids.js';
import { type Rand, systemRand } from '../util/random.js';
import {
  addCheckpoint,
  findCheckpoint,
  newCheckpoint,
  toU32Seconds,
  withCheckpoint,
  withoutCheckpoint,
  withRefreshedCheckpoint,
} from './checkpoint.js';
import { DbIterator, type KeyValue, toKeyValue } from './db-iterator.js';
import {
  checkKnownKeys,
  checkReadOptions,
  checkScanOptions,
  type ReadOptions,
  type ScanOptions,
  type ScanRange,
  toKeyRange,
  toPrefixRange,
} from './options.js';
import { getRow, scanSources } from './read-path.js';
import {
  buildReaderState,
  manifestAdvanced,
  type ReaderState,
  type ReplayLimit,
  replayNewWals,
} from './reader-state.js';
import { checkReadKey } from './write-batch.js';

/** Options of DbReader.open (0.12.1's DbReaderOptions in camelCase, plus ShaleDB's). */
export interface DbReaderOptions {
  /** Read this existing checkpoint (its UUID) and nothing newer: no polling, no writes. */
  readonly checkpointId?: string;
  /** Without `checkpointId`: create and manage a checkpoint (default true), or follow the latest manifest unpinned. */
  readonly createCheckpoint?: boolean;
  /** How often to look for a new manifest and new WAL SSTs (default "10s"). */
  readonly manifestPollInterval?: string | number;
  /** Lifetime of the managed checkpoint (default "10m"; at least 1 s and twice the poll interval). */
  readonly checkpointLifetime?: string | number;
  /** Largest memtable rebuilt from the WAL before a new one is started (default 64 MiB). */
  readonly maxMemtableBytes?: number;
  /** Read only L0 and sorted runs: never replay WAL SSTs (writes not yet flushed to L0 stay invisible). */
  readonly skipWalReplay?: boolean;
  /** Combines merge operands, as the writer's. */
  readonly mergeOperator?: MergeOperator;
  /** Size of the in-memory block cache in bytes (default 64 MiB). */
  readonly blockCacheBytes?: number;
  /** Retry transient object-store failures (default true). */
  readonly retry?: boolean;
  /** @internal Injected clock (tests). */
  readonly clock?: Clock;
  /** @internal Injected randomness (tests). */
  readonly rand?: Rand;
}

/** Where a reader is. */
export interface DbReaderStatus {
  readonly mode: 'managed' | 'pinned' | 'latest';
  /** The manifest version read. */
  readonly manifestId: bigint;
  /** The checkpoint read (managed or pinned). */
  readonly checkpointId: string | undefined;
  /** The newest seq visible. */
  readonly lastSeq: bigint;
  /** The newest WAL id replayed (the manifest's replay point when none). */
  readonly lastWalId: bigint;
  /** Memtables rebuilt from the WAL (each at most about `maxMemtableBytes`). */
  readonly walMemtables: number;
  readonly closeReason: 'clean' | 'panic' | undefined;
}

const READER_KEYS = [
  'checkpointId',
  'createCheckpoint',
  'manifestPollInterval',
  'checkpointLifetime',
  'maxMemtableBytes',
  'skipWalReplay',
  'mergeOperator',
  'blockCacheBytes',
  'retry',
  'clock',
  'rand',
] as const satisfies readonly (keyof DbReaderOptions)[];
/** Compile-time check that READER_KEYS names every option (a new option must be added there). */
const readerKeysComplete: [Exclude<keyof DbReaderOptions, (typeof READER_KEYS)[number]>] extends [never]
  ? true
  : never = true;
void readerKeysComplete;

interface Resolved {
  readonly pollMs: number;
  readonly lifetimeMs: number;
  readonly maxMemtableBytes: number;
  readonly skipWalReplay: boolean;
}

function resolveReaderOptions(o: DbReaderOptions): Resolved {
  if (typeof o !== 'object' || o === null)
    throw invalidError('INVALID_ARGUMENT', 'options must be an object');
  checkKnownKeys(o, READER_KEYS, 'reader option');
  const pollMs = parseDurationMs(o.manifestPollInterval ?? '10s', 'manifestPollInterval');
  const lifetimeMs = parseDurationMs(o.checkpointLifetime ?? '10m', 'checkpointLifetime');
  if (pollMs <= 0) throw invalidError('INVALID_SETTING', 'manifestPollInterval must be positive');
  if (lifetimeMs < 1000) throw invalidError('INVALID_SETTING', 'checkpointLifetime must be at least 1s');
  if (lifetimeMs < 2 * pollMs)
    throw invalidError('INVALID_SETTING', 'checkpointLifetime must be at least twice manifestPollInterval');
  const maxMemtableBytes = o.maxMemtableBytes ?? 64 * 1024 * 1024;
  if (!Number.isSafeInteger(maxMemtableBytes) || maxMemtableBytes <= 0)
    throw invalidError('INVALID_SETTING', 'maxMemtableBytes must be a positive integer');
  for (const k of ['skipWalReplay', 'createCheckpoint', 'retry'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean')
      throw invalidError('INVALID_SETTING', `${k} must be a boolean`);
  }
  if (o.checkpointId !== undefined && typeof o.checkpointId !== 'string')
    throw invalidError('INVALID_ARGUMENT', 'checkpointId must be a UUID string');
  if (o.mergeOperator !== undefined && typeof o.mergeOperator !== 'function')
    throw invalidError('INVALID_ARGUMENT', 'mergeOperator must be a function');
  const cache = o.blockCacheBytes;
  if (cache !== undefined && (!Number.isSafeInteger(cache) || cache < 0))
    throw invalidError('INVALID_SETTING', 'blockCacheBytes must be a non-negative integer');
  return { pollMs, lifetimeMs, maxMemtableBytes, skipWalReplay: o.skipWalReplay ?? false };
}

function wrap<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f().catch((e) => Promise.reject(toShaleDBError(e)));
  } catch (e) {
    return Promise.reject(toShaleDBError(e));
  }
}

interface ReaderDeps {
  readonly mode: DbReaderStatus['mode'];
  readonly o: Resolved;
  readonly manifests: SequencedStore<Manifest>;
  readonly tableStore: TableStore;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly mergeOperator: MergeOperator | undefined;
  readonly ownedStore: ObjectStore | undefined;
}

/** A read-only view of a database, following it or pinned to a checkpoint. */
export class DbReader {
  readonly #d: ReaderDeps;
  #state: ReaderState;
  #checkpoint: Checkpoint | undefined;
  readonly #executor: TaskExecutor;
  #closing: Promise<void> | undefined;
  readonly #values = new ByteArena(8192, 1024);

  private constructor(d: ReaderDeps, state: ReaderState, checkpoint: Checkpoint | undefined) {
    this.#d = d;
    this.#state = state;
    this.#checkpoint = checkpoint;
    this.#executor = new TaskExecutor(d.clock, d.rand);
    if (d.mode !== 'pinned') {
      this.#executor.spawn<'poll'>('db-reader-poll', {
        tickers: () => [{ intervalMs: d.o.pollMs, message: () => 'poll' }],
        handle: () => this.#poll(),
      });
    }
  }

  /**
   * Opens a reader on the database at `path` in `store` (an ObjectStore or a URL). Never fences a writer. A
   * database that does not exist is a data error MANIFEST_MISSING; an unknown `checkpointId` CHECKPOINT_MISSING.
   */
  static open(path: string, store: ObjectStore | string, options: DbReaderOptions = {}): Promise<DbReader> {
    return wrap(() => openReader(path, store, options));
  }

  /** @internal */
  static async create(d: ReaderDeps, checkpointId: Uuid | undefined): Promise<DbReader> {
    const latest = await TransactionalObject.tryLoad(d.manifests);
    if (latest === undefined)
      throw dataError('MANIFEST_MISSING', `${d.manifests.dir}: no manifest (is this a database?)`);
    if (!latest.value.initialized) throw dataError('INVALID_DB_STATE', 'the database is not initialized');
    let checkpoint: Checkpoint | undefined;
    let manifestId = latest.id;
    let manifest = latest.value;
    if (checkpointId !== undefined) {
      checkpoint = findCheckpoint(latest.value, checkpointId);
      if (checkpoint === undefined)
        throw dataError('CHECKPOINT_MISSING', `checkpoint missing: ${checkpointId.toString()}`);
      manifestId = checkpoint.manifestId;
      manifest = manifestId === latest.id ? latest.value : await d.manifests.read(manifestId);
    } else if (d.mode === 'managed') {
      checkpoint = await addCheckpoint(
        latest,
        { lifetimeMs: d.o.lifetimeMs, source: undefined, name: undefined },
        d.clock,
        d.rand,
      );
      manifestId = latest.id;
      manifest = latest.value;
    }
    // A clone's shared SSTs are read from its parents' roots.
    d.tableStore.setExternalDbs(manifest.externalDbs);
    try {
      const state = await buildReaderState(
        d.tableStore,
        manifestId,
        manifest,
        [],
        limitOf(d),
        d.o.maxMemtableBytes,
      );
      return new DbReader(d, state, checkpoint);
    } catch (e) {
      if (d.mode === 'managed' && checkpoint !== undefined) await deleteOwn(d, checkpoint).catch(() => {});
      throw e;
    }
  }

  #check(): void {
    if (this.#closing !== undefined) throw closedError('clean', 'reader is closed');
    const r = this.#executor.closeResult;
    if (r !== undefined && !r.ok)
      throw closedError('panic', `reader closed after a failure: ${r.error.message}`, r.error);
  }

  /** The value of `key`, or undefined. Read options are accepted for symmetry with Db: a reader sees only durable data. */
  get(key: Uint8Array | string, options?: ReadOptions): Promise<Uint8Array | undefined> {
    return wrap(async () => {
      const r = await this.#row(key, options);
      return r === undefined ? undefined : this.#values.copy(r.value);
    });
  }

  /** The value of `key` with its seq and timestamps, or undefined. */
  getKeyValue(key: Uint8Array | string, options?: ReadOptions): Promise<KeyValue | undefined> {
    return wrap(async () => {
      const r = await this.#row(key, options);
      return r === undefined ? undefined : toKeyValue(r, this.#values);
    });
  }

  /** Values of many keys at once (undefined for missing ones), in order, all from one view. */
  getMany(
    keys: ReadonlyArray<Uint8Array | string>,
    options?: ReadOptions,
  ): Promise<Array<Uint8Array | undefined>> {
    return wrap(async () => {
      if (!Array.isArray(keys)) throw invalidError('INVALID_ARGUMENT', 'getMany() takes an array of keys');
      checkReadOptions(options);
      this.#check();
      const s = this.#state;
      const rows = await Promise.all(
        keys.map((k) => getRow(s.view, checkReadKey(k), s.lastSeq, this.#d.mergeOperator)),
      );
      return rows.map((r) => (r === undefined ? undefined : this.#values.copy(r.value)));
    });
  }

  async #row(key: Uint8Array | string, options: ReadOptions | undefined) {
    const k = checkReadKey(key);
    checkReadOptions(options);
    this.#check();
    const s = this.#state;
    return await getRow(s.view, k, s.lastSeq, this.#d.mergeOperator);
  }

  /** Iterates the keys in `range` (all keys when omitted), in one view. Close the iterator when done early. */
  scan(range?: ScanRange, options?: ScanOptions): DbIterator {
    try {
      const o = checkScanOptions(options);
      return this.#scan(toKeyRange(range), o.order);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Iterates the keys that start with `prefix` (an empty prefix: every key). */
  scanPrefix(prefix: Uint8Array | string, options?: ScanOptions): DbIterator {
    try {
      const o = checkScanOptions(options);
      return this.#scan(toPrefixRange(prefix), o.order);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  #scan(range: ReturnType<typeof toKeyRange>, order: 'asc' | 'desc'): DbIterator {
    this.#check();
    const s = this.#state;
    return new DbIterator(scanSources(s.view, range, order), {
      maxSeq: s.lastSeq,
      mergeOperator: this.#d.mergeOperator,
      order,
      range,
    });
  }

  /** Where the reader is. */
  status(): DbReaderStatus {
    const s = this.#state;
    const r = this.#executor.closeResult;
    return {
      mode: this.#d.mode,
      manifestId: BigInt(s.manifestId),
      checkpointId: this.#checkpoint?.id.toString(),
      lastSeq: BigInt(s.lastSeq),
      lastWalId: BigInt(s.lastWalId),
      walMemtables: s.tables.length,
      closeReason: r !== undefined && !r.ok ? 'panic' : this.#closing !== undefined ? 'clean' : undefined,
    };
  }

  /** @internal Tests: runs one poll now (a pinned reader never polls). */
  async pollNow(): Promise<void> {
    this.#check();
    if (this.#d.mode !== 'pinned') await this.#poll();
  }

  /** One poll: move to a newer manifest (replacing the managed checkpoint) or replay new WAL SSTs; refresh. */
  async #poll(): Promise<void> {
    const d = this.#d;
    try {
      const latest = await TransactionalObject.tryLoad(d.manifests);
      if (latest === undefined)
        throw dataError('MANIFEST_MISSING', `${d.manifests.dir}: every manifest is gone`);
      const cur = this.#state;
      const own = this.#checkpoint;
      const lost =
        d.mode === 'managed' && own !== undefined && findCheckpoint(latest.value, own.id) === undefined;
      if (lost || manifestAdvanced(cur.manifest, latest.value)) {
        let checkpoint = own;
        if (d.mode === 'managed') {
          const id = Uuid.v4(d.rand);
          await latest.maybeApplyUpdate((m) => {
            checkpoint = newCheckpoint(m, latest.id, id, d.clock.nowMs(), {
              lifetimeMs: d.o.lifetimeMs,
              source: undefined,
              name: undefined,
            });
            return withCheckpoint(own === undefined ? m : (withoutCheckpoint(m, own.id) ?? m), checkpoint);
          });
        }
        d.tableStore.setExternalDbs(latest.value.externalDbs);
        const next = await buildReaderState(
          d.tableStore,
          latest.id,
          latest.value,
          cur.tables,
          limitOf(d),
          d.o.maxMemtableBytes,
        );
        if (this.#closing !== undefined) return;
        this.#state = next;
        this.#checkpoint = checkpoint;
        return;
      }
      const next = await replayNewWals(d.tableStore, cur, limitOf(d), d.o.maxMemtableBytes);
      if (this.#closing !== undefined) return;
      this.#state = next;
      await this.#maybeRefresh(latest);
    } catch (e) {
      // An unavailable store is retried at the next tick; anything else closes the reader.
      if (e instanceof ShaleDBError && e.kind === 'unavailable') return;
      throw e;
    }
  }

  /** Refreshes the managed checkpoint once past half its lifetime (0.12.1's rule). */
  async #maybeRefresh(latest: TransactionalObject<Manifest>): Promise<void> {
    const d = this.#d;
    const own = this.#checkpoint;
    if (d.mode !== 'managed' || own === undefined) return;
    const now = d.clock.nowMs();
    if (now <= own.expireTimeS * 1000 - d.o.lifetimeMs / 2) return;
    const expireTimeS = toU32Seconds(now + d.o.lifetimeMs);
    await latest.maybeApplyUpdate((m) =>
      findCheckpoint(m, own.id) === undefined ? undefined : withRefreshedCheckpoint(m, own.id, expireTimeS),
    );
    if (this.#checkpoint === own) this.#checkpoint = { ...own, expireTimeS };
  }

  /** Stops polling and, in the managed mode, deletes the reader's checkpoint. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= wrap(async () => {
      await this.#executor.shutdown();
      const d = this.#d;
      try {
        if (d.mode === 'managed' && this.#checkpoint !== undefined) await deleteOwn(d, this.#checkpoint);
      } finally {
        d.tableStore.close();
        await d.ownedStore?.close().catch(() => {});
      }
    });
    return this.#closing;
  }
}

function limitOf(d: ReaderDeps): ReplayLimit {
  if (d.o.skipWalReplay) return 'none';
  return d.mode === 'pinned' ? 'manifest' : 'listed';
}

async function deleteOwn(d: ReaderDeps, c: Checkpoint): Promise<void> {
  const latest = await TransactionalObject.tryLoad(d.manifests);
  await latest?.maybeApplyUpdate((m) => withoutCheckpoint(m, c.id));
}

async function openReader(
  path: string,
  storeArg: ObjectStore | string,
  options: DbReaderOptions,
): Promise<DbReader> {
  const o = resolveReaderOptions(options);
  if (typeof path !== 'string') throw invalidError('INVALID_ARGUMENT', 'path must be a string');
  const root = normalizeRoot(path);
  const checkpointId = options.checkpointId === undefined ? undefined : Uuid.parse(options.checkpointId);
  const clock = options.clock ?? systemClock;
  const rand = options.rand ?? systemRand;
  let store: ObjectStore;
  let ownedStore: ObjectStore | undefined;
  if (typeof storeArg === 'string') {
    store = ownedStore = await resolveObjectStore(storeArg, { clock, rand });
  } else if (storeArg !== null && typeof storeArg === 'object' && typeof storeArg.put === 'function') {
    store = options.retry === false ? storeArg : new RetryingObjectStore(storeArg, { clock, rand });
  } else {
    throw invalidError('INVALID_ARGUMENT', 'store must be an ObjectStore or a URL string');
  }
  const tableStore = new TableStore(store, root, {
    codec: null,
    blockSize: 4096,
    minFilterKeys: 1000,
    filterBitsPerKey: 10,
    blockCacheBytes: options.blockCacheBytes ?? 64 * 1024 * 1024,
  });
  const mode =
    checkpointId !== undefined ? 'pinned' : options.createCheckpoint === false ? 'latest' : 'managed';
  try {
    return await DbReader.create(
      {
        mode,
        o,
        manifests: manifestStore(store, root),
        tableStore,
        clock,
        rand,
        mergeOperator: options.mergeOperator,
        ownedStore,
      },
      checkpointId,
    );
  } catch (e) {
    tableStore.close();
    await ownedStore?.close().catch(() => {});
    throw e;
  }
}
