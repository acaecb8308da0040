/**
 * Opening a database, as SlateDB 0.12.1 does (spec §6.1): load or create the manifest, compute the next WAL id from
 * a listing, bump the writer epoch (fencing older writers' manifest updates), write the fence at the next free WAL
 * id (fencing older writers' WAL writes), start the background tasks and replay the WAL. The services embedded
 * beside the writer (compactor, GC) are started by the caller's `startServices` (the root open, src/open/open.ts);
 * without it the writer runs alone.
 *
 * Invariants: no write is accepted before the fence exists and replay is done; the writer epoch only grows; a
 * database configured with a separate WAL store (which ShaleDB does not support) is refused with 'invalid'; a clone
 * whose creation has not finished (initialized = false) is refused with 'data' INVALID_DB_STATE; a clone's shared
 * SSTs are read from its parents' roots (the manifest's external databases).
 * Concurrency: runs once, before the handle is returned.
 */

import type { Manifest } from '../format/manifest.js';
import { InstrumentedObjectStore } from '../object-store/instrumented-store.js';
import { isObjectStoreError, type ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { RetryingObjectStore } from '../object-store/retrying-store.js';
import { WRITER_EPOCH } from '../store/epochs.js';
import { L0EncoderPool } from '../store/l0-encoder-pool.js';
import { MIN_WORKER_ENCODE_BYTES } from '../store/l0-encoding.js';
import { mergeRemoteIntoWriter } from '../store/manifest-merge.js';
import { loadOrCreateManifest, manifestStore } from '../store/manifest-store.js';
import { normalizeRoot } from '../store/paths.js';
import type { Service, ServiceStarter } from '../store/services.js';
import { type ResolvedSettings, resolveSettings } from '../store/settings.js';
import { TableStore, tableStoreOptions } from '../store/table-store.js';
import { FenceableObject } from '../store/transactional-object.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { dataError, invalidError } from '../util/errors.js';
import type { Rand } from '../util/random.js';
import { systemRand } from '../util/random.js';
import { resolveWorkerNice } from '../util/thread-priority.js';
import type { DbOpenOptions } from './db.js';
import { DbInner } from './db-inner.js';
import { DbState } from './db-state.js';
import { preloadDiskCache, withDiskCache } from './disk-cache-setup.js';
import { MemtableFlusher } from './memtable-flusher.js';
import { MonotonicClock } from './mono-clock.js';
import { Observability } from './observability.js';
import { checkKnownKeys } from './options.js';
import { SeqOracle } from './oracle.js';
import { SnapshotRegistry } from './snapshot-registry.js';
import { checkWalJournalOptions, WalJournalTier } from './wal-journal.js';
import { claimThroughJournal, replayJournalTail } from './wal-journal-open.js';
import { replayWal } from './wal-replay.js';
import { WalWriter } from './wal-writer.js';

/** Flush workers when `flushWorkers` is not given (opt-in: see docs/design/0006-background-workers.md). */
const DEFAULT_FLUSH_WORKERS = 0;

const OPEN_KEYS = [
  'settings',
  'mergeOperator',
  'blockSize',
  'retry',
  'blockCacheBytes',
  'clock',
  'rand',
  'walJournal',
  'compactionWorkers',
  'flushWorkers',
  'workerNice',
  'metricsRecorder',
  'logger',
] as const satisfies readonly (keyof DbOpenOptions)[];
/** Compile-time check that OPEN_KEYS names every option (a new option must be added there). */
const openKeysComplete: [Exclude<keyof DbOpenOptions, (typeof OPEN_KEYS)[number]>] extends [never]
  ? true
  : never = true;
void openKeysComplete;

const BLOCK_SIZES = [1024, 2048, 4096, 8192, 16384, 32768, 65536];

function checkOpenOptions(options: DbOpenOptions): void {
  if (typeof options !== 'object' || options === null)
    throw invalidError('INVALID_ARGUMENT', 'options must be an object');
  checkKnownKeys(options, OPEN_KEYS, 'open option');
  if (options.mergeOperator !== undefined && typeof options.mergeOperator !== 'function') {
    throw invalidError(
      'INVALID_ARGUMENT',
      'mergeOperator must be a function (key, existing, operands) => Uint8Array',
    );
  }
  if (options.blockSize !== undefined && !BLOCK_SIZES.includes(options.blockSize)) {
    throw invalidError('INVALID_SETTING', `blockSize must be one of ${BLOCK_SIZES.join(', ')}`);
  }
  const workers = options.compactionWorkers;
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 0 || workers > 64)) {
    throw invalidError('INVALID_SETTING', 'compactionWorkers must be an integer from 0 to 64');
  }
  const flushWorkers = options.flushWorkers;
  if (
    flushWorkers !== undefined &&
    (!Number.isSafeInteger(flushWorkers) || flushWorkers < 0 || flushWorkers > 64)
  ) {
    throw invalidError('INVALID_SETTING', 'flushWorkers must be an integer from 0 to 64');
  }
  resolveWorkerNice(options.workerNice, (m) => invalidError('INVALID_SETTING', m));
  const cache = options.blockCacheBytes;
  if (cache !== undefined && (!Number.isSafeInteger(cache) || cache < 0)) {
    throw invalidError('INVALID_SETTING', 'blockCacheBytes must be a non-negative integer');
  }
}

/** Opens the database and returns its engine; `startServices` starts what runs beside the writer. */
export async function openDb(
  path: string,
  storeArg: ObjectStore | string | URL,
  options: DbOpenOptions,
  startServices?: ServiceStarter,
): Promise<DbInner> {
  checkOpenOptions(options);
  const settings = resolveSettings(options.settings);
  if (typeof path !== 'string') throw invalidError('INVALID_ARGUMENT', 'path must be a string');
  const root = normalizeRoot(path);
  const clock = options.clock ?? systemClock;
  const rand = options.rand ?? systemRand;
  const obs = new Observability(options, settings.objectStoreCacheOptions !== null);
  let store: ObjectStore;
  let ownedStore: ObjectStore | undefined;
  if (typeof storeArg === 'string' || storeArg instanceof URL) {
    ownedStore = await resolveObjectStore(storeArg);
    store = new InstrumentedObjectStore(ownedStore, obs.recorder, 'db', clock);
  } else if (storeArg !== null && typeof storeArg === 'object' && typeof storeArg.put === 'function') {
    const measured = new InstrumentedObjectStore(storeArg, obs.recorder, 'db', clock);
    store = options.retry === false ? measured : new RetryingObjectStore(measured, { clock, rand });
  } else {
    throw invalidError('INVALID_ARGUMENT', 'store must be an ObjectStore, a URL string or a URL');
  }
  const journalOptions = checkWalJournalOptions(options.walJournal);
  if (journalOptions !== undefined && !settings.walEnabled) {
    throw invalidError('INVALID_SETTING', 'walJournal needs the WAL (walEnabled: true)');
  }
  let tier: WalJournalTier | undefined;
  try {
    store = await withDiskCache(store, settings.objectStoreCacheOptions, obs.onCacheError);
    if (journalOptions !== undefined) tier = await WalJournalTier.open(journalOptions, root, clock, rand);
    return await openWithStore({
      root,
      store,
      ownedStore,
      settings,
      options,
      clock,
      rand,
      startServices,
      tier,
      obs,
    });
  } catch (e) {
    await tier?.close().catch(() => {});
    await ownedStore?.close().catch(() => {});
    throw e;
  }
}

/** What openWithStore works from. */
interface OpenContext {
  readonly root: string;
  readonly store: ObjectStore;
  readonly ownedStore: ObjectStore | undefined;
  readonly settings: ResolvedSettings;
  readonly options: DbOpenOptions;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly startServices: ServiceStarter | undefined;
  /** The local journal tier, when `walJournal` is set. */
  readonly tier: WalJournalTier | undefined;
  /** The database's metrics, stats and logger. */
  readonly obs: Observability;
}

/** The writer's fenced manifest and state, and the first WAL id after the fence. */
interface Fenced {
  readonly manifest: FenceableObject<Manifest>;
  readonly state: DbState;
  readonly fenceId: number;
}

/** Loads or creates the manifest, bumps the writer epoch and writes the WAL fence (spec §6.1). */
async function fenceOlderWriters(c: OpenContext, tableStore: TableStore): Promise<Fenced> {
  const stored = await loadOrCreateManifest(manifestStore(c.store, c.root));
  if (stored.value.walObjectStoreUri !== undefined) {
    throw invalidError(
      'WAL_STORE_RECONFIGURATION',
      'the database uses a separate WAL object store, which ShaleDB does not support',
    );
  }
  if (!stored.value.initialized) {
    throw dataError(
      'INVALID_DB_STATE',
      `${c.root}: the database is a clone whose creation has not finished (run createClone again to finish it)`,
    );
  }
  // A clone reads the SSTs it shares with its parents from their roots.
  tableStore.setExternalDbs(stored.value.externalDbs);
  await preloadDiskCache(c.store, tableStore.paths, stored.value, c.settings.objectStoreCacheOptions);
  const firstWalId = await tableStore.nextWalId(stored.value.replayAfterWalId);
  const manifest =
    c.tier === undefined
      ? await FenceableObject.init(stored, WRITER_EPOCH, c.clock, c.settings.manifestUpdateTimeoutMs)
      : await claimThroughJournal(c.tier, stored, WRITER_EPOCH, c.clock, c.settings.manifestUpdateTimeoutMs);
  const state = new DbState(manifest.value, tableStore);

  // Fence older writers: the first free WAL id gets an empty SST.
  let fenceId = firstWalId;
  if (c.settings.walEnabled) {
    for (;;) {
      try {
        await tableStore.writeFence(fenceId);
        break;
      } catch (e) {
        if (!isObjectStoreError(e, 'already-exists')) throw e;
        const remote = await manifest.refresh();
        state.setManifest(mergeRemoteIntoWriter(remote, state.manifest));
        fenceId++;
      }
    }
  }
  return { manifest, state, fenceId };
}

async function openWithStore(c: OpenContext): Promise<DbInner> {
  const { root, store, ownedStore, settings, options, clock, rand, tier, obs } = c;
  const tableStore = new TableStore(store, root, {
    ...tableStoreOptions(settings, options.blockSize ?? 4096, options.blockCacheBytes ?? 64 * 1024 * 1024),
    onL0Written: obs.onL0Written,
  });
  const { manifest, state, fenceId } = await fenceOlderWriters(c, tableStore);

  const executor = new TaskExecutor(clock, rand);
  const abort = new AbortController();
  const m = state.manifest;
  const lastL0Tick =
    m.lastL0ClockTick < BigInt(Number.MIN_SAFE_INTEGER) ? Number.MIN_SAFE_INTEGER : Number(m.lastL0ClockTick);
  const monoClock = new MonotonicClock(clock, lastL0Tick);
  const oracle = new SeqOracle(m.lastL0Seq);
  const snapshots = new SnapshotRegistry();

  // Replay: every WAL after replayAfterWalId up to the newest listed (the fence, or a stray newer file).
  const lastListed = settings.walEnabled ? Math.max(fenceId, await tableStore.lastWalId()) : 0;
  const replay = settings.walEnabled
    ? await replayWal(
        (id) => tableStore.readWal(id),
        m.replayAfterWalId + 1,
        lastListed,
        m.lastL0Seq,
        settings.l0SstSizeBytes,
      )
    : undefined;
  let nextWalId = replay === undefined ? 1 : Math.max(fenceId, replay.lastWalId) + 1;
  // The local journal's unshipped tail: into the last replayed table, and shipped before open returns.
  const tail =
    tier !== undefined && replay !== undefined
      ? await replayJournalTail({
          tier,
          table: replay.tables[replay.tables.length - 1]!.table,
          floor: replay.lastSeq,
          tableStore,
          nextWalId,
          maxSstBytes: settings.l0SstSizeBytes,
        })
      : undefined;
  if (tail !== undefined) nextWalId = tail.nextWalId;

  const flushWorkers = options.flushWorkers ?? DEFAULT_FLUSH_WORKERS;
  const workerNice = resolveWorkerNice(options.workerNice, (m) => invalidError('INVALID_SETTING', m));
  const l0Encoder = flushWorkers > 0 ? new L0EncoderPool(flushWorkers, { nice: workerNice }) : undefined;
  const walWriter = settings.walEnabled
    ? new WalWriter({
        executor,
        clock,
        writeWalSst: (id, rows, sizeHint) =>
          tableStore.writeWal(
            id,
            rows,
            sizeHint,
            sizeHint >= MIN_WORKER_ENCODE_BYTES ? l0Encoder : undefined,
          ),
        nextWalId,
        flushIntervalMs: settings.flushIntervalMs,
        maxBufferBytes: settings.l0SstSizeBytes,
        onFlushed: (_id, lastSeq) => {
          oracle.advanceDurable(lastSeq);
          tier?.shipped(lastSeq);
          obs.onWalFlushed();
        },
        localLog: tier,
      })
    : undefined;
  obs.attach(store, state, tableStore, walWriter);
  tier?.start(manifest.localEpoch, clock, (e) => executor.fail(e));
  const flusher = new MemtableFlusher({
    l0Encoder,
    executor,
    state,
    manifest,
    tableStore,
    settings,
    clock,
    rand,
    oracle,
    walWriter,
    snapshots,
    mergeOperator: obs.countOperands(options.mergeOperator, 'flush'),
    signal: abort.signal,
  });

  if (replay !== undefined) {
    oracle.lastSeq = oracle.lastCommittedSeq = oracle.durableSeq = tail?.lastSeq ?? replay.lastSeq;
    if (replay.lastTick !== undefined) monoClock.observe(replay.lastTick);
    if (tail?.lastTick !== undefined) monoClock.observe(tail.lastTick);
    replay.tables.forEach((t, i) => {
      if (i > 0) {
        const imm = state.freezeMemtable(replay.tables[i - 1]!.lastWalId);
        if (imm !== undefined) flusher.notifyFrozen(imm);
      }
      state.replaceMemtable(t.table);
    });
  }

  const noServices: Service = { close: async () => {} };
  const services = await (c.startServices ?? (async () => noServices))({
    root,
    store,
    executor,
    settings,
    clock,
    rand,
    mergeOperator: options.mergeOperator,
    tableStore,
    ...(options.compactionWorkers === undefined ? {} : { compactionWorkers: options.compactionWorkers }),
    ...(workerNice === undefined ? {} : { workerNice }),
    metrics: obs.recorder,
    logger: obs.logger,
    onManifestChanged: () => {
      // The writer may be closing; a refresh it cannot take is simply skipped.
      try {
        void flusher.poll().catch(() => {});
      } catch {}
    },
  });
  return new DbInner({
    settings,
    clock,
    rand,
    executor,
    state,
    oracle,
    monoClock,
    tableStore,
    walWriter,
    flusher,
    manifest,
    snapshots,
    mergeOperator: options.mergeOperator,
    readMergeOperator: obs.countOperands(options.mergeOperator, 'read'),
    abort,
    stats: obs.stats,
    observability: obs,
    onClose: async () => {
      await tier?.close();
      await services.close();
      await l0Encoder?.close();
      tableStore.close();
      await ownedStore?.close();
    },
  });
}
