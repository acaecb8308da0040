/**
 * DbReader modes against a live ShaleDB writer in one process: managed (creates a 10-minute checkpoint, follows the
 * database by WAL replay and by replacing its checkpoint when the manifest gains data, refreshes at half-life,
 * deletes it on close), pinned (exactly the checkpoint's state, no writes), latest (follows without writing),
 * skipWalReplay, maxMemtableBytes, option checks; the writer is never fenced.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Manifest } from '../format/manifest.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { fromUtf8 } from '../util/bytes.js';
import { ManualClock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import { deleteCheckpoint } from './checkpoint.js';
import { Db } from './db.js';
import { DbReader } from './db-reader.js';

const SETTINGS = { flushInterval: '5ms', compactorOptions: null, garbageCollectorOptions: null } as const;

async function latest(store: MemoryObjectStore): Promise<{ id: number; value: Manifest }> {
  const l = await manifestStore(store, 'db').tryReadLatest();
  assert.ok(l);
  return l;
}

async function text(r: DbReader, key: string): Promise<string | undefined> {
  const v = await r.get(key);
  return v === undefined ? undefined : fromUtf8(v);
}

async function keys(r: DbReader): Promise<string[]> {
  const out: string[] = [];
  for await (const kv of r.scan()) out.push(fromUtf8(kv.key));
  return out;
}

test('managed: a 10-minute checkpoint, WAL replay, follows the writer, never fences it, deleted on close', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  await db.put('a', '1');
  await db.put('b', '2');
  const epoch = (await latest(store)).value.writerEpoch;
  const clock = new ManualClock(Date.now());
  const reader = await DbReader.open('db', store, { clock, manifestPollInterval: '1s' });
  const st = reader.status();
  assert.equal(st.mode, 'managed');
  const m = await latest(store);
  assert.equal(m.value.checkpoints.length, 1);
  const c = m.value.checkpoints[0]!;
  assert.equal(c.id.toString(), st.checkpointId);
  assert.equal(c.manifestId, m.id);
  assert.equal(c.expireTimeS - c.createTimeS, 600);
  assert.equal(await text(reader, 'a'), '1');
  assert.deepEqual(await keys(reader), ['a', 'b']);

  // New WAL SSTs are replayed at the next poll; the checkpoint stays.
  await db.put('c', '3');
  assert.equal(await text(reader, 'c'), undefined);
  await reader.pollNow();
  assert.equal(await text(reader, 'c'), '3');
  assert.equal(reader.status().checkpointId, st.checkpointId);

  // A manifest with new L0 data: the checkpoint is replaced in one CAS and the reader moves to it.
  await db.delete('a');
  await db.flush({ type: 'memtable' });
  await reader.pollNow();
  const after = await latest(store);
  assert.equal(after.value.checkpoints.length, 1);
  const c2 = after.value.checkpoints[0]!;
  assert.notEqual(c2.id.toString(), st.checkpointId);
  assert.equal(c2.id.toString(), reader.status().checkpointId);
  assert.equal(reader.status().manifestId, BigInt(c2.manifestId));
  assert.deepEqual(await keys(reader), ['b', 'c']);
  assert.deepEqual(
    (await reader.getMany(['a', 'b', 'zz'])).map((v) => (v === undefined ? v : fromUtf8(v))),
    [undefined, '2', undefined],
  );

  // The writer was never fenced.
  assert.equal((await latest(store)).value.writerEpoch, epoch);
  await db.put('d', '4');
  assert.equal(db.status().closeReason, undefined);

  await reader.close();
  await reader.close();
  assert.deepEqual((await latest(store)).value.checkpoints, []);
  await assert.rejects(reader.get('a'), (e) => isShaleDBError(e) && e.kind === 'closed');
  await db.close();
});

test('managed: the checkpoint is refreshed once past half its lifetime, and re-created if someone removed it', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  await db.put('a', '1');
  const clock = new ManualClock(1_900_000_000_000);
  const reader = await DbReader.open('db', store, {
    clock,
    manifestPollInterval: '1s',
    checkpointLifetime: '4s',
  });
  const exp0 = (await latest(store)).value.checkpoints[0]!.expireTimeS;
  assert.equal(exp0, 1_900_000_004);
  await clock.advance(1_500);
  await reader.pollNow();
  assert.equal((await latest(store)).value.checkpoints[0]!.expireTimeS, exp0, 'not yet half-life');
  await clock.advance(1_000);
  await reader.pollNow();
  assert.equal((await latest(store)).value.checkpoints[0]!.expireTimeS, 1_900_000_006);

  await deleteCheckpoint('db', store, reader.status().checkpointId!);
  await reader.pollNow();
  const cps = (await latest(store)).value.checkpoints;
  assert.equal(cps.length, 1);
  assert.equal(cps[0]!.id.toString(), reader.status().checkpointId);
  assert.equal(await text(reader, 'a'), '1');
  await reader.close();
  await db.close();
});

test('pinned: exactly the checkpoint state (L0 and its WAL SSTs), no later write, no manifest written', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  await db.put('l0', 'x');
  await db.flush({ type: 'memtable' });
  await db.put('wal', 'y');
  const cp = await db.createCheckpoint({ scope: 'durable' });
  await db.put('later', 'z');
  await db.flush({ type: 'memtable' });
  const before = await latest(store);
  const reader = await DbReader.open('db', store, { checkpointId: cp.id });
  assert.equal(reader.status().mode, 'pinned');
  assert.equal(reader.status().manifestId, cp.manifestId);
  assert.deepEqual(await keys(reader), ['l0', 'wal']);
  await db.put('even-later', 'w');
  await reader.pollNow();
  assert.deepEqual(await keys(reader), ['l0', 'wal']);
  await reader.close();
  assert.equal((await latest(store)).id, before.id);
  await assert.rejects(
    DbReader.open('db', store, { checkpointId: '22222222-2222-4222-8222-222222222222' }),
    (e) => isShaleDBError(e) && e.kind === 'data' && e.code === 'CHECKPOINT_MISSING',
  );
  await db.close();
});

test('latest: follows the writer without writing anything; skipWalReplay sees only L0 and sorted runs', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  await db.put('a', '1');
  await db.flush({ type: 'memtable' });
  await db.put('b', '2');
  const before = await latest(store);
  const clock = new ManualClock(Date.now());
  const follow = await DbReader.open('db', store, { clock, createCheckpoint: false });
  const l0only = await DbReader.open('db', store, { clock, createCheckpoint: false, skipWalReplay: true });
  assert.equal(follow.status().mode, 'latest');
  assert.equal(follow.status().checkpointId, undefined);
  assert.deepEqual(await keys(follow), ['a', 'b']);
  assert.deepEqual(await keys(l0only), ['a']);
  await db.put('c', '3');
  await follow.pollNow();
  await l0only.pollNow();
  assert.deepEqual(await keys(follow), ['a', 'b', 'c']);
  assert.deepEqual(await keys(l0only), ['a']);
  await db.flush({ type: 'memtable' });
  await follow.pollNow();
  await l0only.pollNow();
  assert.deepEqual(await keys(follow), ['a', 'b', 'c']);
  assert.deepEqual(await keys(l0only), ['a', 'b', 'c']);
  await follow.close();
  await l0only.close();
  // Only the writer's own flushes wrote manifests: every version the readers saw has no checkpoint.
  const end = await latest(store);
  assert.ok(end.id > before.id);
  assert.deepEqual(end.value.checkpoints, []);
  await db.close();
});

test('maxMemtableBytes splits WAL replay into several memtables; every row is still visible', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  for (let i = 0; i < 20; i++) await db.put(`k${String(i).padStart(2, '0')}`, 'v'.repeat(200));
  const small = await DbReader.open('db', store, { createCheckpoint: false, maxMemtableBytes: 1000 });
  const big = await DbReader.open('db', store, { createCheckpoint: false });
  assert.ok(small.status().walMemtables > 1);
  assert.equal(big.status().walMemtables, 1);
  assert.equal((await keys(small)).length, 20);
  await small.close();
  await big.close();
  await db.close();
});

test('options: lifetime at least 1 s and twice the poll interval; bad values are invalid; no database is data', async () => {
  const store = new MemoryObjectStore();
  const bad = [
    { checkpointLifetime: 500 },
    { manifestPollInterval: '10s', checkpointLifetime: '15s' },
    { maxMemtableBytes: 0 },
    { skipWalReplay: 'yes' as never },
    { checkpointId: 'not-a-uuid' },
  ];
  for (const o of bad) {
    await assert.rejects(
      DbReader.open('db', store, o),
      (e) => isShaleDBError(e) && e.kind === 'invalid',
      JSON.stringify(o),
    );
  }
  // A misspelt option is refused before the store is read (else this would be MANIFEST_MISSING).
  await assert.rejects(
    DbReader.open('db', store, { manifestPollIntervall: '1s' } as never),
    (e) =>
      isShaleDBError(e) &&
      e.kind === 'invalid' &&
      e.code === 'INVALID_ARGUMENT' &&
      e.message.includes('manifestPollIntervall'),
  );
  await assert.rejects(
    DbReader.open('db', store),
    (e) => isShaleDBError(e) && e.kind === 'data' && e.code === 'MANIFEST_MISSING',
  );
});
