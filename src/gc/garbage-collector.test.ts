/**
 * GarbageCollector as a whole, on a memory store with a ManualClock: a pass runs the configured resources in
 * 0.12.1's order; a dry run reports exactly what a real pass then deletes and writes nothing; disabled resources
 * never run; background collection fires at start and on each resource's interval and stops cleanly; read
 * failures fail one task without deleting, delete failures are reported while the other deletes go on; totals
 * are kept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GcFixture, T0 } from '../../test/support/gc-fixture.js';
import { FaultInjectingObjectStore } from '../object-store/fault-injecting-store.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { isShaleDBError } from '../util/errors.js';
import type { GarbageCollector } from './garbage-collector.js';
import { deletedCounts, expiredCheckpointCount, type GcResourceReport, passFailed } from './gc-report.js';

const HOUR = 3_600_000;

/** Old garbage of every kind, a live checkpoint, and a checkpoint that expired. */
async function messyDatabase(f: GcFixture): Promise<void> {
  const [a, b, c, orphan] = await f.writeSsts(
    f.ulid(5 * HOUR),
    f.ulid(5 * HOUR),
    f.ulid(5 * HOUR),
    f.ulid(5 * HOUR),
  );
  await f.writeWal(1, 2, 3, 4, 5, 6, 7, 8);
  await f.writeCompactions([f.compaction(f.ulid(4 * HOUR), 'completed')]);
  await f.writeCompactions([f.compaction(f.ulid(3 * HOUR), 'completed')]);
  await f.writeManifest({ l0: [f.sst(a!)], replayAfterWalId: 1, walIdLastSeen: 3 }); // m1
  await f.writeManifest({ l0: [f.sst(b!)], replayAfterWalId: 3, walIdLastSeen: 5 }); // m2
  await f.writeManifest({ l0: [f.sst(c!)], replayAfterWalId: 5, walIdLastSeen: 6 }); // m3
  const nowS = Math.floor(f.clock.nowMs() / 1000);
  await f.writeManifest({
    l0: [f.sst(f.ulid(2 * HOUR))],
    replayAfterWalId: 7,
    walIdLastSeen: 8,
    checkpoints: [f.checkpoint(1, 0), f.checkpoint(2, nowS + 60)],
  }); // m4
  assert.ok(orphan);
  await f.advance(120_000); // the checkpoint on m2 has expired
}

test('a pass runs every resource in order; a dry run reports what the real pass then deletes', async () => {
  const f = new GcFixture();
  await messyDatabase(f);
  const before = await f.paths();
  const gc = f.collector(60_000);
  const dry = await gc.runOnce({ dryRun: true });
  assert.deepEqual(await f.paths(), before, 'a dry run changes nothing');
  assert.equal(dry.dryRun, true);
  assert.deepEqual(
    dry.resources.map((r) => r.resource),
    ['manifest', 'wal', 'compacted', 'compactions'],
  );
  assert.equal(expiredCheckpointCount(dry), 1);
  assert.equal(passFailed(dry), false);

  const real = await gc.runOnce();
  assert.equal(passFailed(real), false);
  assert.equal(expiredCheckpointCount(real), 1);
  for (let i = 0; i < 4; i++) assert.deepEqual(real.resources[i]!.deleted, dry.resources[i]!.deleted);
  // m1 is pinned by the live checkpoint and m5 is the latest (written by expiry): m2-m4 go. WAL 1, 4, 5, 6 go
  // (2, 3 are needed by m1; 7 and 8 are at or above the replay point). SSTs b, c and the orphan go; a is m1's.
  assert.deepEqual(deletedCounts(real), { manifest: 3, wal: 4, compacted: 3, compactions: 1 });
  assert.deepEqual(
    await f.paths('wal'),
    [2, 3, 7, 8].map((i) => `db/wal/${String(i).padStart(20, '0')}.sst`),
  );
  assert.deepEqual(
    await f.paths('manifest'),
    [1, 5].map((i) => `db/manifest/${String(i).padStart(20, '0')}.manifest`),
  );
  assert.equal((await f.paths('compacted')).length, 1);
  const stats = gc.stats;
  assert.equal(stats.passes, 2);
  assert.equal(stats.tasks, 8);
  assert.deepEqual(stats.deleted, { manifest: 3, wal: 4, compacted: 3, compactions: 1 });
  assert.equal(stats.expiredCheckpointsRemoved, 1);
  assert.equal(stats.failedTasks, 0);

  const again = await gc.runOnce();
  assert.deepEqual(deletedCounts(again), { manifest: 0, wal: 0, compacted: 0, compactions: 0 });
});

test('a disabled resource never runs', async () => {
  const f = new GcFixture();
  await messyDatabase(f);
  const gc = f.collector(0, { compacted: null, wal: null });
  assert.deepEqual(gc.resources, ['manifest', 'compactions']);
  const report = await gc.runOnce();
  assert.deepEqual(
    report.resources.map((r) => r.resource),
    ['manifest', 'compactions'],
  );
  assert.equal((await f.paths('wal')).length, 8);
  assert.equal((await f.paths('compacted')).length, 4);
  await assert.rejects(gc.runResource('wal'), (e) => isShaleDBError(e, 'internal'));
});

test('a listing that fails fails only its task, and nothing of that kind is deleted', async () => {
  const f = new GcFixture({
    wrap: (s) =>
      new FaultInjectingObjectStore(s, {
        rules: [{ kind: 'error', reason: 'permanent', operations: ['list'], path: 'db/wal/**' }],
      }),
  });
  await messyDatabase(f);
  const gc = f.collector(60_000);
  const report = await gc.runOnce();
  const wal = report.resources.find((r) => r.resource === 'wal')!;
  assert.equal(wal.error?.code, 'OBJECT_STORE_PERMANENT');
  assert.deepEqual(wal.deleted, []);
  assert.equal((await f.paths('wal')).length, 8);
  assert.equal(gc.stats.failedTasks, 1);
  assert.equal(gc.stats.lastError?.code, 'OBJECT_STORE_PERMANENT');
  assert.deepEqual(deletedCounts(report), { manifest: 3, wal: 0, compacted: 3, compactions: 1 });
});

test('a failed delete is reported and the other deletes go on', async () => {
  const f = new GcFixture({
    wrap: (s) =>
      new FaultInjectingObjectStore(s, {
        rules: [
          {
            kind: 'error',
            reason: 'permanent',
            operations: ['delete'],
            path: 'db/manifest/00000000000000000003.manifest',
          },
        ],
      }),
  });
  await messyDatabase(f);
  const gc = f.collector(60_000);
  const report = await gc.runResource('manifest');
  assert.equal(report.error, undefined);
  assert.deepEqual(
    report.failed.map((x) => x.path),
    ['db/manifest/00000000000000000003.manifest'],
  );
  assert.equal(report.deleted.length, 2);
  assert.equal(gc.stats.failedDeletes, 1);
  assert.equal(gc.stats.deleted.manifest, 2);
});

test('background collection: every resource at start, then on its own interval; stop drains', async () => {
  const f = new GcFixture();
  await messyDatabase(f);
  const seen: string[] = [];
  const { GarbageCollector } = await import('./garbage-collector.js');
  const gc: GarbageCollector = new GarbageCollector({
    store: f.store,
    root: 'db',
    options: {
      manifest: { intervalMs: 1000, minAgeMs: 0 },
      wal: { intervalMs: 2000, minAgeMs: 0 },
      compacted: null,
      compactions: { intervalMs: 3000, minAgeMs: 0 },
    },
    clock: f.clock,
    onReport: (r: GcResourceReport) => seen.push(r.resource),
  });
  gc.start();
  gc.start(); // idempotent
  assert.equal(gc.running, true);
  await until(() => seen.length === 3);
  assert.deepEqual(seen.splice(0), ['manifest', 'wal', 'compactions']);
  await f.advance(1000);
  await until(() => seen.length === 1);
  await f.advance(1000);
  await until(() => seen.length === 3);
  await f.advance(1000);
  await until(() => seen.length === 5);
  assert.deepEqual(seen.splice(0), ['manifest', 'manifest', 'wal', 'manifest', 'compactions']);
  await gc.stop();
  assert.equal(gc.running, false);
  assert.equal(f.clock.pendingSleeps, 0);
  await f.advance(10_000);
  await settle();
  assert.deepEqual(seen, []);
  await gc.stop();
  assert.equal(gc.stats.tasks, 8);
});

test('runOnce calls queue behind each other and behind background tasks', async () => {
  const f = new GcFixture();
  await messyDatabase(f);
  const gc = f.collector(60_000);
  const [a, b] = await Promise.all([gc.runOnce(), gc.runOnce()]);
  // The second pass starts only after the first finished, so it finds nothing left to delete.
  assert.deepEqual(deletedCounts(a), { manifest: 3, wal: 4, compacted: 3, compactions: 1 });
  assert.deepEqual(deletedCounts(b), { manifest: 0, wal: 0, compacted: 0, compactions: 0 });
  assert.ok(a.finishedAtMs >= T0);
});

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}

export type { ObjectStore };
