/**
 * End to end: a checkpoint made by Db.createCheckpoint keeps the SSTs of the manifest it pins through a garbage
 * collection after the latest manifest dropped them (as a compaction does), a reader pinned to it still reads
 * every value, and once the checkpoint is deleted the next collection removes those SSTs; a checkpoint's lifetime
 * is honoured by GC's expiry (kept until `expire_time_s`, removed at it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GcFixture } from '../../test/support/gc-fixture.js';
import { createDetachedCheckpoint, deleteCheckpoint, listCheckpoints } from '../db/checkpoint.js';
import { DbReader } from '../db/db-reader.js';
import { compactedSstPath } from '../format/object-paths.js';
import { expireCheckpoints } from '../gc/checkpoint-expiry.js';
import { GarbageCollector } from '../gc/garbage-collector.js';
import { TransactionalObject } from '../store/transactional-object.js';
import { fromUtf8 } from '../util/bytes.js';
import { systemClock } from '../util/clock.js';
import { Ulid } from '../util/ids.js';
import { Db } from './open.js';

const SETTINGS = { flushInterval: '5ms', compactorOptions: null, garbageCollectorOptions: null } as const;

test('GC keeps the SSTs a Db checkpoint pins until the checkpoint is deleted', async () => {
  const f = new GcFixture();
  const db = await Db.open(f.root, f.store, { settings: SETTINGS });
  for (const k of ['a', 'b', 'c']) await db.put(k, `v-${k}`);
  await db.flush({ type: 'memtable' });
  for (const k of ['d', 'e', 'f']) await db.put(k, `v-${k}`);
  const cp = await db.createCheckpoint({ scope: 'all' });
  await db.close();

  // "Compact" the two L0s away: the latest manifest no longer references them.
  const m = await TransactionalObject.tryLoad(f.gcStore.manifests);
  assert.ok(m);
  const old = m.value.l0.map((s) => s.id);
  assert.equal(old.length, 2);
  await m.maybeApplyUpdate((cur) => ({ ...cur, l0: [], l0LastCompacted: cur.l0[0]!.id }));
  const db2 = await Db.open(f.root, f.store, { settings: SETTINGS });
  await db2.put('g', 'v-g');
  await db2.flush({ type: 'memtable' });
  await db2.close();
  // A compaction still running (started in the future) would hold the watermark; this one does not bound it.
  await f.writeCompactions([f.compaction(Ulid.generate(Date.now() + 3_600_000, f.rand))]);

  const gc = () => {
    const d = { intervalMs: 60_000, minAgeMs: 0 };
    return new GarbageCollector({
      store: f.store,
      root: f.root,
      options: { manifest: d, wal: d, compacted: d, compactions: d },
      clock: systemClock,
      rand: f.rand,
    });
  };
  const exists = async (id: Ulid) => (await f.paths('compacted')).includes(compactedSstPath(f.root, id));

  await gc().runOnce();
  for (const id of old) assert.equal(await exists(id), true, `${id} pinned by the checkpoint`);
  const reader = await DbReader.open(f.root, f.store, { checkpointId: cp.id });
  const seen: string[] = [];
  for await (const kv of reader.scan()) seen.push(`${fromUtf8(kv.key)}=${fromUtf8(kv.value)}`);
  assert.deepEqual(seen, ['a=v-a', 'b=v-b', 'c=v-c', 'd=v-d', 'e=v-e', 'f=v-f']);
  await reader.close();

  await deleteCheckpoint(f.root, f.store, cp.id);
  await gc().runOnce();
  for (const id of old) assert.equal(await exists(id), false, `${id} collected once unpinned`);
});

test('a checkpoint with a lifetime is kept by GC until its expire time, then removed', async () => {
  const f = new GcFixture();
  const db = await Db.open(f.root, f.store, { settings: SETTINGS });
  await db.close();
  const forever = await createDetachedCheckpoint(f.root, f.store, { name: 'forever' }, { clock: f.clock });
  const short = await createDetachedCheckpoint(f.root, f.store, { lifetime: '10s' }, { clock: f.clock });
  const ids = async () => (await listCheckpoints(f.root, f.store)).map((c) => c.id).sort();
  assert.equal((await expireCheckpoints(f.gcStore, f.clock.nowMs() + 9_999, false)).removed, 0);
  assert.deepEqual(await ids(), [forever.id, short.id].sort());
  assert.equal((await expireCheckpoints(f.gcStore, f.clock.nowMs() + 10_000, false)).removed, 1);
  assert.deepEqual(await ids(), [forever.id]);
});
