/**
 * GC safety under a random workload: nothing the latest manifest, a live checkpoint or a reader pinned by one
 * references is ever deleted, even with every minimum age at 0 and collection running concurrently with the
 * writer, a compactor and checkpoint makers.
 *
 * Method: one seeded run on a memory store and a ManualClock. Actors: a real Db writer (puts and deletes, WAL
 * flushes, memtable flushes, clean restarts), a compactor stand-in (fenced by the compactor epoch, 900 s
 * checkpoint before each result, compactions file, sometimes a crash that leaves orphan outputs), checkpoint
 * makers (never-expiring, 600 s, 900 s, 30 s; some deleted again), orphan SSTs and clock jumps that expire
 * checkpoints. Collection passes (whole passes, or single resources in random order as the tickers would run
 * them) follow most steps, some concurrently with the step, and are also injected at the two races the cutoff
 * bounds exist for (an L0 or compaction output written but not yet in a manifest, time passing, a compaction or
 * newer L0s landing meanwhile). After every pass: every SST a live manifest names, and every WAL SST in its
 * replay range that was ever written, still exists; the database reopened at the latest manifest reads exactly
 * every write; reopened at each live checkpoint's manifest it reads exactly the writes up to the seq it covers,
 * and for the checkpoints the test made, exactly what it read right after making them. The run must delete
 * objects of every kind. Rerun a failure with SHALEDB_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkReferences,
  cloneAt,
  lines,
  RecordingStore,
  type ReopenedState,
  reopenAndScan,
  reopenAt,
  WriteLog,
} from '../../test/support/gc-safety-check.js';
import { SimCheckpoints, SimCompactor } from '../../test/support/gc-sim-compactor.js';
import { Db } from '../db/db.js';
import { WriteBatch } from '../db/write-batch.js';
import { compactedSstPath } from '../format/object-paths.js';
import { makeRow } from '../format/row.js';
import { sstBytes } from '../format/sst-builder.js';
import { GarbageCollector } from '../gc/garbage-collector.js';
import { GC_RESOURCES, type GcResource } from '../gc/gc-report.js';
import { GcStore } from '../gc/gc-store.js';
import { ArrayRowIterator } from '../lsm/array-iterator.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { TableStore } from '../store/table-store.js';
import { ManualClock } from '../util/clock.js';
import type { Uuid } from '../util/ids.js';
import { Ulid } from '../util/ids.js';
import { SeededRand, testSeed } from '../util/random.js';

const ROOT = 'db';
const STEPS = 150;
const KEYS = 150;
const T0 = 1_710_000_000_000;

interface World {
  readonly rand: SeededRand;
  readonly clock: ManualClock;
  /** What the compactor, checkpoint makers and checks use. */
  readonly store: RecordingStore;
  /** What the writer uses (same objects; its puts can trigger injected races). */
  readonly dbStore: RecordingStore;
  db: Db;
  readonly compactor: SimCompactor;
  readonly checkpoints: SimCheckpoints;
  readonly gc: GarbageCollector;
  readonly log: WriteLog;
  /** What the database read at each checkpoint right after it was made, by checkpoint id. */
  readonly pinned: Map<string, { manifestId: number; state: ReopenedState }>;
  readonly made: Uuid[];
  writeCounter: number;
  /** Set while an injected race runs (no nesting). */
  racing: boolean;
  races: number;
}

function openWriter(store: RecordingStore, clock: ManualClock, seed: number): Promise<Db> {
  return Db.open(ROOT, store, {
    clock,
    rand: new SeededRand(seed),
    retry: false,
    settings: {
      flushInterval: null,
      manifestPollInterval: '60s',
      compactorOptions: null,
      garbageCollectorOptions: null,
    },
  });
}

/**
 * Injected races, at the two moments the cutoff bounds exist for: an L0 (or compaction output) is written but no
 * manifest names it yet, time passes, maybe a compaction (or a flush of newer L0s) completes, and a pass runs.
 */
function injectRaces(w: World): void {
  const race = async (during: () => Promise<unknown>): Promise<void> => {
    if (w.racing || w.rand.nextInt(2) > 0) return;
    w.racing = true;
    try {
      w.races++;
      await w.clock.advance(1 + w.rand.nextInt(5000));
      if (w.rand.nextInt(4) > 0) await during();
      await w.clock.advance(1 + w.rand.nextInt(5000));
      await w.gc.runOnce();
    } finally {
      w.racing = false;
    }
  };
  w.dbStore.afterPut = (path) =>
    path.includes('/compacted/') ? race(() => w.compactor.compact('l0')) : Promise.resolve();
  w.compactor.beforeResult = () =>
    race(async () => {
      await write(w);
      await w.db.flush({ type: 'memtable' });
    });
}

async function write(w: World): Promise<void> {
  const batch = new WriteBatch();
  const used = new Set<number>();
  const ops: Array<{ key: string; value: string | undefined }> = [];
  for (let n = 1 + w.rand.nextInt(12); n > 0; n--) {
    const k = w.rand.nextInt(KEYS);
    if (used.has(k)) continue;
    used.add(k);
    const key = `k${String(k).padStart(4, '0')}`;
    if (w.rand.nextInt(5) === 0) {
      batch.delete(key);
      ops.push({ key, value: undefined });
    } else {
      const value = `v${w.writeCounter++}`;
      batch.put(key, value);
      ops.push({ key, value });
    }
  }
  const h = await w.db.write(batch, { awaitDurable: false });
  for (const op of ops) w.log.add(Number(h.seq), op.key, op.value);
  await w.db.flush();
}

async function orphanSst(w: World): Promise<void> {
  const tables = new TableStore(w.store, ROOT, {
    codec: null,
    blockSize: 1024,
    minFilterKeys: 10,
    filterBitsPerKey: 10,
    blockCacheBytes: 0,
  });
  const row = makeRow(new TextEncoder().encode('orphan'), 1, 'value', new TextEncoder().encode('x'), 0);
  const built = await tables.buildSst(new ArrayRowIterator([row]));
  const id = Ulid.generate(w.clock.nowMs() - w.rand.nextInt(7_200_000), w.rand);
  await w.store.put(compactedSstPath(ROOT, id), sstBytes(built));
}

async function makeCheckpoint(w: World): Promise<void> {
  const lifetimeS = [0, 600, 900, 30][w.rand.nextInt(4)]!;
  const c = await w.checkpoints.create(lifetimeS);
  w.made.push(c.id);
  const m = await new GcStore(w.store, ROOT).manifests.read(c.manifestId);
  const state = await reopenAt(w.store, ROOT, c.manifestId, m, w.clock.nowMs());
  w.pinned.set(c.id.toString(), { manifestId: c.manifestId, state });
}

async function step(w: World): Promise<string> {
  const r = w.rand.nextInt(100);
  if (r < 40) {
    await write(w);
    return 'write';
  }
  if (r < 55) {
    await w.db.flush({ type: 'memtable' });
    return 'flush';
  }
  if (r < 63) return (await w.compactor.compact('l0')) ? 'compact-l0' : 'noop';
  if (r < 67) return (await w.compactor.compact('all')) ? 'compact-all' : 'noop';
  if (r < 69) return (await w.compactor.compact('l0', true)) ? 'compact-crash' : 'noop';
  if (r < 79) {
    await makeCheckpoint(w);
    return 'checkpoint';
  }
  if (r < 84 && w.made.length > 0) {
    await w.checkpoints.delete(w.made[w.rand.nextInt(w.made.length)]!);
    return 'uncheckpoint';
  }
  if (r < 88) {
    await orphanSst(w);
    return 'orphan';
  }
  if (r < 94) {
    // A clean close writes a manifest whose WAL range is not empty; the next writer bumps the epoch.
    await w.db.close();
    w.db = await openWriter(w.dbStore, w.clock, w.rand.nextU32());
    // A reader opening right after a restart pins a manifest whose WAL range is not empty.
    if (w.rand.nextInt(2) === 0) await makeCheckpoint(w);
    return 'reopen';
  }
  await w.clock.advance(1 + w.rand.nextInt(400_000));
  return 'advance';
}

async function collect(w: World): Promise<void> {
  if (w.rand.nextInt(2) === 0) {
    await w.gc.runOnce();
    return;
  }
  // As the tickers would: single resources, in any order.
  const order: GcResource[] = [...GC_RESOURCES].sort(() => w.rand.nextInt(3) - 1);
  for (const r of order) if (w.rand.nextInt(3) > 0) await w.gc.runResource(r);
}

async function check(w: World, when: string): Promise<void> {
  await checkReferences(w.store, ROOT, w.store.written);
  const latest = await reopenAndScan(await cloneAt(w.store, ROOT), ROOT, w.clock.nowMs());
  assert.deepEqual(lines(latest.rows), lines(w.log.at()), `${when}: the latest manifest reads every write`);
  const gcStore = new GcStore(w.store, ROOT);
  for (const c of (await gcStore.readLatestManifest()).manifest.checkpoints) {
    const m = await gcStore.manifests.read(c.manifestId);
    const at = await reopenAt(w.store, ROOT, c.manifestId, m, w.clock.nowMs());
    assert.deepEqual(lines(at.rows), lines(w.log.at(at.seq)), `${when}: checkpoint ${c.id} reads its writes`);
    const pinned = w.pinned.get(c.id.toString());
    if (pinned === undefined) continue; // a compactor checkpoint: nothing was read there when it was made
    assert.equal(at.seq, pinned.state.seq, `${when}: checkpoint ${c.id} covers the same seq`);
    assert.deepEqual(lines(at.rows), lines(pinned.state.rows), `${when}: checkpoint ${c.id} reads the same`);
  }
}

test('random workload with checkpoints: collection never deletes what a live manifest needs', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  const clock = new ManualClock(T0);
  const memory = new MemoryObjectStore({ clock });
  const store = new RecordingStore(memory);
  const dbStore = new RecordingStore(memory, store.written);
  const db = await openWriter(dbStore, clock, seed + 1);
  const compactor = await SimCompactor.open(store, ROOT, clock, new SeededRand(seed + 2));
  const zero = { intervalMs: 60_000, minAgeMs: 0 };
  const w: World = {
    rand,
    clock,
    store,
    dbStore,
    db,
    compactor,
    checkpoints: new SimCheckpoints(store, ROOT, clock, new SeededRand(seed + 3)),
    gc: new GarbageCollector({
      store,
      root: ROOT,
      options: { manifest: zero, wal: zero, compacted: zero, compactions: zero },
      clock,
    }),
    log: new WriteLog(),
    pinned: new Map(),
    made: [],
    writeCounter: 0,
    racing: false,
    races: 0,
  };
  injectRaces(w);
  try {
    for (let i = 0; i < STEPS; i++) {
      const concurrent = rand.nextInt(4);
      let what: string;
      if (concurrent === 0) [what] = await Promise.all([step(w), collect(w)]);
      else what = await step(w);
      await clock.advance(1 + rand.nextInt(2000));
      if (concurrent === 0 || concurrent === 1) await check(w, `step ${i} (${what})`);
      else if (concurrent === 2) {
        await collect(w);
        await check(w, `step ${i} (${what})`);
      }
    }
    await clock.advance(1_000_000);
    await w.gc.runOnce();
    await check(w, 'final');
  } finally {
    await w.db.close();
  }
  const s = w.gc.stats;
  console.log(
    `deleted ${JSON.stringify(s.deleted)}, expired checkpoints ${s.expiredCheckpointsRemoved}, races ${w.races}`,
  );
  assert.equal(s.failedTasks, 0, `no task failed (last error: ${s.lastError?.message})`);
  for (const r of GC_RESOURCES) assert.ok(s.deleted[r] > 0, `the run deleted some ${r} objects`);
  assert.ok(s.expiredCheckpointsRemoved > 0, 'the run expired some checkpoints');
});
