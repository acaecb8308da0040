/**
 * GC safety beside the real embedded compactor: a Db writer with ShaleDB's own compactor (1 s polls on a
 * ManualClock) and checkpoint makers, while collection passes with every minimum age at 0 run interleaved with
 * the compactor's polls and jobs (the clock is advanced while a pass is in flight).
 *
 * Method: one seeded run on a memory store. After every pass: every SST a live manifest names and every WAL SST
 * in its replay range that was ever written still exists; the database reopened at the latest manifest reads
 * exactly every write; reopened at each live reader checkpoint it reads exactly what it read when the checkpoint
 * was made. The run must compact and must delete objects of every kind. Rerun with SHALEDB_SEED=<seed>.
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
import { SimCheckpoints } from '../../test/support/gc-sim-compactor.js';
import '../compactor/register.js';
import { Db } from '../db/db.js';
import { WriteBatch } from '../db/write-batch.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { ManualClock } from '../util/clock.js';
import { SeededRand, testSeed } from '../util/random.js';
import { GarbageCollector } from './garbage-collector.js';
import { GC_RESOURCES } from './gc-report.js';
import { GcStore } from './gc-store.js';

const ROOT = 'db';
const STEPS = 120;

function openWriter(store: RecordingStore, clock: ManualClock, seed: number): Promise<Db> {
  return Db.open(ROOT, store, {
    clock,
    rand: new SeededRand(seed),
    retry: false,
    settings: {
      flushInterval: null,
      manifestPollInterval: '1s',
      compactorOptions: { pollInterval: '1s' },
      garbageCollectorOptions: null,
    },
  });
}

test('random workload with the real compactor: collection never deletes what a live manifest needs', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  const clock = new ManualClock(1_720_000_000_000);
  const store = new RecordingStore(new MemoryObjectStore({ clock }));
  const gcStore = new GcStore(store, ROOT);
  const zero = { intervalMs: 60_000, minAgeMs: 0 };
  const gc = new GarbageCollector({
    store,
    root: ROOT,
    options: { manifest: zero, wal: zero, compacted: zero, compactions: zero },
    clock,
  });
  const checkpoints = new SimCheckpoints(store, ROOT, clock, new SeededRand(seed + 1));
  const log = new WriteLog();
  const pinned = new Map<string, ReopenedState>();
  let db = await openWriter(store, clock, seed + 2);
  let counter = 0;

  const write = async (): Promise<void> => {
    const batch = new WriteBatch();
    const ops: Array<[string, string | undefined]> = [];
    const used = new Set<number>();
    for (let n = 1 + rand.nextInt(10); n > 0; n--) {
      const k = rand.nextInt(120);
      if (used.has(k)) continue;
      used.add(k);
      const key = `k${String(k).padStart(3, '0')}`;
      const value = rand.nextInt(5) === 0 ? undefined : `v${counter++}`;
      if (value === undefined) batch.delete(key);
      else batch.put(key, value);
      ops.push([key, value]);
    }
    const h = await db.write(batch, { awaitDurable: false });
    for (const [k, v] of ops) log.add(Number(h.seq), k, v);
    await db.flush();
  };

  const check = async (when: string): Promise<void> => {
    await checkReferences(store, ROOT, store.written);
    const latest = await reopenAndScan(await cloneAt(store, ROOT), ROOT, clock.nowMs());
    assert.deepEqual(lines(latest.rows), lines(log.at()), `${when}: the latest manifest reads every write`);
    for (const c of (await gcStore.readLatestManifest()).manifest.checkpoints) {
      const before = pinned.get(c.id.toString());
      if (before === undefined) continue;
      const m = await gcStore.manifests.read(c.manifestId);
      const at = await reopenAt(store, ROOT, c.manifestId, m, clock.nowMs());
      assert.equal(at.seq, before.seq, `${when}: checkpoint ${c.id} covers the same seq`);
      assert.deepEqual(lines(at.rows), lines(before.rows), `${when}: checkpoint ${c.id} reads the same`);
    }
  };

  let compactions = 0;
  try {
    for (let i = 0; i < STEPS; i++) {
      const r = rand.nextInt(100);
      let what = 'advance';
      if (r < 40) {
        await write();
        what = 'write';
      } else if (r < 60) {
        await db.flush({ type: 'memtable' });
        what = 'flush';
      } else if (r < 70) {
        const c = await checkpoints.create([0, 600, 30][rand.nextInt(3)]!);
        const m = await gcStore.manifests.read(c.manifestId);
        pinned.set(c.id.toString(), await reopenAt(store, ROOT, c.manifestId, m, clock.nowMs()));
        what = 'checkpoint';
      } else if (r < 74) {
        await db.close();
        db = await openWriter(store, clock, rand.nextU32());
        what = 'reopen';
      }
      // Time passes while a pass may be in flight: compactor polls and jobs interleave with it.
      const pass = rand.nextInt(2) === 0 ? gc.runOnce() : undefined;
      await clock.advance(rand.nextInt(r >= 74 ? 300_000 : 3000));
      if (pass !== undefined) {
        await pass;
        await check(`step ${i} (${what})`);
      }
      compactions = Math.max(compactions, (await gcStore.readLatestManifest()).manifest.compacted.length);
    }
    await clock.advance(1_000_000);
    await gc.runOnce();
    await check('final');
  } finally {
    await db.close();
  }
  const s = gc.stats;
  console.log(`deleted ${JSON.stringify(s.deleted)}, expired checkpoints ${s.expiredCheckpointsRemoved}`);
  assert.ok(compactions > 0, 'the compactor made sorted runs');
  assert.equal(s.failedTasks, 0, `no task failed (last error: ${s.lastError?.message})`);
  for (const r of GC_RESOURCES) assert.ok(s.deleted[r] > 0, `the run deleted some ${r} objects`);
});
