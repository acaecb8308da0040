/**
 * Garbage-collector interop with the real SlateDB 0.12.1 (@slatedb/uniffi) on one file:// database, both ways:
 * - SlateDB's own collector (a SlateDB writer opened with garbage_collector_options, 100 ms intervals, minimum age
 *   0) on a database ShaleDB wrote (with its compactor, a never-expiring checkpoint that pins L0s the latest
 *   manifest dropped, an expired checkpoint, a WAL-only tail and an orphan SST): it must delete garbage of every
 *   kind, and afterwards ShaleDB reopens and reads every write, reopens at the kept checkpoint and reads what it
 *   read when the checkpoint was made, and SlateDB's DbReader pinned to that checkpoint reads the same;
 * - ShaleDB's collector (one pass, minimum age 0, a clock 1000 s ahead so the compactor's 900 s checkpoints have
 *   expired) on a database SlateDB wrote with its compactor (two compactions, a checkpoint ShaleDB added while
 *   SlateDB was writing, merge operands, a WAL-only tail): it must delete garbage of every kind, and afterwards
 *   SlateDB reopens and reads exactly what it read before, its DbReader pinned to the kept checkpoint reads
 *   exactly what it read there before, and ShaleDB reads the same.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Checkpoint, Manifest } from '../../src/format/manifest.js';
import { GarbageCollector } from '../../src/gc/garbage-collector.js';
import { deletedCounts, passFailed } from '../../src/gc/gc-report.js';
import { GcStore } from '../../src/gc/gc-store.js';
import type { MergeOperator } from '../../src/lsm/merge-operator.js';
import type { ObjectStore } from '../../src/object-store/object-store.js';
import { resolveObjectStore } from '../../src/object-store/resolve.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { SeededRand, testSeed } from '../../src/util/random.js';
import { slateGcOptions, slateScan, slateWriteBatch } from '../support/gc-oracle.js';
import { checkReferences, cloneAt, lines, reopenAndScan, reopenAt } from '../support/gc-safety-check.js';
import { buildGcScenario, type GcScenario, writeOrphan } from '../support/gc-scenario.js';
import { SimCheckpoints } from '../support/gc-sim-compactor.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { requireOracle } from '../support/slatedb-oracle.js';
import { RemoteOracle } from '../support/slatedb-remote.js';

const concat: MergeOperator = (_key, existing, operands) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...operands]);

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = systemClock.monotonicMs() + timeoutMs;
  while (!(await cond())) {
    assert.ok(systemClock.monotonicMs() < deadline, `timed out waiting for ${what}`);
    await systemClock.sleep(100);
  }
}

interface Listing {
  readonly manifest: Set<string>;
  readonly wal: Set<string>;
  readonly compacted: Set<string>;
  readonly compactions: Set<string>;
}

async function listing(g: GcStore): Promise<Listing> {
  return {
    manifest: new Set((await g.listManifests()).map((v) => v.path)),
    wal: new Set((await g.listWalSsts()).map((v) => v.path)),
    compacted: new Set((await g.listCompactedSsts()).map((v) => v.path)),
    compactions: new Set((await g.listCompactions()).map((v) => v.path)),
  };
}

function gone(before: Listing, after: Listing): Record<keyof Listing, string[]> {
  const diff = (k: keyof Listing) => [...before[k]].filter((p) => !after[k].has(p));
  return {
    manifest: diff('manifest'),
    wal: diff('wal'),
    compacted: diff('compacted'),
    compactions: diff('compactions'),
  };
}

function hasCheckpoint(m: Manifest, c: Checkpoint): boolean {
  return m.checkpoints.some((x) => x.id.equals(c.id));
}

async function shaleChecks(store: ObjectStore, root: string, expected: Map<string, string>): Promise<void> {
  await checkReferences(store, root);
  const all = await reopenAndScan(await cloneAt(store, root), root, systemClock.nowMs(), concat);
  assert.deepEqual(lines(all.rows), lines(expected), 'ShaleDB reads every write');
}

/** Opens SlateDB on the scenario with its collector on (100 ms, minimum age 0) until it has collected. */
async function slateCollects(dir: string, s: GcScenario, g: GcStore): Promise<Listing> {
  const before = await listing(g);
  const slate = await RemoteOracle.open({
    dir,
    path: s.root,
    settings: { garbage_collector_options: slateGcOptions('100ms', '0s') },
  });
  try {
    await until('SlateDB to collect', async () => {
      const now = await listing(g);
      const latest = (await g.readLatestManifest()).manifest;
      return !now.compacted.has(s.orphan) && now.compactions.size === 1 && !hasCheckpoint(latest, s.expired);
    });
  } finally {
    await slate.close('shutdown');
  }
  const deleted = gone(before, await listing(g));
  const counts = Object.fromEntries(Object.entries(deleted).map(([k, v]) => [k, v.length]));
  console.log(`SlateDB deleted ${JSON.stringify(counts)}`);
  return before;
}

test("SlateDB 0.12.1's collector on a ShaleDB database deletes garbage and nothing still referenced", async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const s = await buildGcScenario(dir, seed);
    const store = await resolveObjectStore(s.url);
    try {
      const g = new GcStore(store, s.root);
      const deleted = gone(await slateCollects(dir, s, g), await listing(g));
      for (const k of ['manifest', 'wal', 'compacted', 'compactions'] as const) {
        assert.ok(deleted[k].length > 0, `SlateDB deleted some ${k} objects`);
      }
      assert.ok(deleted.compacted.includes(s.orphan));
      const latest = (await g.readLatestManifest()).manifest;
      assert.ok(hasCheckpoint(latest, s.keep.checkpoint), 'the never-expiring checkpoint is still there');
      // The premise: the kept checkpoint needs WAL SSTs below the latest replay point, which only it protects.
      const km = await g.manifests.read(s.keep.checkpoint.manifestId);
      assert.ok(km.walIdLastSeen > km.replayAfterWalId && latest.replayAfterWalId > km.walIdLastSeen);

      await shaleChecks(store, s.root, s.expected);
      const at = await reopenAt(store, s.root, s.keep.checkpoint.manifestId, km, systemClock.nowMs());
      assert.equal(at.seq, s.keep.state.seq);
      assert.deepEqual(
        lines(at.rows),
        lines(s.keep.state.rows),
        'ShaleDB reads the kept checkpoint as before',
      );
      const slateAt = await RemoteOracle.readAll(dir, s.root, s.keep.checkpoint.id.toString());
      assert.deepEqual(lines(slateAt), lines(s.keep.state.rows), "SlateDB's reader at the checkpoint agrees");
    } finally {
      await store.close();
    }
  });
});

/** Checkpoints SlateDB's compactor wrote (900 s lifetimes). */
function compactorCheckpoints(m: Manifest): number {
  return m.checkpoints.filter((c) => c.expireTimeS - c.createTimeS === 900).length;
}

/** What SlateDB wrote: the checkpoint ShaleDB added meanwhile, what was read there, and the full contents. */
interface SlateWritten {
  readonly keep: Checkpoint;
  readonly keepBefore: Map<string, string>;
  readonly full: Map<string, string>;
}

/**
 * SlateDB writes with its compactor: 4 memtables (a compaction), 2 more and WAL-only batches, a clean close;
 * ShaleDB then pins the latest manifest (its WAL range holds those batches); SlateDB reopens, writes 2 more
 * memtables (a second compaction consumes the pinned L0s) and a WAL-only tail.
 */
async function slateWrites(dir: string, g: GcStore, rand: SeededRand): Promise<SlateWritten> {
  const checkpoints = new SimCheckpoints(g.store, 'db', systemClock, rand);
  const open = () => RemoteOracle.open({ dir, compactor: { pollInterval: '100ms' } });
  const memtables = async (slate: RemoteOracle, from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      for (let b = 0; b < 3; b++) await slateWriteBatch(slate, rand, `m${i}b${b}`);
      await slate.flushMemtable();
    }
  };
  const latestOf = async (): Promise<Manifest> => (await g.readLatestManifest()).manifest;
  let slate = await open();
  try {
    await memtables(slate, 0, 4);
    await until('the first compaction', async () => compactorCheckpoints(await latestOf()) >= 1);
    await until('its result', async () => (await latestOf()).compacted.length > 0);
    await memtables(slate, 4, 6);
    for (let b = 0; b < 3; b++) await slateWriteBatch(slate, rand, `wal${b}`);
  } finally {
    await slate.close('shutdown');
  }
  const keep = await checkpoints.create(0); // an unfenced CAS, as Admin does
  const keepBefore = await RemoteOracle.readAll(dir, 'db', keep.id.toString());
  slate = await open();
  try {
    await memtables(slate, 6, 8);
    await until('the second compaction', async () => compactorCheckpoints(await latestOf()) >= 2);
    await until('its result', async () => (await latestOf()).l0.length < 4);
    for (let b = 0; b < 3; b++) await slateWriteBatch(slate, rand, `tail${b}`);
    return { keep, keepBefore, full: await slateScan(slate) };
  } finally {
    await slate.close('shutdown');
  }
}

/** One pass of our collector with minimum age 0 on a clock 1000 s ahead (900 s checkpoints have expired). */
async function collectAhead(store: ObjectStore): Promise<GarbageCollector> {
  const ahead: Clock = {
    nowMs: () => systemClock.nowMs() + 1_000_000,
    monotonicMs: () => systemClock.monotonicMs(),
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
  };
  const zero = { intervalMs: 60_000, minAgeMs: 0 };
  const gc = new GarbageCollector({
    store,
    root: 'db',
    options: { manifest: zero, wal: zero, compacted: zero, compactions: zero },
    clock: ahead,
  });
  const report = await gc.runOnce();
  assert.equal(passFailed(report), false, JSON.stringify(report.resources.map((r) => r.error?.message)));
  console.log(
    `ShaleDB deleted ${JSON.stringify(deletedCounts(report))}, expired checkpoints ${gc.stats.expiredCheckpointsRemoved}`,
  );
  return gc;
}

test("ShaleDB's collector on a SlateDB 0.12.1 database deletes garbage and nothing still referenced", async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const rand = new SeededRand(seed);
    const store = await resolveObjectStore(`file://${dir}`);
    try {
      const g = new GcStore(store, 'db');
      const { keep, keepBefore, full } = await slateWrites(dir, g, rand);
      assert.ok(hasCheckpoint((await g.readLatestManifest()).manifest, keep), 'SlateDB kept our checkpoint');
      const expired = await new SimCheckpoints(store, 'db', systemClock, rand).pin(3, -60);
      const orphan = await writeOrphan(store, 'db', rand);
      const before = await listing(g);
      const gc = await collectAhead(store);
      const deleted = gone(before, await listing(g));
      for (const k of ['manifest', 'wal', 'compacted', 'compactions'] as const) {
        assert.ok(deleted[k].length > 0, `ShaleDB deleted some ${k} objects`);
        assert.equal(deleted[k].length, gc.stats.deleted[k]);
      }
      assert.ok(deleted.compacted.includes(orphan));
      assert.ok(deleted.compacted.length > 1, 'compaction inputs no live manifest references were deleted');
      assert.ok(
        gc.stats.expiredCheckpointsRemoved >= 3,
        'the expired and both compactor checkpoints expired',
      );
      const after = (await g.readLatestManifest()).manifest;
      assert.ok(hasCheckpoint(after, keep) && !hasCheckpoint(after, expired));
      // The premise: the kept checkpoint needs WAL SSTs below the latest replay point, which only it protects.
      const km = await g.manifests.read(keep.manifestId);
      assert.ok(km.walIdLastSeen > km.replayAfterWalId && after.replayAfterWalId > km.walIdLastSeen);

      assert.deepEqual(lines(await RemoteOracle.readAll(dir, 'db', keep.id.toString())), lines(keepBefore));
      const reopened = await RemoteOracle.open({ dir });
      try {
        assert.deepEqual(lines(await slateScan(reopened)), lines(full), 'SlateDB reads what it read before');
      } finally {
        await reopened.close('shutdown');
      }
      await shaleChecks(store, 'db', full);
      const at = await reopenAt(store, 'db', keep.manifestId, km, systemClock.nowMs(), concat);
      assert.deepEqual(
        lines(at.rows),
        lines(keepBefore),
        'ShaleDB reads the kept checkpoint as SlateDB does',
      );
    } finally {
      await store.close();
    }
  });
});
