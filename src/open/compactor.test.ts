/**
 * Compactor tests on the memory store: L0s are compacted into sorted runs while writes continue, reads stay
 * correct throughout, the L0 count stays bounded, tombstones vanish only in the last run, merge operands are folded,
 * the commit writes a checkpoint before the result manifest, and a second compactor fences the first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { Compactor } from '../compactor/compactor.js';
import { decodeManifest } from '../format/manifest-codec.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { resolveSettings } from '../store/settings.js';
import { TableStore } from '../store/table-store.js';
import { ManualClock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { isShaleDBError } from '../util/errors.js';
import { SeededRand } from '../util/random.js';
import { Db } from './open.js';

const concat: MergeOperator = (_k, existing, ops) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...ops]);

function settings(extra: object = {}) {
  return {
    flushInterval: '5ms',
    l0SstSizeBytes: 4096,
    manifestPollInterval: '20ms',
    garbageCollectorOptions: null,
    compactorOptions: { pollInterval: '20ms', maxSstSize: 16 * 1024, schedulerOptions: {} },
    ...extra,
  };
}

test('L0s are compacted into sorted runs; reads stay correct; L0 stays bounded', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: settings({ l0MaxSsts: 6 }), mergeOperator: concat });
  const model = new Map<string, string>();
  let maxL0 = 0;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 60; i++) {
      const k = `key${String((round * 37 + i * 11) % 500).padStart(4, '0')}`;
      if (i % 13 === 0) {
        await db.delete(k, { awaitDurable: false });
        model.delete(k);
      } else if (i % 7 === 0) {
        await db.merge(k, '+m', { awaitDurable: false });
        model.set(k, `${model.get(k) ?? ''}+m`);
      } else {
        const v = `v${round}-${i}-${'x'.repeat(40)}`;
        await db.put(k, v, { awaitDurable: false });
        model.set(k, v);
      }
    }
    await db.flush({ type: 'memtable' });
    maxL0 = Math.max(maxL0, db.status().l0Count);
  }
  await waitFor(() => db.status().sortedRunCount > 0, 'a sorted run');
  assert.ok(maxL0 <= 6, `L0 count reached ${maxL0}`);
  for (const [k, v] of model) assert.equal(Buffer.from((await db.get(k))!).toString(), v, k);
  let n = 0;
  for await (const kv of db.scan()) {
    assert.equal(Buffer.from(kv.value).toString(), model.get(Buffer.from(kv.key).toString()));
    n++;
  }
  assert.equal(n, model.size);
  await db.close();
  // Reopen: the compacted state reads back.
  const again = await Db.open('db', store, { settings: settings(), mergeOperator: concat });
  for (const [k, v] of model) assert.equal(Buffer.from((await again.get(k))!).toString(), v);
  await again.close();
});

test('a compaction commits a checkpoint manifest, then the result; last-run outputs have no tombstones', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: settings({ compactorOptions: null }) });
  for (let i = 0; i < 4; i++) {
    await db.put(`a${i}`, 'v');
    await db.delete(`gone${i}`);
    await db.flush({ type: 'memtable' });
  }
  await db.close();
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const rand = new SeededRand(1);
  const s = resolveSettings(settings());
  const tableStore = new TableStore(store, 'db', {
    codec: null,
    blockSize: 4096,
    minFilterKeys: 1000,
    filterBitsPerKey: 10,
    blockCacheBytes: 1 << 20,
  });
  const exec = new TaskExecutor(clock, rand);
  let written = 0;
  const c = await Compactor.start({
    root: 'db',
    store,
    tableStore,
    options: s.compactorOptions!,
    clock,
    rand,
    mergeOperator: undefined,
    executor: exec,
    onManifestWritten: () => written++,
  });
  c.poll();
  await waitFor(() => written > 0, 'the result manifest');
  const ids: number[] = [];
  for await (const m of store.list('db/manifest/')) ids.push(Number(m.path.split('/').pop()!.split('.')[0]));
  ids.sort((a, b) => a - b);
  const last = decodeManifest(
    (await store.get(`db/manifest/${String(ids.at(-1)).padStart(20, '0')}.manifest`)).bytes,
  );
  const prev = decodeManifest(
    (await store.get(`db/manifest/${String(ids.at(-2)).padStart(20, '0')}.manifest`)).bytes,
  );
  assert.equal(last.l0.length, 0);
  assert.equal(last.compacted.length, 1);
  assert.equal(prev.l0.length, 4, 'the checkpoint manifest still has the pre-compaction state');
  const cp = last.checkpoints.find((x) => x.manifestId === ids.at(-2));
  assert.ok(cp !== undefined, 'the checkpoint pins its own manifest');
  assert.equal(cp.expireTimeS - cp.createTimeS, 900);
  assert.equal(last.l0LastCompacted!.toString(), prev.l0[0]!.id.toString());
  await exec.shutdown();
  await c.stop();
  const db2 = await Db.open('db', store, { settings: settings({ compactorOptions: null }) });
  for (let i = 0; i < 4; i++) assert.equal(Buffer.from((await db2.get(`a${i}`))!).toString(), 'v');
  const stats = await tableStore.sstRef(last.compacted[0]!.ssts[0]!).view();
  const rows: string[] = [];
  for (let it = stats.iterator({}, 'asc'), r = await it.next(); r !== undefined; r = await it.next())
    rows.push(`${Buffer.from(r.key)}:${r.kind}`);
  assert.deepEqual(rows, ['a0:value', 'a1:value', 'a2:value', 'a3:value']);
  await db2.close();
});

test('a second compactor fences the first', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: settings({ compactorOptions: null }) });
  await db.close();
  const clock = new ManualClock();
  const s = resolveSettings(settings());
  const tableStore = new TableStore(store, 'db', {
    codec: null,
    blockSize: 4096,
    minFilterKeys: 1000,
    filterBitsPerKey: 10,
    blockCacheBytes: 1 << 20,
  });
  const e1 = new TaskExecutor(clock);
  const c1 = await Compactor.start({
    root: 'db',
    store,
    tableStore,
    options: s.compactorOptions!,
    clock,
    rand: new SeededRand(1),
    mergeOperator: undefined,
    executor: e1,
  });
  const e2 = new TaskExecutor(clock);
  const c2 = await Compactor.start({
    root: 'db',
    store,
    tableStore,
    options: s.compactorOptions!,
    clock,
    rand: new SeededRand(2),
    mergeOperator: undefined,
    executor: e2,
  });
  assert.equal(c2.epoch, c1.epoch + 1);
  c1.poll();
  const r = await e1.whenClosed();
  assert.ok(!r.ok && isShaleDBError(r.error, 'closed') && r.error.closeReason === 'fenced');
  await e2.shutdown();
  await c2.stop();
  await c1.stop();
});
