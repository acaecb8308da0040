/**
 * WAL collection rules (0.12.1 WalGcTask) on a memory store with a ManualClock: only ids strictly below the latest
 * replayAfterWalId go, only once older than the minimum age, and never one an active manifest (the latest or a
 * checkpointed one) needs (replayAfterWalId < id < walIdLastSeen + 1). A checkpointed manifest that cannot be
 * read fails the task.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GcFixture } from '../../test/support/gc-fixture.js';

const MIN_AGE = 300_000;

function walPaths(ids: number[]): string[] {
  return ids.map((id) => `db/wal/${String(id).padStart(20, '0')}.sst`);
}

test('deletes WAL ids strictly below the latest replayAfterWalId', async () => {
  const f = new GcFixture();
  await f.writeWal(1, 2, 3, 4, 5, 6);
  await f.writeManifest({ replayAfterWalId: 4, walIdLastSeen: 6 });
  await f.advance(MIN_AGE + 1);
  const report = await f.collector(MIN_AGE).runResource('wal');
  assert.equal(report.error, undefined);
  assert.equal(report.listed, 6);
  assert.deepEqual(report.deleted, walPaths([1, 2, 3]));
  assert.deepEqual(await f.paths('wal'), walPaths([4, 5, 6]));
});

test('the minimum age is strict', async () => {
  const f = new GcFixture();
  await f.writeWal(1);
  await f.advance(10);
  await f.writeWal(2);
  await f.writeManifest({ replayAfterWalId: 3, walIdLastSeen: 3 });
  await f.advance(MIN_AGE);
  // wal 1 is MIN_AGE + 10 old, wal 2 exactly MIN_AGE.
  assert.deepEqual((await f.collector(MIN_AGE).runResource('wal')).deleted, walPaths([1]));
  await f.advance(1);
  assert.deepEqual((await f.collector(MIN_AGE).runResource('wal')).deleted, walPaths([2]));
});

test('WAL SSTs a checkpointed manifest needs are kept (exclusive bounds)', async () => {
  const f = new GcFixture();
  await f.writeWal(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
  // m1 needs wal 3..5: replayAfter 2, next WAL id 6.
  await f.writeManifest({ replayAfterWalId: 2, walIdLastSeen: 5 });
  await f.writeManifest({ replayAfterWalId: 9, walIdLastSeen: 10, checkpoints: [f.checkpoint(1)] });
  await f.advance(MIN_AGE + 1);
  const report = await f.collector(MIN_AGE).runResource('wal');
  assert.deepEqual(report.deleted, walPaths([1, 2, 6, 7, 8]));
  assert.deepEqual(await f.paths('wal'), walPaths([3, 4, 5, 9, 10]));
});

test('a checkpointed manifest that is missing fails the task and nothing is deleted', async () => {
  const f = new GcFixture();
  await f.writeWal(1, 2, 3);
  await f.writeManifest({ replayAfterWalId: 3, walIdLastSeen: 3, checkpoints: [f.checkpoint(42)] });
  await f.advance(MIN_AGE + 1);
  const report = await f.collector(MIN_AGE).runResource('wal');
  assert.equal(report.error?.kind, 'data');
  assert.match(report.error!.message, /00000000000000000042\.manifest/);
  assert.deepEqual(report.deleted, []);
  assert.deepEqual(await f.paths('wal'), walPaths([1, 2, 3]));
});

test('writer fences are WAL SSTs like any other, and stray names are skipped', async () => {
  const f = new GcFixture();
  await f.writeWal(1, 2);
  await f.memory.put('db/wal/1.sst', new Uint8Array([1]));
  await f.memory.put('db/wal/00000000000000000001.sst.tmp', new Uint8Array([1]));
  await f.memory.put('db/wal/readme', new Uint8Array([1]));
  await f.writeManifest({ replayAfterWalId: 5, walIdLastSeen: 5 });
  await f.advance(MIN_AGE + 1);
  const report = await f.collector(MIN_AGE).runResource('wal');
  assert.deepEqual(report.deleted, walPaths([1, 2]));
  assert.deepEqual(await f.paths('wal'), [
    'db/wal/00000000000000000001.sst.tmp',
    'db/wal/1.sst',
    'db/wal/readme',
  ]);
});

test('a fresh database (replayAfterWalId 0) keeps every WAL SST', async () => {
  const f = new GcFixture();
  await f.writeWal(1, 2);
  await f.writeManifest({ replayAfterWalId: 0, walIdLastSeen: 2 });
  await f.advance(MIN_AGE * 10);
  assert.deepEqual((await f.collector(0).runResource('wal')).deleted, []);
});

test('a database with a separate WAL store fails the WAL task instead of reporting nothing to do', async () => {
  const f = new GcFixture();
  await f.writeWal(1);
  await f.writeManifest({ replayAfterWalId: 5, walIdLastSeen: 5, walObjectStoreUri: '' });
  await f.advance(MIN_AGE + 1);
  const report = await f.collector(0).runResource('wal');
  assert.equal(report.error?.code, 'WAL_STORE_RECONFIGURATION');
  assert.deepEqual(await f.paths('wal'), walPaths([1]));
});
