/**
 * Compacted-SST collection rules (0.12.1 CompactedGcTask) on a memory store with a ManualClock: an SST goes only
 * if no active manifest references it and its ULID time is before min(now - minAge, the compaction low
 * watermark, the newest L0 time); no compactions file or no compaction means nothing goes; the compactions file
 * is read before the manifest; last-modified times do not matter; only this database's compacted/ is listed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GcFixture } from '../../test/support/gc-fixture.js';
import { newManifest } from '../format/manifest.js';
import type { ObjectStore } from '../object-store/object-store.js';
import type { Ulid } from '../util/ids.js';
import { compactionLowWatermarkMs, newestL0TimeMs, planCompactedGc } from './compacted-gc.js';
import { GcStore } from './gc-store.js';

const MIN = 60_000;
const HOUR = 3_600_000;

function paths(ids: readonly Ulid[]): string[] {
  return ids.map((id) => `db/compacted/${id}.sst`);
}

/** A state where only the minimum age limits the cutoff: watermark and newest L0 in the future. */
async function openCutoff(f: GcFixture): Promise<void> {
  await f.writeCompactions([f.compaction(f.ulid(-HOUR))]);
}

test('unreferenced SSTs older than every bound are deleted; referenced ones are kept', async () => {
  const f = new GcFixture();
  const [l0, sr, orphan] = await f.writeSsts(f.ulid(4 * HOUR), f.ulid(4 * HOUR), f.ulid(4 * HOUR));
  await openCutoff(f);
  const newest = f.ulid(-HOUR);
  await f.writeManifest({
    l0: [f.sst(newest), f.sst(l0!)],
    compacted: [{ id: 0, ssts: [f.sst(sr!)] }],
  });
  const report = await f.collector(MIN).runResource('compacted');
  assert.equal(report.error, undefined);
  assert.equal(report.listed, 3);
  assert.deepEqual(report.deleted, paths([orphan!]));
  assert.equal(report.cutoffMs, f.clock.nowMs() - MIN);
});

test('SSTs referenced only by a checkpointed manifest are kept', async () => {
  const f = new GcFixture();
  const [a, b, c] = await f.writeSsts(f.ulid(3 * HOUR), f.ulid(3 * HOUR), f.ulid(3 * HOUR));
  await openCutoff(f);
  await f.writeManifest({ l0: [f.sst(a!)], compacted: [{ id: 3, ssts: [f.sst(b!)] }] });
  await f.writeManifest({ l0: [f.sst(f.ulid(-HOUR))], checkpoints: [f.checkpoint(1)] });
  assert.deepEqual((await f.collector(MIN).runResource('compacted')).deleted, paths([c!]));
});

test('the minimum-age bound is strict on ULID time, and last-modified times do not matter', async () => {
  const f = new GcFixture();
  await f.advance(10 * HOUR); // the objects below are written "now" whatever their ULID says
  const atCutoff = f.ulid(MIN);
  const older = f.ulid(MIN + 1);
  const future = f.ulid(-HOUR);
  await f.writeSsts(atCutoff, older, future);
  await openCutoff(f);
  await f.writeManifest({ l0: [f.sst(f.ulid(-2 * HOUR))] });
  assert.deepEqual((await f.collector(MIN).runResource('compacted')).deleted, paths([older]));
  await f.advance(10 * HOUR);
  // An SST with a future ULID is kept even once its object is hours old.
  const report = await f.collector(MIN).runResource('compacted');
  assert.deepEqual(report.deleted, paths([atCutoff]));
  assert.ok(report.cutoffMs! <= future.timestampMs);
});

test('the compaction low watermark: nothing at or after the oldest compaction id goes', async () => {
  const f = new GcFixture();
  const watermark = f.ulid(2 * HOUR);
  const before = ulidAt(f, watermark.timestampMs - 1);
  const at = ulidAt(f, watermark.timestampMs);
  await f.writeSsts(before, at);
  // A finished compaction still counts (0.12.1 keeps the latest finished one for exactly this).
  await f.writeCompactions([f.compaction(f.ulid(HOUR), 'running'), f.compaction(watermark, 'completed')]);
  await f.writeManifest({ l0: [f.sst(f.ulid(-HOUR))] });
  const report = await f.collector(0).runResource('compacted');
  assert.equal(report.cutoffMs, watermark.timestampMs);
  assert.deepEqual(report.deleted, paths([before]));
});

test('no compactions file, or one without compactions: nothing is deleted', async () => {
  const f = new GcFixture();
  await f.writeSsts(f.ulid(10 * HOUR));
  await f.writeManifest({ l0: [f.sst(f.ulid(-HOUR))] });
  let report = await f.collector(0).runResource('compacted');
  assert.equal(report.error, undefined);
  assert.equal(report.cutoffMs, 0);
  assert.deepEqual(report.deleted, []);
  await f.writeCompactions([]);
  report = await f.collector(0).runResource('compacted');
  assert.equal(report.cutoffMs, 0);
  assert.deepEqual(report.deleted, []);
});

test('the newest L0 bound: an SST as new as the newest L0 (an upload not yet in a manifest) is kept', async () => {
  const f = new GcFixture();
  const newestL0 = f.ulid(HOUR);
  const inFlight = ulidAt(f, newestL0.timestampMs);
  const older = ulidAt(f, newestL0.timestampMs - 1);
  await f.writeSsts(inFlight, older);
  await openCutoff(f);
  await f.writeManifest({ l0: [f.sst(newestL0), f.sst(f.ulid(3 * HOUR))] });
  const report = await f.collector(0).runResource('compacted');
  assert.equal(report.cutoffMs, newestL0.timestampMs);
  assert.deepEqual(report.deleted, paths([older]));
});

test('without L0s, l0LastCompacted bounds the cutoff; a database that never had an L0 deletes nothing', async () => {
  const f = new GcFixture();
  const last = f.ulid(HOUR);
  const older = ulidAt(f, last.timestampMs - 1);
  await f.writeSsts(older, ulidAt(f, last.timestampMs));
  await openCutoff(f);
  await f.writeManifest({ l0LastCompacted: last });
  assert.deepEqual((await f.collector(0).runResource('compacted')).deleted, paths([older]));
  await f.writeManifest({});
  const report = await f.collector(0).runResource('compacted');
  assert.equal(report.cutoffMs, 0);
  assert.deepEqual(report.deleted, []);
});

test('the compactions file is read before the manifest', async () => {
  const order: string[] = [];
  const record = (s: ObjectStore): ObjectStore => ({
    description: s.description,
    put: (p, b, o) => s.put(p, b, o),
    putStream: (p, c, o) => s.putStream(p, c, o),
    get: (p, o) => {
      order.push(p.split('/')[1]!);
      return s.get(p, o);
    },
    head: (p, o) => s.head(p, o),
    list: (p, o) => s.list(p, o),
    delete: (p, o) => s.delete(p, o),
    close: () => s.close(),
  });
  const f = new GcFixture({ wrap: record });
  await f.writeCompactions([f.compaction(f.ulid())]);
  await f.writeManifest();
  await planCompactedGc({
    gcStore: new GcStore(f.store, 'db'),
    nowMs: f.clock.nowMs(),
    minAgeMs: 0,
    dryRun: false,
  });
  assert.deepEqual(order, ['compactions', 'manifest']);
});

test("only canonical names directly in this database's compacted/ are considered", async () => {
  const f = new GcFixture();
  const old = f.ulid(10 * HOUR);
  await f.writeSsts(old);
  await f.memory.put(`db/compacted/${old.toString().toLowerCase()}.sst`, new Uint8Array([1]));
  await f.memory.put(`db/compacted/nested/${old}.sst`, new Uint8Array([1]));
  await f.memory.put('db/compacted/not-a-ulid.sst', new Uint8Array([1]));
  await f.memory.put(`other/compacted/${old}.sst`, new Uint8Array([1]));
  await f.memory.put(`db2/compacted/${old}.sst`, new Uint8Array([1]));
  await openCutoff(f);
  await f.writeManifest({ l0: [f.sst(f.ulid(-HOUR))] });
  assert.deepEqual((await f.collector(0).runResource('compacted')).deleted, paths([old]));
  assert.equal((await f.paths('compacted')).length, 3);
});

test('watermark and newest-L0 helpers', async () => {
  const f = new GcFixture();
  assert.equal(compactionLowWatermarkMs(undefined), 0);
  assert.equal(compactionLowWatermarkMs({ compactorEpoch: 1, recentCompactions: [] }), 0);
  const a = f.ulid(5);
  const b = f.ulid(9);
  assert.equal(
    compactionLowWatermarkMs({ compactorEpoch: 1, recentCompactions: [f.compaction(a), f.compaction(b)] }),
    b.timestampMs,
  );
  assert.equal(newestL0TimeMs(newManifest()), 0);
  assert.equal(
    newestL0TimeMs({ ...newManifest(), l0: [f.sst(b), f.sst(a)], l0LastCompacted: f.ulid(99) }),
    a.timestampMs,
  );
  assert.equal(newestL0TimeMs({ ...newManifest(), l0LastCompactedViewId: b }), b.timestampMs);
});

/** A ULID at exactly `ms`. */
function ulidAt(f: GcFixture, ms: number): Ulid {
  return f.ulid(f.clock.nowMs() - ms);
}
