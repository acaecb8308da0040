/**
 * Transactional object tests on the memory store with a JSON codec: contiguous ids, CAS conflicts and retries,
 * concurrent updaters (every update lands exactly once), epoch fencing both ways, and listings that skip foreign files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { ManualClock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import {
  type EpochAccess,
  FenceableObject,
  SequencedStore,
  TransactionalObject,
  VersionExistsError,
} from './transactional-object.js';

interface Val {
  epoch: number;
  items: number[];
}

const codec = {
  encode: (v: Val) => utf8(JSON.stringify(v)),
  decode: (b: Uint8Array) => JSON.parse(fromUtf8(b)) as Val,
};
const epoch: EpochAccess<Val> = { name: 'writer', get: (v) => v.epoch, set: (v, e) => ({ ...v, epoch: e }) };

test('versions are contiguous, listed in order, and foreign files are skipped', async () => {
  const store = new MemoryObjectStore();
  const seq = new SequencedStore(store, 'db/manifest', 'manifest', codec);
  const obj = await TransactionalObject.create(seq, { epoch: 0, items: [] });
  await obj.update({ epoch: 0, items: [1] });
  await store.put('db/manifest/README', utf8('x'));
  await store.put('db/manifest/00000000000000000009.other', utf8('x'));
  assert.deepEqual(
    (await seq.list()).map((v) => v.id),
    [1, 2],
  );
  assert.equal(seq.pathFor(2), 'db/manifest/00000000000000000002.manifest');
  await assert.rejects(TransactionalObject.create(seq, { epoch: 0, items: [] }), VersionExistsError);
});

test('concurrent updaters each land exactly once', async () => {
  const store = new MemoryObjectStore();
  const seq = new SequencedStore(store, 'm', 'manifest', codec);
  await TransactionalObject.create(seq, { epoch: 0, items: [] });
  const holders = await Promise.all(Array.from({ length: 8 }, () => TransactionalObject.tryLoad(seq)));
  await Promise.all(
    holders.map((h, i) => h!.maybeApplyUpdate((cur) => ({ ...cur, items: [...cur.items, i] }))),
  );
  const latest = await seq.tryReadLatest();
  assert.equal(latest!.id, 9);
  assert.deepEqual([...latest!.value.items].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('a newer epoch fences the older holder; non-holders keep epochs', async () => {
  const clock = new ManualClock();
  const store = new MemoryObjectStore();
  const seq = new SequencedStore(store, 'm', 'manifest', codec);
  await TransactionalObject.create(seq, { epoch: 0, items: [] });
  const a = await FenceableObject.init((await TransactionalObject.tryLoad(seq))!, epoch, clock, 1000);
  assert.equal(a.localEpoch, 1);
  const b = await FenceableObject.init((await TransactionalObject.tryLoad(seq))!, epoch, clock, 1000);
  assert.equal(b.localEpoch, 2);
  await assert.rejects(
    a.maybeApplyUpdate((cur) => ({ ...cur, items: [1] })),
    (e) => isShaleDBError(e, 'closed') && e.closeReason === 'fenced',
  );
  await b.maybeApplyUpdate((cur) => ({ ...cur, items: [2] }));
  await assert.rejects(a.refresh(), (e) => isShaleDBError(e, 'closed') && e.closeReason === 'fenced');
  await assert.rejects(
    FenceableObject.initWithEpoch((await TransactionalObject.tryLoad(seq))!, epoch, 2, clock, 1000),
    (e) => isShaleDBError(e, 'closed') && e.closeReason === 'fenced',
  );
  assert.deepEqual((await seq.tryReadLatest())!.value, { epoch: 2, items: [2] });
});
