/**
 * Compactions-file collection rules (0.12.1 CompactionsGcTask): every version but the newest goes once older
 * than the minimum age (strictly); the newest stays however old.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GcFixture } from '../../test/support/gc-fixture.js';

const MIN_AGE = 300_000;

function paths(ids: number[]): string[] {
  return ids.map((id) => `db/compactions/${String(id).padStart(20, '0')}.compactions`);
}

test('keeps the newest compactions file and deletes older ones past the minimum age', async () => {
  const f = new GcFixture();
  await f.writeManifest();
  await f.writeCompactions();
  await f.writeCompactions();
  await f.advance(1);
  await f.writeCompactions();
  await f.writeCompactions();
  await f.advance(MIN_AGE);
  // Files 1-2 are MIN_AGE + 1 old, 3-4 exactly MIN_AGE.
  const report = await f.collector(MIN_AGE).runResource('compactions');
  assert.equal(report.listed, 4);
  assert.deepEqual(report.deleted, paths([1, 2]));
  await f.advance(1);
  assert.deepEqual((await f.collector(MIN_AGE).runResource('compactions')).deleted, paths([3]));
  await f.advance(MIN_AGE * 100);
  assert.deepEqual((await f.collector(0).runResource('compactions')).deleted, []);
  assert.deepEqual(await f.paths('compactions'), paths([4]));
});

test('no compactions file: nothing to do', async () => {
  const f = new GcFixture();
  await f.writeManifest();
  const report = await f.collector(0).runResource('compactions');
  assert.equal(report.error, undefined);
  assert.equal(report.listed, 0);
  assert.deepEqual(report.deleted, []);
});
