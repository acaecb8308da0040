/**
 * Db: the public database handle. A writable database on any ObjectStore with SlateDB 0.12.1's semantics and
 * protocols; see docs/design/0001-db-core.md. Keys and values are Uint8Array or string (UTF-8).
 *
 * Invariants: every method validates its input first (bad input throws ShaleDBError kind 'invalid' and changes
 * nothing); every failure is a ShaleDBError; after close() or fencing every call fails with kind 'closed' and the
 * matching closeReason.
 * Concurrency: any number of concurrent calls from one event loop.
 */

import type { Manifest } from '../format/manifest.js';
import { decodeManifest, encodeManifest } from '../format/manifest-codec.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import type { ObjectStore } from '../object-store/object-store.js';
import type { Settings } from '../store/settings.js';
import { ByteArena } from '../util/byte-arena.js';
import type { Clock } from '../util/clock.js';
import { invalidError, toShaleDBError, unavailableError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { Metric, MetricsRecorder } from '../util/metrics.js';
import { toPrometheusText } from '../util/metrics-prometheus.js';
import type { Rand } from '../util/random.js';
import type { CheckpointCreateResult, CheckpointInfo, DbCheckpointOptions } from './checkpoint.js';
import {
  createDbCheckpoint,
  deleteDbCheckpoint,
  listDbCheckpoints,
  refreshDbCheckpoint,
} from './db-checkpoints.js';
import type { DbInner } from './db-inner.js';
import { type DbIterator, type KeyValue, toKeyValue } from './db-iterator.js';
import { type DbStatusSubscription, DbStatusWatch } from './db-status-watch.js';
import { openDb } from './open.js';
import {
  checkFlushOptions,
  checkReadOptions,
  checkScanOptions,
  checkWriteOptions,
  type FlushOptions,
  type MergeOptions,
  type PutOptions,
  type ReadOptions,
  type ScanOptions,
  type ScanRange,
  toKeyRange,
  toPrefixRange,
  type WriteHandle,
  type WriteOptions,
} from './options.js';
import { Snapshot } from './snapshot.js';
import { checkIsolation, DbTransaction } from './transaction.js';
import type { IsolationLevel } from './transaction-manager.js';
import type { WalJournalOptions } from './wal-journal.js';
import { checkKey, checkReadKey, checkValue, newOp, type WriteBatch } from './write-batch.js';

/** Options of Db.open. */
export interface DbOpenOptions {
  /** SlateDB 0.12.1 settings in camelCase; omitted ones take 0.12.1's defaults. */
  readonly settings?: Partial<Settings>;
  /** Combines operands written with merge(); must be associative with merge(key, undefined, [x]) = x. */
  readonly mergeOperator?: MergeOperator;
  /** Target uncompressed data block size of new SSTs: 1024..65536 (a power of two; default 4096). */
  readonly blockSize?: number;
  /** Retry transient object-store failures (default true). */
  readonly retry?: boolean;
  /** Size of the in-memory block cache in bytes (default 64 MiB). */
  readonly blockCacheBytes?: number;
  /** Also publish metrics here (e.g. `openTelemetryRecorder(meter)`); `db.metrics()` works either way. */
  readonly metricsRecorder?: MetricsRecorder;
  /** Where absorbed background failures are reported (default: JSON lines on stderr at `SHALEDB_LOG`, default warn). */
  readonly logger?: Logger;
  /**
   * Opt-in local durability tier: a durable write resolves once flushed in a CRC-32C journal in `dir` on a local
   * disk; WAL SSTs still reach object storage in the background. See docs/design/0005-wal-journal.md.
   */
  readonly walJournal?: WalJournalOptions;
  /**
   * Worker threads the embedded compactor runs compactions in (0: on the application's thread). Default:
   * `min(2, os.availableParallelism())`. Started on first use, never keep the process alive while idle, stopped at
   * close. Ignored when a `mergeOperator` is set (it cannot cross threads; compaction then runs in-thread). See
   * docs/design/0006-background-workers.md.
   */
  readonly compactionWorkers?: number;
  /**
   * Worker threads that encode memtable flushes (L0 SSTs: block building, compression, bloom filter, checksums);
   * the application's thread only copies the rows out and does the upload (0: encode on the application's
   * thread). Default 0 (opt-in: on a 2-core machine that also runs compaction workers it has not been measured to
   * help). Started on first use, never keep the process alive while idle, stopped at close. The bytes written are
   * the same either way. See docs/design/0006-background-workers.md.
   */
  readonly flushWorkers?: number;
  /**
   * The nice value of the worker threads above (Linux: each worker lowers its own thread's CPU priority; elsewhere
   * ignored). Default 10: when every core is busy, the scheduler runs the application's thread first and the
   * workers take the rest, as RocksDB's low-priority background pool does, so compaction does not delay the
   * application's timers and requests. `0` keeps the process's priority; `null` leaves the threads as started.
   * Range 0 to 19. See docs/design/0006-background-workers.md.
   */
  readonly workerNice?: number | null;
  /** @internal Injected clock (tests). */
  readonly clock?: Clock;
  /** @internal Injected randomness (tests). */
  readonly rand?: Rand;
}

/** A snapshot of the database's progress. */
export interface DbStatus {
  /** Highest seq durable in object storage. */
  readonly durableSeq: bigint;
  /** Highest seq visible to reads. */
  readonly lastCommittedSeq: bigint;
  /** Id of the newest manifest this writer knows. */
  readonly manifestId: bigint;
  readonly writerEpoch: bigint;
  /** Set once the database has closed. */
  readonly closeReason: 'clean' | 'fenced' | 'panic' | undefined;
  /** L0 SSTs in the manifest. */
  readonly l0Count: number;
  /** Sorted runs in the manifest. */
  readonly sortedRunCount: number;
  /** Frozen memtables not yet in L0. */
  readonly immutableMemtables: number;
  /** The next WAL id this writer will use. */
  readonly nextWalId: bigint;
}

function wrap<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f().catch((e) => Promise.reject(toShaleDBError(e)));
  } catch (e) {
    return Promise.reject(toShaleDBError(e));
  }
}

/** A ShaleDB database. */
export class Db {
  readonly #inner: DbInner;
  /**
   * Where values returned by the get family are copied: values of up to 1 KiB share 8 KiB slabs (as Node's
   * Buffer pool does), since one ArrayBuffer per small value costs more than the rest of a cached get.
   */
  readonly #values = new ByteArena(8192, 1024);
  #watch: DbStatusWatch<DbStatus> | undefined;

  /** @internal Use Db.open. */
  constructor(inner: DbInner) {
    this.#inner = inner;
  }

  /**
   * Opens (creating if needed) the database at `path` in `store` (an ObjectStore or a URL such as
   * `file:///abs/dir`, `memory:///`, `s3://bucket/prefix`, as a string or a URL). Fences any previous writer of
   * the database. Unknown option keys are 'invalid' errors. This opens the writer alone; the package's Db.open
   * (src/open/open.ts) also starts the embedded compactor and GC.
   */
  static open(path: string, store: ObjectStore | string | URL, options: DbOpenOptions = {}): Promise<Db> {
    return wrap(async () => new Db(await openDb(path, store, options)));
  }

  /** @internal The engine (tests, admin tools). */
  get inner(): DbInner {
    return this.#inner;
  }

  /** Sets `key` to `value`. */
  put(key: Uint8Array | string, value: Uint8Array | string, options?: PutOptions): Promise<WriteHandle> {
    return wrap(async () => {
      const o = checkWriteOptions(options);
      const op = newOp('value', checkKey(key), checkValue(value), o.ttl);
      return await this.#inner.write([op], o.awaitDurable);
    });
  }

  /** Deletes `key`. */
  delete(key: Uint8Array | string, options?: WriteOptions): Promise<WriteHandle> {
    return wrap(async () => {
      const o = checkWriteOptions(options, false);
      const op = newOp('tombstone', checkKey(key), new Uint8Array(0), undefined);
      return await this.#inner.write([op], o.awaitDurable);
    });
  }

  /** Adds a merge operand for `key` (needs a merge operator). */
  merge(
    key: Uint8Array | string,
    operand: Uint8Array | string,
    options?: MergeOptions,
  ): Promise<WriteHandle> {
    return wrap(async () => {
      const o = checkWriteOptions(options);
      const op = newOp('merge', checkKey(key), checkValue(operand), o.ttl);
      return await this.#inner.write([op], o.awaitDurable);
    });
  }

  /** Applies a batch atomically (one seq). An empty batch is invalid. */
  write(batch: WriteBatch, options?: WriteOptions): Promise<WriteHandle> {
    return wrap(async () => {
      if (
        batch === null ||
        typeof batch !== 'object' ||
        typeof (batch as WriteBatch).takeOps !== 'function'
      ) {
        throw invalidError('INVALID_ARGUMENT', 'write() takes a WriteBatch');
      }
      if (batch.ops.length === 0) throw invalidError('EMPTY_BATCH', 'the batch is empty');
      const o = checkWriteOptions(options, false);
      return await this.#inner.write(batch.takeOps(), o.awaitDurable);
    });
  }

  /**
   * The value of `key`, or undefined. The value is the caller's own copy; copies of up to 1 KiB share 8 KiB
   * slabs (as Node's Buffer pool does), so holding one keeps its slab alive.
   */
  get(key: Uint8Array | string, options?: ReadOptions): Promise<Uint8Array | undefined> {
    return wrap(async () => {
      let r = this.#inner.getRow(checkReadKey(key), checkReadOptions(options));
      if (r instanceof Promise) r = await r;
      return r === undefined ? undefined : this.#values.copy(r.value);
    });
  }

  /**
   * Values of many keys at once (undefined for missing ones), in order. Cheaper than one `get` per key: one
   * promise for the whole batch, and IO for keys whose blocks are not cached runs concurrently.
   */
  getMany(
    keys: ReadonlyArray<Uint8Array | string>,
    options?: ReadOptions,
  ): Promise<Array<Uint8Array | undefined>> {
    return wrap(async () => {
      if (!Array.isArray(keys)) throw invalidError('INVALID_ARGUMENT', 'getMany() takes an array of keys');
      const cap = checkReadOptions(options);
      const out = new Array<Uint8Array | undefined>(keys.length);
      const pending: Promise<void>[] = [];
      for (let i = 0; i < keys.length; i++) {
        const r = this.#inner.getRow(checkReadKey(keys[i]), cap);
        if (r instanceof Promise) {
          pending.push(
            r.then((row) => {
              out[i] = row === undefined ? undefined : this.#values.copy(row.value);
            }),
          );
        } else {
          out[i] = r === undefined ? undefined : this.#values.copy(r.value);
        }
      }
      if (pending.length > 0) await Promise.all(pending);
      return out;
    });
  }

  /**
   * The value of `key`, synchronously: from the memtables and the block cache, and from stores that read
   * synchronously (the local filesystem: small reads that take microseconds from the page cache, as LevelDB's
   * `getSync` does). When it would need asynchronous IO (a remote store, a block not cached) it throws
   * 'unavailable' NOT_CACHED and starts loading in the background, so a later call can succeed; use `get` when
   * in doubt.
   */
  getSync(key: Uint8Array | string, options?: ReadOptions): Uint8Array | undefined {
    try {
      const r = this.#inner.getRow(checkReadKey(key), checkReadOptions(options));
      if (r instanceof Promise) {
        r.catch(() => {});
        throw unavailableError('NOT_CACHED', 'getSync needs blocks that are not cached; use get()');
      }
      return r === undefined ? undefined : this.#values.copy(r.value);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** The value of `key` with its seq and timestamps, or undefined. */
  getKeyValue(key: Uint8Array | string, options?: ReadOptions): Promise<KeyValue | undefined> {
    return wrap(async () => {
      let r = this.#inner.getRow(checkReadKey(key), checkReadOptions(options));
      if (r instanceof Promise) r = await r;
      return r === undefined ? undefined : toKeyValue(r, this.#values);
    });
  }

  /** Iterates the keys in `range` (all keys when omitted). Close the iterator when done early. */
  scan(range?: ScanRange, options?: ScanOptions): DbIterator {
    try {
      const o = checkScanOptions(options);
      return this.#inner.scan(toKeyRange(range), o, o.order);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Iterates the keys that start with `prefix` (an empty prefix: every key, as in 0.12.1). */
  scanPrefix(prefix: Uint8Array | string, options?: ScanOptions): DbIterator {
    try {
      const o = checkScanOptions(options);
      return this.#inner.scan(toPrefixRange(prefix), o, o.order);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** A consistent read-only view at the current seq. Close it to release the versions it pins. */
  snapshot(): Promise<Snapshot> {
    return wrap(async () => {
      this.#inner.checkOpen();
      return new Snapshot(this.#inner, this.#inner.lastCommittedSeq);
    });
  }

  /**
   * Begins a transaction at `isolation` ('snapshot', the default, or 'serializableSnapshot'): reads see the database
   * as of now plus the transaction's own writes; `commit()` applies its writes atomically or fails with kind
   * 'transaction' (TRANSACTION_CONFLICT). See docs/transactions.md.
   */
  begin(isolation: IsolationLevel = 'snapshot'): Promise<DbTransaction> {
    return wrap(async () => {
      const level = checkIsolation(isolation);
      this.#inner.checkOpen();
      return new DbTransaction(this.#inner, level);
    });
  }

  /**
   * Writes the WAL buffer now (type 'wal', the default) or flushes the memtable to L0 ('memtable'). With
   * `walEnabled: false` both flush the memtable to L0, which is what makes writes durable there.
   */
  flush(options?: FlushOptions): Promise<void> {
    return wrap(() => this.#inner.flush(checkFlushOptions(options)));
  }

  /**
   * Creates a checkpoint: a pin on one manifest version that garbage collection honours, which a `DbReader` can
   * open. Scope 'all' (default) flushes the WAL and memtable first so every write made before the call is
   * included; 'durable' pins what is durable now. `lifetime` omitted = never expires. See
   * docs/checkpoints-and-readers.md.
   */
  createCheckpoint(options?: DbCheckpointOptions): Promise<CheckpointCreateResult> {
    return wrap(() => createDbCheckpoint(this.#inner, options));
  }

  /** Sets checkpoint `id` to expire `lifetime` from now (omitted: never); a missing one fails with kind 'data'. */
  refreshCheckpoint(id: string, lifetime?: string | number): Promise<void> {
    return wrap(() => refreshDbCheckpoint(this.#inner, id, lifetime));
  }

  /** Deletes checkpoint `id` (a missing one is not an error). */
  deleteCheckpoint(id: string): Promise<void> {
    return wrap(() => deleteDbCheckpoint(this.#inner, id));
  }

  /** The checkpoints in the latest manifest; `name` filters ('' = the unnamed ones). */
  listCheckpoints(name?: string): Promise<CheckpointInfo[]> {
    return wrap(() => listDbCheckpoints(this.#inner, name));
  }

  /** Progress and state. */
  status(): DbStatus {
    const p = this.#inner.progress();
    const m = p.manifest;
    return {
      durableSeq: BigInt(p.durableSeq),
      lastCommittedSeq: BigInt(p.lastCommittedSeq),
      manifestId: BigInt(p.manifestId),
      writerEpoch: BigInt(m.writerEpoch),
      closeReason: this.#inner.closeReason,
      l0Count: m.l0.length,
      sortedRunCount: m.compacted.length,
      immutableMemtables: p.immutableMemtables,
      nextWalId: BigInt(p.nextWalId),
    };
  }

  /**
   * The database's metrics under SlateDB 0.12.1's names (`slatedb.db.write_ops`, ...), with current values
   * (0.12.1 `DefaultMetricsRecorder::snapshot`). Also readable after close.
   */
  metrics(): Metric[] {
    const obs = this.#inner.observability;
    if (obs === undefined) return [];
    obs.stats.refresh();
    return obs.own.snapshot();
  }

  /** {@link Db.metrics} in the Prometheus text exposition format (names with '_' for '.'). */
  metricsText(): string {
    return toPrometheusText(this.metrics());
  }

  /**
   * The writer's current manifest (0.12.1's `Db::manifest`): the latest manifest it read or wrote plus its own
   * changes not yet written (such as an L0 just uploaded). The result is the caller's own copy.
   */
  manifest(): Manifest {
    try {
      return decodeManifest(encodeManifest(this.#inner.manifest));
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /**
   * Subscribes to status changes (0.12.1's `Db::subscribe`): a new {@link DbStatus} is published when the durable
   * seq advances, the manifest changes, or the database closes (then `closeReason` is set, once close() has begun
   * or the writer was fenced, and no status follows). `listener`, if given, is called (in a microtask) with every
   * new status; the subscription also offers `status`, `changed()` and `waitFor(predicate)`.
   * `unsubscribe()` when done.
   */
  subscribe(listener?: (status: DbStatus) => void): DbStatusSubscription<DbStatus> {
    try {
      return this.#statusWatch().subscribe(listener);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  #statusWatch(): DbStatusWatch<DbStatus> {
    if (this.#watch !== undefined) return this.#watch;
    const inner = this.#inner;
    const watch = new DbStatusWatch(
      () => this.status(),
      () => {
        const p = inner.progress();
        return {
          durableSeq: BigInt(p.durableSeq),
          manifestId: BigInt(p.manifestId),
          manifest: p.manifest,
          closeReason: inner.closeReason,
        };
      },
    );
    inner.onStatusChange(() => watch.notify());
    this.#watch = watch;
    return watch;
  }

  /**
   * Flushes and closes, as 0.12.1 does: with the WAL on, the WAL buffer is written (the memtable stays in the WAL);
   * with `walEnabled: false`, the memtable is flushed to L0, so every acknowledged write survives a clean close.
   * Idempotent.
   */
  close(): Promise<void> {
    return wrap(() => this.#inner.close());
  }

  /** `await using db = await Db.open(...)` closes the database at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
