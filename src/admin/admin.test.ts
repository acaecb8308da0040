/**
 * The admin API's reads against a ShaleDB-written database: readManifest (latest, by id, missing), listManifests
 * and listCompactions with ranges, readCompactions/readCompaction, the checkpoint calls, and seq ↔ time through
 * the manifest's sequence tracker (exact, rounding up and down, out of range, no manifest), plus argument checks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Db } from '../db/db.js';
import { SequenceTracker } from '../format/sequence-tracker.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { compactionsStore, loadOrCreateCompactions } from '../store/compactions-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { ManualClock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import { SeededRand } from '../util/random.js';
import { openAdmin } from './admin.js';
import { parseRounding } from './admin-util.js';

const SETTINGS = { flushInterval: null, compactorOptions: null, garbageCollectorOptions: null } as const;
const T0 = 1_800_000_000_000;

/** A database with three L0 flushes, two minutes apart (so each adds a tracker sample), and its write seqs. */
async function threeFlushes(): Promise<{ store: MemoryObjectStore; clock: ManualClock; seqs: bigint[] }> {
  const clock = new ManualClock(T0);
  const store = new MemoryObjectStore({ clock });
  const db = await Db.open('db', store, { settings: SETTINGS, clock });
  const seqs: bigint[] = [];
  for (let i = 0; i < 3; i++) {
    clock.setWallMs(T0 + i * 120_000);
    seqs.push((await db.put(`k${i}`, `v${i}`, { awaitDurable: false })).seq);
    await db.put(`k${i}b`, `v${i}b`, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
  await db.close();
  return { store, clock, seqs };
}

test('readManifest: latest, by id, missing; listManifests with half-open ranges', async () => {
  const { store, clock } = await threeFlushes();
  const admin = await openAdmin('/db/', store, { clock });
  assert.equal(admin.path, 'db');
  const all = await manifestStore(store, 'db').list();
  const lastId = all[all.length - 1]!.id;
  const latest = await admin.readManifest();
  assert.ok(latest);
  assert.equal(latest.id, BigInt(lastId));
  assert.equal(latest.manifest.l0.length, 3);
  const first = await admin.readManifest(1);
  assert.equal(first?.id, 1n);
  assert.equal(first?.manifest.l0.length, 0);
  assert.equal((await admin.readManifest(2n))?.id, 2n);
  assert.equal(await admin.readManifest(lastId + 1), undefined);

  const listed = await admin.listManifests();
  assert.deepEqual(
    listed.map((f) => f.id),
    all.map((v) => BigInt(v.id)),
  );
  assert.equal(listed[0]!.location, '00000000000000000001.manifest');
  assert.equal(listed[0]!.size, all[0]!.size);
  assert.equal(listed[0]!.lastModified.getTime(), all[0]!.lastModifiedMs);
  assert.deepEqual(
    (await admin.listManifests({ start: 2, end: 4 })).map((f) => f.id),
    [2n, 3n],
  );
  assert.deepEqual(
    (await admin.listManifests({ start: BigInt(lastId) })).map((f) => f.id),
    [BigInt(lastId)],
  );
  assert.deepEqual(
    (await admin.listManifests({ end: 2n })).map((f) => f.id),
    [1n],
  );
  assert.deepEqual(await admin.listManifests({ start: 5, end: 5 }), []);
  await admin.close();

  // A path with no database: no manifest, empty listings.
  const empty = await openAdmin('nothing', store, { clock });
  assert.equal(await empty.readManifest(), undefined);
  assert.deepEqual(await empty.listManifests(), []);
  assert.equal(await empty.readCompactions(), undefined);
  await assert.rejects(empty.listCheckpoints(), (e) => isShaleDBError(e, 'data', 'MANIFEST_MISSING'));
  await empty.close();
});

test('readCompactions, readCompaction and listCompactions', async () => {
  const store = new MemoryObjectStore();
  const cs = compactionsStore(store, 'db');
  const obj = await loadOrCreateCompactions(cs);
  const rand = new SeededRand(7);
  const a = Ulid.generate(T0, rand);
  const b = Ulid.generate(T0 + 1, rand);
  await obj.update({
    compactorEpoch: 3,
    recentCompactions: [
      { id: b, spec: { l0ViewIds: [a], sortedRuns: [] }, status: 'running', outputSsts: [] },
      { id: a, spec: { l0ViewIds: [], sortedRuns: [5, 2] }, status: 'completed', outputSsts: [] },
    ],
  });
  const admin = await openAdmin('db', store);
  const latest = await admin.readCompactions();
  assert.equal(latest?.id, 2n);
  assert.equal(latest?.compactions.compactorEpoch, 3);
  assert.equal((await admin.readCompactions(1))?.compactions.recentCompactions.length, 0);
  assert.equal(await admin.readCompactions(3), undefined);
  const job = await admin.readCompaction(a.toString());
  assert.deepEqual(job?.spec.sortedRuns, [5, 2]);
  assert.equal(job?.status, 'completed');
  assert.equal(await admin.readCompaction(a.toString(), 1), undefined);
  assert.equal(await admin.readCompaction(Ulid.generate(T0, rand).toString()), undefined);
  await assert.rejects(admin.readCompaction('not-a-ulid'), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ULID'),
  );
  const listed = await admin.listCompactions();
  assert.deepEqual(
    listed.map((f) => [f.id, f.location]),
    [
      [1n, '00000000000000000001.compactions'],
      [2n, '00000000000000000002.compactions'],
    ],
  );
  assert.deepEqual(
    (await admin.listCompactions({ start: 2 })).map((f) => f.id),
    [2n],
  );
  await admin.close();
});

test('checkpoints: create detached (own and from a source), list by name, refresh, delete', async () => {
  const { store, clock } = await threeFlushes();
  clock.setWallMs(T0 + 1_000_000);
  const admin = await openAdmin('db', store, { clock, rand: new SeededRand(1) });
  const before = await admin.readManifest();
  const a = await admin.createDetachedCheckpoint({ name: 'nightly', lifetime: '1h' });
  assert.equal(a.manifestId, before!.id + 1n);
  const b = await admin.createDetachedCheckpoint({ source: a.id });
  assert.equal(b.manifestId, a.manifestId);
  const after = await admin.readManifest();
  assert.equal(after!.manifest.writerEpoch, before!.manifest.writerEpoch);
  assert.deepEqual(
    (await admin.listCheckpoints()).map((c) => c.id),
    [a.id, b.id],
  );
  const named = await admin.listCheckpoints('nightly');
  assert.deepEqual(
    named.map((c) => [c.id, c.expireTime?.getTime(), c.createTime.getTime()]),
    [[a.id, T0 + 1_000_000 + 3_600_000, T0 + 1_000_000]],
  );
  assert.deepEqual(
    (await admin.listCheckpoints('')).map((c) => c.id),
    [b.id],
  );
  await admin.refreshCheckpoint(b.id, 60_000);
  assert.equal((await admin.listCheckpoints(''))[0]!.expireTime?.getTime(), T0 + 1_060_000);
  await admin.refreshCheckpoint(a.id);
  assert.equal((await admin.listCheckpoints('nightly'))[0]!.expireTime, undefined);
  await admin.deleteCheckpoint(a.id);
  assert.deepEqual(
    (await admin.listCheckpoints()).map((c) => c.id),
    [b.id],
  );
  const latestId = (await admin.readManifest())!.id;
  await admin.deleteCheckpoint(a.id); // missing: nothing written
  assert.equal((await admin.readManifest())!.id, latestId);
  await assert.rejects(admin.refreshCheckpoint(a.id, '1h'), (e) =>
    isShaleDBError(e, 'data', 'INVALID_DB_STATE'),
  );
  await assert.rejects(admin.createDetachedCheckpoint({ source: a.id }), (e) =>
    isShaleDBError(e, 'data', 'CHECKPOINT_MISSING'),
  );
  await assert.rejects(admin.deleteCheckpoint('nope'), (e) => isShaleDBError(e, 'invalid', 'INVALID_UUID'));
  await admin.close();
  await assert.rejects(admin.listCheckpoints(), (e) => isShaleDBError(e, 'closed', 'CLOSED'));
});

test('seq <-> time by the latest manifest sequence tracker, rounding as 0.12.1', async () => {
  const { store, clock, seqs } = await threeFlushes();
  const admin = await openAdmin('db', store, { clock });
  const m = await admin.readManifest();
  const t = SequenceTracker.fromBytes(m!.manifest.sequenceTracker, 'test');
  // Each flush recorded its memtable's first write.
  assert.deepEqual(t.seqs, seqs);
  const secs = [0, 1, 2].map((i) => (T0 + i * 120_000) / 1000);
  assert.deepEqual(
    t.timestampsS,
    secs.map((s) => BigInt(s)),
  );
  const at = (i: number) => new Date(secs[i]! * 1000);
  // Exact samples, both directions.
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await admin.getTimestampForSequence(seqs[i]!), at(i));
    assert.deepEqual(await admin.getTimestampForSequence(seqs[i]!, 'up'), at(i));
    assert.equal(await admin.getSequenceForTimestamp(at(i)), seqs[i]);
    assert.equal(await admin.getSequenceForTimestamp(at(i).getTime() + 999, 'up'), seqs[i]);
  }
  // Between samples: down = the lower sample, up = the higher one.
  const mid = seqs[1]! + 1n;
  assert.ok(mid < seqs[2]!);
  assert.deepEqual(await admin.getTimestampForSequence(mid, 'down'), at(1));
  assert.deepEqual(await admin.getTimestampForSequence(mid, 'up'), at(2));
  assert.equal(await admin.getSequenceForTimestamp(secs[0]! * 1000 + 60_000), seqs[0]);
  assert.equal(await admin.getSequenceForTimestamp(secs[0]! * 1000 + 60_000, 'up'), seqs[1]);
  // Outside the samples: nothing below the first, nothing above the last.
  assert.equal(await admin.getTimestampForSequence(seqs[0]! - 1n, 'down'), undefined);
  assert.deepEqual(await admin.getTimestampForSequence(seqs[0]! - 1n, 'up'), at(0));
  assert.deepEqual(await admin.getTimestampForSequence(seqs[2]! + 100n), at(2));
  assert.equal(await admin.getTimestampForSequence(seqs[2]! + 100n, 'up'), undefined);
  assert.equal(await admin.getSequenceForTimestamp(new Date(T0 - 1000)), undefined);
  assert.equal(await admin.getSequenceForTimestamp(new Date(T0 + 3_600_000), 'up'), undefined);
  await assert.rejects(admin.getTimestampForSequence(-1), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await assert.rejects(admin.getTimestampForSequence(1, 'sideways' as 'up'), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  assert.deepEqual(['up', 'RoundUp', 'down', 'ROUNDDOWN'].map(parseRounding), ['up', 'up', 'down', 'down']);
  assert.throws(
    () => parseRounding('nearest'),
    (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await assert.rejects(admin.getSequenceForTimestamp(new Date(Number.NaN)), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await admin.close();
  const none = await openAdmin('none', store);
  assert.equal(await none.getTimestampForSequence(1), undefined);
  assert.equal(await none.getSequenceForTimestamp(new Date(T0)), undefined);
  await none.close();
});

test('openAdmin and method arguments are checked', async () => {
  const store = new MemoryObjectStore();
  for (const [args, code] of [
    [[1, store], 'INVALID_ARGUMENT'],
    [['db', 42], 'INVALID_ARGUMENT'],
    [['db', store, { bogus: 1 }], 'INVALID_ARGUMENT'],
    [['../db', store], 'INVALID_ARGUMENT'],
  ] as const) {
    await assert.rejects(
      openAdmin(...(args as unknown as Parameters<typeof openAdmin>)),
      (e) => isShaleDBError(e, 'invalid', code),
      JSON.stringify(args[0]),
    );
  }
  const admin = await openAdmin('db', store);
  await assert.rejects(admin.readManifest(-1), (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'));
  await assert.rejects(admin.readManifest(1.5), (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'));
  await assert.rejects(admin.readManifest(2n ** 60n), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await assert.rejects(admin.listManifests({ start: 1, stop: 2 } as never), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await assert.rejects(admin.listManifests({ end: -2 }), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  // The maximum u64 end is accepted (what the slatedb CLI passes for an open end).
  assert.deepEqual(await admin.listManifests({ end: 2n ** 64n - 1n }), []);
  await admin.close();
  await admin.close();
});
