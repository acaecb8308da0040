/**
 * Manifest collection rules (0.12.1 ManifestGcTask) on a memory store with a ManualClock: the latest version is
 * never deleted, checkpointed versions are kept, the minimum age is strict, the re-check before deleting drops
 * versions a newer latest protects, and stray names are never touched.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GcFixture } from '../../test/support/gc-fixture.js';
import { confirmManifestGarbage, planManifestGc } from './manifest-gc.js';

const MIN_AGE = 300_000;

function manifestPaths(ids: number[]): string[] {
  return ids.map((id) => `db/manifest/${String(id).padStart(20, '0')}.manifest`);
}

test('deletes old manifests but never the latest, however old', async () => {
  const f = new GcFixture();
  for (let i = 0; i < 4; i++) await f.writeManifest();
  await f.advance(MIN_AGE + 1);
  const report = await f.collector(MIN_AGE).runResource('manifest');
  assert.equal(report.error, undefined);
  assert.equal(report.listed, 4);
  assert.deepEqual(report.deleted, manifestPaths([1, 2, 3]));
  assert.deepEqual(await f.paths('manifest'), manifestPaths([4]));
});

test('the minimum age is strict: exactly min_age old is kept, one ms older is deleted', async () => {
  const f = new GcFixture();
  await f.writeManifest();
  await f.advance(1);
  await f.writeManifest();
  await f.writeManifest();
  await f.advance(MIN_AGE - 1);
  // m1 is MIN_AGE old, m2 is MIN_AGE - 1 old; neither is strictly older than MIN_AGE.
  assert.deepEqual((await f.collector(MIN_AGE).runResource('manifest')).deleted, []);
  await f.advance(1);
  assert.deepEqual((await f.collector(MIN_AGE).runResource('manifest')).deleted, manifestPaths([1]));
  await f.advance(1);
  assert.deepEqual((await f.collector(MIN_AGE).runResource('manifest')).deleted, manifestPaths([2]));
});

test('manifests named by a checkpoint of the latest manifest are kept', async () => {
  const f = new GcFixture();
  await f.writeManifest();
  await f.writeManifest();
  await f.writeManifest();
  await f.writeManifest({ checkpoints: [f.checkpoint(2), f.checkpoint(4)] });
  await f.advance(MIN_AGE + 1);
  const report = await f.collector(MIN_AGE).runResource('manifest');
  assert.deepEqual(report.deleted, manifestPaths([1, 3]));
  assert.deepEqual(await f.paths('manifest'), manifestPaths([2, 4]));
});

test('a checkpoint only counts in the latest manifest (older versions pin nothing)', async () => {
  const f = new GcFixture();
  await f.writeManifest();
  await f.writeManifest({ checkpoints: [f.checkpoint(1)] });
  await f.writeManifest(); // the checkpoint was deleted in m3
  await f.advance(MIN_AGE + 1);
  assert.deepEqual((await f.collector(MIN_AGE).runResource('manifest')).deleted, manifestPaths([1, 2]));
});

test('the re-check before deleting drops what a newer latest manifest protects', async () => {
  const f = new GcFixture();
  await f.writeManifest();
  await f.writeManifest();
  await f.writeManifest();
  await f.advance(MIN_AGE + 1);
  const plan = await planManifestGc({
    gcStore: f.gcStore,
    nowMs: f.clock.nowMs(),
    minAgeMs: MIN_AGE,
    dryRun: false,
  });
  assert.deepEqual(plan.paths, manifestPaths([1, 2]));
  // Meanwhile a new latest version pins m2 (a checkpoint created from an existing one copies its manifest id).
  await f.writeManifest({ checkpoints: [f.checkpoint(2)] });
  assert.deepEqual(await confirmManifestGarbage(f.gcStore, plan.paths), manifestPaths([1]));
});

test('files that are not canonical manifest names are never deleted', async () => {
  const f = new GcFixture();
  await f.writeManifest();
  await f.writeManifest();
  await f.memory.put('db/manifest/notes.txt', new Uint8Array([1]));
  await f.memory.put('db/manifest/1.manifest', new Uint8Array([1]));
  await f.memory.put('db/manifest/00000000000000000001.manifest.bak', new Uint8Array([1]));
  await f.advance(MIN_AGE + 1);
  const report = await f.collector(MIN_AGE).runResource('manifest');
  assert.deepEqual(report.deleted, manifestPaths([1]));
  assert.deepEqual(await f.paths('manifest'), [
    'db/manifest/00000000000000000001.manifest.bak',
    ...manifestPaths([2]),
    'db/manifest/1.manifest',
    'db/manifest/notes.txt',
  ]);
});

test('a database without a manifest fails the task and deletes nothing', async () => {
  const f = new GcFixture();
  await f.writeWal(1, 2);
  const report = await f.collector(0).runResource('manifest');
  assert.equal(report.error?.code, 'MANIFEST_MISSING');
  assert.deepEqual(report.deleted, []);
  assert.equal((await f.paths()).length, 2);
});
