/**
 * GC safety beside the real embedded compactor: a Db writer with ShaleDB's own compactor (1 s polls on a
 * ManualClock) and checkpoint makers, while collection passes with every minimum age at 0 run interleaved with
 * the compactor's polls and jobs (the clock is advanced while a pass is in flight).
 *
 * Method: one seeded run on a memory store. After every pass: every SST a live manifest names and every WAL SST
 * in its replay range that was ever written still exists; the database reopened at the latest manifest reads
 * exactly every write; reopened at each live checkpoint's manifest (the compactor's included) it reads exactly
 * the writes up to the seq it covers, and at the checkpoints the test made, exactly what it read when making
 * them. The run must compact and must delete objects of every kind. Rerun with SHALEDB_SEED=<seed>.
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
import { WriteBatch } from '../db/write-batch.js';
import { GarbageCollector } from '../gc/garbage-collector.js';
import { GC_RESOURCES } from '../gc/gc-report.js';
import { GcStore } from '../gc/gc-store.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { ManualClock } from '../util/clock.js';
import { SeededRand, testSeed } from '../util/random.js';
import { Db } from './open.js';

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

/** The run's actors and what it must read back. */
class Run {
  readonly rand: SeededRand;
  readonly clock = new ManualClock(1_720_000_000_000);
  readonly store = new RecordingStore(new MemoryObjectStore({ clock: this.clock }));
  readonly gcStore = new GcStore(this.store, ROOT);
  readonly gc: GarbageCollector;
  readonly checkpoints: SimCheckpoints;
  readonly log = new WriteLog();
  readonly pinned = new Map<string, ReopenedState>();
  db!: Db;
  counter = 0;
  sortedRunsSeen = 0;

  constructor(seed: number) {
    this.rand = new SeededRand(seed);
    const zero = { intervalMs: 60_000, minAgeMs: 0 };
    this.gc = new GarbageCollector({
      store: this.store,
      root: ROOT,
      options: { manifest: zero, wal: zero, compacted: zero, compactions: zero },
      clock: this.clock,
    });
    this.checkpoints = new SimCheckpoints(this.store, ROOT, this.clock, new SeededRand(seed + 1));
  }

  async write(): Promise<void> {
    const batch = new WriteBatch();
    const ops: Array<[string, string | undefined]> = [];
    const used = new Set<number>();
    for (let n = 1 + this.rand.nextInt(10); n > 0; n--) {
      const k = this.rand.nextInt(120);
      if (used.has(k)) continue;
      used.add(k);
      const key = `k${String(k).padStart(3, '0')}`;
      const value = this.rand.nextInt(5) === 0 ? undefined : `v${this.counter++}`;
      if (value === undefined) batch.delete(key);
      else batch.put(key, value);
      ops.push([key, value]);
    }
    const h = await this.db.write(batch, { awaitDurable: false });
    for (const [k, v] of ops) this.log.add(Number(h.seq), k, v);
    await this.db.flush();
  }

  async checkpoint(): Promise<void> {
    const c = await this.checkpoints.create([0, 600, 30][this.rand.nextInt(3)]!);
    const m = await this.gcStore.manifests.read(c.manifestId);
    this.pinned.set(c.id.toString(), await reopenAt(this.store, ROOT, c.manifestId, m, this.clock.nowMs()));
  }

  /** One workload step; returns what it did and how far to move the clock afterwards. */
  async step(): Promise<[string, number]> {
    const r = this.rand.nextInt(100);
    if (r < 40) await this.write();
    else if (r < 60) await this.db.flush({ type: 'memtable' });
    else if (r < 70) await this.checkpoint();
    else if (r < 74) {
      await this.db.close();
      this.db = await openWriter(this.store, this.clock, this.rand.nextU32());
    }
    const what = r < 40 ? 'write' : r < 60 ? 'flush' : r < 70 ? 'checkpoint' : r < 74 ? 'reopen' : 'advance';
    return [what, this.rand.nextInt(r >= 74 ? 300_000 : 3000)];
  }

  async check(when: string): Promise<void> {
    await checkReferences(this.store, ROOT, this.store.written);
    const latest = await reopenAndScan(await cloneAt(this.store, ROOT), ROOT, this.clock.nowMs());
    assert.deepEqual(
      lines(latest.rows),
      lines(this.log.at()),
      `${when}: the latest manifest reads every write`,
    );
    for (const c of (await this.gcStore.readLatestManifest()).manifest.checkpoints) {
      const m = await this.gcStore.manifests.read(c.manifestId);
      const at = await reopenAt(this.store, ROOT, c.manifestId, m, this.clock.nowMs());
      assert.deepEqual(
        lines(at.rows),
        lines(this.log.at(at.seq)),
        `${when}: checkpoint ${c.id} reads its writes`,
      );
      const before = this.pinned.get(c.id.toString());
      if (before === undefined) continue; // the compactor's: nothing was read there when it was made
      assert.equal(at.seq, before.seq, `${when}: checkpoint ${c.id} covers the same seq`);
      assert.deepEqual(lines(at.rows), lines(before.rows), `${when}: checkpoint ${c.id} reads the same`);
    }
  }
}

test('random workload with the real compactor: collection never deletes what a live manifest needs', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const run = new Run(seed);
  run.db = await openWriter(run.store, run.clock, seed + 2);
  try {
    for (let i = 0; i < STEPS; i++) {
      const [what, advanceMs] = await run.step();
      // Time passes while a pass may be in flight: compactor polls and jobs interleave with it.
      const pass = run.rand.nextInt(2) === 0 ? run.gc.runOnce() : undefined;
      await run.clock.advance(advanceMs);
      if (pass !== undefined) {
        await pass;
        await run.check(`step ${i} (${what})`);
      }
      const runs = (await run.gcStore.readLatestManifest()).manifest.compacted.length;
      run.sortedRunsSeen = Math.max(run.sortedRunsSeen, runs);
    }
    await run.clock.advance(1_000_000);
    await run.gc.runOnce();
    await run.check('final');
  } finally {
    await run.db.close();
  }
  const s = run.gc.stats;
  console.log(`deleted ${JSON.stringify(s.deleted)}, expired checkpoints ${s.expiredCheckpointsRemoved}`);
  assert.ok(run.sortedRunsSeen > 0, 'the compactor made sorted runs');
  assert.equal(s.failedTasks, 0, `no task failed (last error: ${s.lastError?.message})`);
  for (const r of GC_RESOURCES) assert.ok(s.deleted[r] > 0, `the run deleted some ${r} objects`);
});
