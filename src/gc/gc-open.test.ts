/**
 * openGarbageCollector and its option resolution: 0.12.1 defaults (60 s interval, 300 s minimum age), SlateDB
 * option names, null resources, a null interval falling back to 60 s, the --min-age / --interval overrides,
 * 'invalid' errors for bad values, and a store opened from a URL being owned and closed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { isShaleDBError } from '../util/errors.js';
import { openGarbageCollector, resolveGcOpenOptions } from './gc-open.js';

test('defaults are 0.12.1 defaults for every resource', () => {
  const o = resolveGcOpenOptions({});
  for (const r of [o.manifest, o.wal, o.compacted, o.compactions]) {
    assert.deepEqual(r, { intervalMs: 60_000, minAgeMs: 300_000 });
  }
});

test('per-resource options, null resources, null interval and overrides', () => {
  const o = resolveGcOpenOptions({
    garbageCollectorOptions: {
      manifestOptions: { interval: '5s', minAge: '1h' },
      walOptions: null,
      compactedOptions: { interval: null, minAge: 10 },
    },
  });
  assert.deepEqual(o.manifest, { intervalMs: 5000, minAgeMs: 3_600_000 });
  assert.equal(o.wal, null);
  assert.deepEqual(o.compacted, { intervalMs: 60_000, minAgeMs: 10 });
  assert.deepEqual(o.compactions, { intervalMs: 60_000, minAgeMs: 300_000 });
  const over = resolveGcOpenOptions({
    garbageCollectorOptions: { walOptions: null },
    minAge: '0s',
    interval: '1s',
  });
  assert.deepEqual(over.manifest, { intervalMs: 1000, minAgeMs: 0 });
  assert.equal(over.wal, null);
  const none = resolveGcOpenOptions({
    garbageCollectorOptions: {
      manifestOptions: null,
      walOptions: null,
      compactedOptions: null,
      compactionsOptions: null,
    },
  });
  assert.deepEqual(none, { manifest: null, wal: null, compacted: null, compactions: null });
});

test('bad options are invalid errors', () => {
  const bad = [
    { minAge: 'soon' },
    { interval: '0s' },
    { minAge: -1 },
    { garbageCollectorOptions: { walOptions: { interval: 'x', minAge: '1s' } } },
    { garbageCollectorOptions: { manifestOptions: { minAge: '1s', extra: 1 } } },
    { garbageCollectorOptions: { nope: null } },
  ];
  for (const options of bad) {
    assert.throws(
      () => resolveGcOpenOptions(options as never),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
      JSON.stringify(options),
    );
  }
});

test('opening from a URL owns the store; a given store is not closed', async () => {
  const gc = await openGarbageCollector('/a//b/', 'memory:///', { minAge: '0s' });
  assert.equal(gc.gcStore.root, 'a/b');
  assert.equal((await gc.runOnce()).resources[0]?.error?.code, 'MANIFEST_MISSING');
  await gc.close();
  await gc.close();
  const store = new MemoryObjectStore();
  const gc2 = await openGarbageCollector('db', store);
  await gc2.close();
  await store.put('x', new Uint8Array([1]));
  await assert.rejects(openGarbageCollector('db', 42 as never), (e) => isShaleDBError(e, 'invalid'));
  await assert.rejects(openGarbageCollector('../db', store), (e) => isShaleDBError(e, 'invalid'));
});
