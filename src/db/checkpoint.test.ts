/**
 * Checkpoint lifecycle on a writer and detached (0.12.1's Db::create_checkpoint and admin calls): the entry pins
 * the manifest version that adds it (or its source's), times are u32 seconds with 0 = no expiry, scope 'all'
 * puts every earlier write in L0 of the pinned manifest, refresh/delete/list behave as 0.12.1's admin, and the
 * detached calls carry both epochs forward unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Manifest } from '../format/manifest.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { manifestCodec, manifestStore } from '../store/manifest-store.js';
import type { SequencedStore } from '../store/transactional-object.js';
import { ManualClock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import {
  createDetachedCheckpoint,
  deleteCheckpoint,
  listCheckpoints,
  refreshCheckpoint,
} from './checkpoint.js';
import { Db } from './db.js';

const SETTINGS = { flushInterval: '5ms', compactorOptions: null, garbageCollectorOptions: null } as const;

function manifests(store: MemoryObjectStore): SequencedStore<Manifest> {
  return manifestStore(store, 'db');
}

async function latest(store: MemoryObjectStore): Promise<{ id: number; value: Manifest }> {
  const l = await manifests(store).tryReadLatest();
  assert.ok(l);
  return l;
}

test('durable checkpoint: pins the version that adds it; lifetime, name and times as 0.12.1 stores them', async () => {
  const store = new MemoryObjectStore();
  const clock = new ManualClock(1_800_000_000_500);
  const db = await Db.open('db', store, { settings: SETTINGS, clock });
  await db.put('a', '1');
  const before = await latest(store);
  const r = await db.createCheckpoint({ scope: 'durable', lifetime: '1h', name: 'nightly' });
  const after = await latest(store);
  assert.equal(after.id, before.id + 1);
  assert.equal(r.manifestId, BigInt(after.id));
  const c = after.value.checkpoints.find((x) => x.id.toString() === r.id);
  assert.ok(c);
  assert.equal(c.manifestId, after.id);
  assert.equal(c.createTimeS, 1_800_000_000);
  assert.equal(c.expireTimeS, 1_800_003_600);
  assert.equal(c.name, 'nightly');
  // The durable scope pins the WAL SST holding the acknowledged write.
  assert.ok(after.value.walIdLastSeen > after.value.replayAfterWalId);
  assert.equal(after.value.l0.length, 0);
  const listed = await db.listCheckpoints();
  assert.deepEqual(
    listed.map((x) => [x.id, x.manifestId, x.name, x.expireTime?.getTime(), x.createTime.getTime()]),
    [[r.id, BigInt(after.id), 'nightly', 1_800_003_600_000, 1_800_000_000_000]],
  );
  await db.close();
});

test("scope 'all' flushes every earlier write to L0 of the pinned manifest; no lifetime = never expires", async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  await db.put('a', '1', { awaitDurable: false });
  const h = await db.put('b', '2', { awaitDurable: false });
  const r = await db.createCheckpoint();
  const pinned = await manifests(store).read(Number(r.manifestId));
  assert.equal(pinned.l0.length, 1);
  assert.ok(pinned.lastL0Seq >= Number(h.seq));
  const c = pinned.checkpoints.find((x) => x.id.toString() === r.id);
  assert.equal(c?.expireTimeS, 0);
  assert.equal(c?.name, undefined);
  await db.close();
});

test('source copies the manifest id; a missing source is a data error and writes nothing', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  const first = await db.createCheckpoint({ scope: 'durable' });
  await db.put('x', 'y');
  await db.flush({ type: 'memtable' });
  const copy = await db.createCheckpoint({ scope: 'durable', source: first.id, name: 'copy' });
  assert.equal(copy.manifestId, first.manifestId);
  assert.notEqual(copy.id, first.id);
  const before = await latest(store);
  await assert.rejects(
    db.createCheckpoint({ scope: 'durable', source: '00000000-0000-4000-8000-000000000000' }),
    (e) => isShaleDBError(e) && e.kind === 'data' && e.code === 'CHECKPOINT_MISSING',
  );
  assert.equal((await latest(store)).id, before.id);
  // The database is still open and writable.
  await db.put('after', '1');
  await db.close();
});

test('refresh sets a new expiry (or none); delete removes; a missing id: refresh fails, delete writes nothing', async () => {
  const store = new MemoryObjectStore();
  const clock = new ManualClock(1_800_000_000_000);
  const db = await Db.open('db', store, { settings: SETTINGS, clock });
  const r = await db.createCheckpoint({ scope: 'durable', lifetime: 10_000 });
  await clock.advance(5_000);
  await db.refreshCheckpoint(r.id, '1m');
  assert.equal((await db.listCheckpoints())[0]?.expireTime?.getTime(), 1_800_000_065_000);
  await db.refreshCheckpoint(r.id);
  assert.equal((await db.listCheckpoints())[0]?.expireTime, undefined);
  const missing = '11111111-1111-4111-8111-111111111111';
  await assert.rejects(db.refreshCheckpoint(missing, '1m'), (e) => isShaleDBError(e) && e.kind === 'data');
  const before = await latest(store);
  await db.deleteCheckpoint(missing);
  assert.equal((await latest(store)).id, before.id);
  await db.deleteCheckpoint(r.id);
  assert.deepEqual(await db.listCheckpoints(), []);
  assert.deepEqual((await latest(store)).value.checkpoints, []);
  await assert.rejects(
    db.createCheckpoint({ scope: 'sometimes' as never }),
    (e) => isShaleDBError(e) && e.kind === 'invalid',
  );
  await assert.rejects(
    db.createCheckpoint({ lifetime: 'soon' }),
    (e) => isShaleDBError(e) && e.kind === 'invalid',
  );
  await db.close();
});

test('list filters by name as 0.12.1: undefined = all, "" = unnamed, else exact', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  const a = await db.createCheckpoint({ scope: 'durable', name: 'a' });
  const un = await db.createCheckpoint({ scope: 'durable' });
  const ids = async (n?: string) => (await db.listCheckpoints(n)).map((c) => c.id).sort();
  assert.deepEqual(await ids(), [a.id, un.id].sort());
  assert.deepEqual(await ids('a'), [a.id]);
  assert.deepEqual(await ids(''), [un.id]);
  assert.deepEqual(await ids('b'), []);
  await db.close();
});

test('a checkpoint made by another process is seen by the writer: refresh and delete find it', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  const d = await createDetachedCheckpoint('db', store, { lifetime: '1h' });
  await db.refreshCheckpoint(d.id, '2h');
  await db.deleteCheckpoint(d.id);
  assert.deepEqual(await db.listCheckpoints(), []);
  await db.put('k', 'v');
  await db.close();
});

test('detached: create, refresh, list, delete without a writer; epochs and everything else unchanged', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  await db.put('a', '1');
  await db.close();
  const before = await latest(store);
  const clock = new ManualClock(1_900_000_000_000);
  const r = await createDetachedCheckpoint('db', store, { name: 'n' }, { clock });
  const after = await latest(store);
  assert.equal(after.id, before.id + 1);
  assert.equal(r.manifestId, BigInt(after.id));
  assert.deepEqual(
    manifestCodec.encode({ ...after.value, checkpoints: [] }),
    manifestCodec.encode(before.value),
  );
  await refreshCheckpoint('db', store, r.id, '10s', { clock });
  const [c] = await listCheckpoints('db', store, 'n');
  assert.equal(c?.expireTime?.getTime(), 1_900_000_010_000);
  await deleteCheckpoint('db', store, r.id);
  assert.deepEqual(await listCheckpoints('db', store), []);
  await assert.rejects(
    createDetachedCheckpoint('nowhere', store),
    (e) => isShaleDBError(e) && e.kind === 'data' && e.code === 'MANIFEST_MISSING',
  );
});

test('unknown option keys are invalid errors naming the key; nothing is written', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  await db.put('a', '1');
  await db.flush({ type: 'wal' });
  const before = await latest(store);
  const unknown = (key: string) => (e: unknown) =>
    isShaleDBError(e) && e.kind === 'invalid' && e.code === 'INVALID_ARGUMENT' && e.message.includes(key);
  await assert.rejects(db.createCheckpoint({ scope: 'durable', lifetme: '1h' } as never), unknown('lifetme'));
  await assert.rejects(createDetachedCheckpoint('db', store, { nam: 'x' } as never), unknown('nam'));
  await assert.rejects(
    createDetachedCheckpoint('db', store, {}, { retries: false } as never),
    unknown('retries'),
  );
  await assert.rejects(listCheckpoints('db', store, undefined, { clck: 1 } as never), unknown('clck'));
  assert.equal((await latest(store)).id, before.id);
  assert.deepEqual(await db.listCheckpoints(), []);
  await db.close();
});
