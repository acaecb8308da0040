/**
 * Opening a database, as SlateDB 0.12.1 does (spec §6.1): load or create the manifest, compute the next WAL id from
 * a listing, bump the writer epoch (fencing older writers' manifest updates), write the fence at the next free WAL
 * id (fencing older writers' WAL writes), start the background tasks and replay the WAL.
 *
 * Invariants: no write is accepted before the fence exists and replay is done; the writer epoch only grows; a
 * database configured with a separate WAL store (which ShaleDB does not support) is refused with 'invalid'.
 * Concurrency: runs once, before the handle is returned.
 */

import { type Manifest, newManifest } from '../format/manifest.js';
import { InstrumentedObjectStore } from '../object-store/instrumented-store.js';
import { isObjectStoreError, type ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { RetryingObjectStore } from '../object-store/retrying-store.js';
import { systemClock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { invalidError } from '../util/errors.js';
import { systemRand } from '../util/random.js';
import type { DbOpenOptions } from './db.js';
import { DbInner } from './db-inner.js';
import { DbState } from './db-state.js';
import { preloadDiskCache, withDiskCache } from './disk-cache-setup.js';
import { mergeRemoteIntoWriter } from './manifest-merge.js';
import { MemtableFlusher } from './memtable-flusher.js';
import { MonotonicClock } from './mono-clock.js';
import { Observability } from './observability.js';
import { SeqOracle } from './oracle.js';
import { manifestCodec, manifestDir, normalizeRoot } from './paths.js';
import { startBackgroundServices } from './services.js';
import { resolveSettings } from './settings.js';
import { SnapshotRegistry } from './snapshot-registry.js';
import { TableStore } from './table-store.js';
import {
  type EpochAccess,
  FenceableObject,
  SequencedStore,
  TransactionalObject,
  VersionExistsError,
} from './transactional-object.js';
import { replayWal } from './wal-replay.js';
import { WalWriter } from './wal-writer.js';

/** The writer's epoch in a manifest. */
export const WRITER_EPOCH: EpochAccess<Manifest> = {
  name: 'writer',
  get: (m) => m.writerEpoch,
  set: (m, e) => ({ ...m, writerEpoch: e }),
};

const BLOCK_SIZES = [1024, 2048, 4096, 8192, 16384, 32768, 65536];

function checkOpenOptions(options: DbOpenOptions): void {
  if (typeof options !== 'object' || options === null)
    throw invalidError('INVALID_ARGUMENT', 'options must be an object');
  if (options.mergeOperator !== undefined && typeof options.mergeOperator !== 'function') {
    throw invalidError(
      'INVALID_ARGUMENT',
      'mergeOperator must be a function (key, existing, operands) => Uint8Array',
    );
  }
  if (options.blockSize !== undefined && !BLOCK_SIZES.includes(options.blockSize)) {
    throw invalidError('INVALID_SETTING', `blockSize must be one of ${BLOCK_SIZES.join(', ')}`);
  }
  const cache = options.blockCacheBytes;
  if (cache !== undefined && (!Number.isSafeInteger(cache) || cache < 0)) {
    throw invalidError('INVALID_SETTING', 'blockCacheBytes must be a non-negative integer');
  }
}

/** Loads the latest manifest or creates manifest 1; tolerates a concurrent creator. */
async function loadOrCreate(store: SequencedStore<Manifest>): Promise<TransactionalObject<Manifest>> {
  const loaded = await TransactionalObject.tryLoad(store);
  if (loaded !== undefined) return loaded;
  try {
    return await TransactionalObject.create(store, newManifest());
  } catch (e) {
    if (!(e instanceof VersionExistsError)) throw e;
    const again = await TransactionalObject.tryLoad(store);
    if (again === undefined) throw e;
    return again;
  }
}

/** Opens the database and returns its engine. */
export async function openDb(
  path: string,
  storeArg: ObjectStore | string,
  options: DbOpenOptions,
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
  if (typeof storeArg === 'string') {
    ownedStore = await resolveObjectStore(storeArg);
    store = new InstrumentedObjectStore(ownedStore, obs.recorder, 'db', clock);
  } else if (storeArg !== null && typeof storeArg === 'object' && typeof storeArg.put === 'function') {
    const measured = new InstrumentedObjectStore(storeArg, obs.recorder, 'db', clock);
    store = options.retry === false ? measured : new RetryingObjectStore(measured, { clock, rand });
  } else {
    throw invalidError('INVALID_ARGUMENT', 'store must be an ObjectStore or a URL string');
  }
  try {
    store = await withDiskCache(store, root, settings.objectStoreCacheOptions, obs.onCacheError);
    return await openWithStore(root, store, ownedStore, settings, options, clock, rand, obs);
  } catch (e) {
    await ownedStore?.close().catch(() => {});
    throw e;
  }
}

async function openWithStore(
  root: string,
  store: ObjectStore,
  ownedStore: ObjectStore | undefined,
  settings: ReturnType<typeof resolveSettings>,
  options: DbOpenOptions,
  clock: NonNullable<DbOpenOptions['clock']>,
  rand: NonNullable<DbOpenOptions['rand']>,
  obs: Observability,
): Promise<DbInner> {
  const tableStore = new TableStore(store, root, {
    codec: settings.compressionCodec,
    blockSize: options.blockSize ?? 4096,
    minFilterKeys: settings.minFilterKeys,
    filterBitsPerKey: settings.filterBitsPerKey,
    blockCacheBytes: options.blockCacheBytes ?? 64 * 1024 * 1024,
    onL0Written: obs.onL0Written,
  });
  const manifestStore = new SequencedStore<Manifest>(store, manifestDir(root), 'manifest', manifestCodec);
  const stored = await loadOrCreate(manifestStore);
  if (stored.value.walObjectStoreUri !== undefined) {
    throw invalidError(
      'WAL_STORE_RECONFIGURATION',
      'the database uses a separate WAL object store, which ShaleDB does not support',
    );
  }
  await preloadDiskCache(store, root, stored.value, settings.objectStoreCacheOptions);
  const firstWalId = await tableStore.nextWalId(stored.value.replayAfterWalId);
  const manifest = await FenceableObject.init(stored, WRITER_EPOCH, clock, settings.manifestUpdateTimeoutMs);
  const state = new DbState(manifest.value, tableStore);

  // Fence older writers: the first free WAL id gets an empty SST.
  let fenceId = firstWalId;
  if (settings.walEnabled) {
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
  const nextWalId = replay === undefined ? 1 : Math.max(fenceId, replay.lastWalId) + 1;

  const walWriter = settings.walEnabled
    ? new WalWriter({
        executor,
        clock,
        writeWalSst: (id, rows, sizeHint) => tableStore.writeWal(id, rows, sizeHint),
        nextWalId,
        flushIntervalMs: settings.flushIntervalMs,
        maxBufferBytes: settings.l0SstSizeBytes,
        onFlushed: (_id, lastSeq) => {
          oracle.advanceDurable(lastSeq);
          obs.onWalFlushed();
        },
      })
    : undefined;
  obs.attach(store, state, tableStore, walWriter);
  const flusher = new MemtableFlusher({
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
    oracle.lastSeq = oracle.lastCommittedSeq = oracle.durableSeq = replay.lastSeq;
    if (replay.lastTick !== undefined) monoClock.observe(replay.lastTick);
    replay.tables.forEach((t, i) => {
      if (i > 0) {
        const imm = state.freezeMemtable(replay.tables[i - 1]!.lastWalId);
        if (imm !== undefined) flusher.notifyFrozen(imm);
      }
      state.replaceMemtable(t.table);
    });
  }

  const services = await startBackgroundServices({
    root,
    store,
    executor,
    settings,
    clock,
    rand,
    mergeOperator: options.mergeOperator,
    tableStore,
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
      await services.close();
      tableStore.close();
      await ownedStore?.close();
    },
  });
}
