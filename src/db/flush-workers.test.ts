/**
 * Memtable flushes through flush workers (`flushWorkers`): a database whose L0 SSTs (and large WAL SSTs) are
 * encoded in a worker reads back equal to a model (values, tombstones, merge operands resolved on the application's
 * thread, TTL rows), before and after reopen; a worker crash during a flush is retried like an unavailable store (the database stays open and
 * nothing is lost); `flushWorkers: 0` encodes on the application's thread and starts no worker; bad values are
 * refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { crashNextFlushTasksForTesting, flushWorkersStarted } from '../store/l0-encoder-pool.js';
import { ShaleDBError } from '../util/errors.js';
import { SeededRand } from '../util/random.js';
import { Db } from './db.js';
import { WriteBatch } from './write-batch.js';

const concat: MergeOperator = (_k, existing, operands) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...operands]);

const settings = {
  flushInterval: '5ms',
  manifestPollInterval: '50ms',
  compactorOptions: null,
  garbageCollectorOptions: null,
} as const;

type Model = Map<string, string>;

async function contents(db: Db): Promise<Model> {
  const out: Model = new Map();
  for await (const kv of db.scan()) out.set(Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString());
  return out;
}

/** Random puts, deletes and merges over 200 keys, a flush to L0 every 300 operations; returns the model. */
async function writeRandom(db: Db, seed: number, model: Model): Promise<void> {
  const rand = new SeededRand(seed);
  for (let i = 0; i < 1500; i++) {
    const k = `k${String(rand.nextInt(200)).padStart(3, '0')}`;
    // Values large enough that every flush and most WAL SSTs go to a worker (MIN_WORKER_ENCODE_BYTES).
    const v = `v${i}:${'x'.repeat(300)}`;
    const p = rand.nextInt(10);
    if (p < 5) {
      await db.put(k, v, { awaitDurable: false });
      model.set(k, v);
    } else if (p < 7) {
      await db.delete(k, { awaitDurable: false });
      model.delete(k);
    } else {
      await db.merge(k, v, { awaitDurable: false });
      model.set(k, (model.get(k) ?? '') + v);
    }
    if (i % 300 === 299) await db.flush({ type: 'memtable' });
  }
}

test('a database flushing through workers reads back equal to a model (tombstones, merges, TTL)', async () => {
  const store = new MemoryObjectStore();
  const before = flushWorkersStarted();
  const open = () => Db.open('db', store, { settings, mergeOperator: concat, flushWorkers: 1 });
  const db = await open();
  const model: Model = new Map();
  await writeRandom(db, 1, model);
  // TTL rows: some expire before the flush, some do not.
  for (let i = 0; i < 20; i++) await db.put(`t${i}`, 'short', { ttl: 1, awaitDurable: false });
  for (let i = 0; i < 20; i++) {
    await db.put(`u${i}`, 'long', { ttl: 3_600_000, awaitDurable: false });
    model.set(`u${i}`, 'long');
  }
  await sleep(20);
  await db.put('after', 'x', { awaitDurable: false });
  model.set('after', 'x');
  // A durable batch large enough for its WAL SST to be encoded in the worker.
  const batch = new WriteBatch();
  for (let i = 0; i < 400; i++) {
    const k = `w${String(i).padStart(3, '0')}`;
    const v = `${i}`.repeat(100);
    batch.put(k, v);
    model.set(k, v);
  }
  await db.write(batch);
  await db.flush({ type: 'memtable' });
  assert.ok(db.status().l0Count >= 6, `L0 SSTs written: ${db.status().l0Count}`);
  assert.ok(flushWorkersStarted() > before, 'the flushes ran in a worker');
  assert.deepEqual(await contents(db), model);
  await db.close();
  const again = await open();
  try {
    assert.deepEqual(await contents(again), model);
  } finally {
    await again.close();
  }
});

test('a flush worker crash during a flush is retried: the database stays open and nothing is lost', async () => {
  const store = new MemoryObjectStore();
  const before = flushWorkersStarted();
  const db = await Db.open('db', store, { settings, mergeOperator: concat, flushWorkers: 1 });
  const model: Model = new Map();
  try {
    crashNextFlushTasksForTesting(2);
    await writeRandom(db, 2, model);
    await db.flush({ type: 'memtable' });
    assert.ok(flushWorkersStarted() - before >= 3, 'two crashed workers were replaced');
    assert.deepEqual(await contents(db), model);
  } finally {
    crashNextFlushTasksForTesting(0);
    await db.close();
  }
  const again = await Db.open('db', store, { settings, mergeOperator: concat });
  try {
    assert.deepEqual(await contents(again), model);
  } finally {
    await again.close();
  }
});

test('flushWorkers 0 encodes on the application thread; bad values are refused', async () => {
  const store = new MemoryObjectStore();
  const before = flushWorkersStarted();
  const db = await Db.open('db', store, { settings, mergeOperator: concat, flushWorkers: 0 });
  const model: Model = new Map();
  await writeRandom(db, 3, model);
  assert.equal(flushWorkersStarted(), before);
  assert.deepEqual(await contents(db), model);
  await db.close();
  for (const flushWorkers of [-1, 1.5, 65]) {
    await assert.rejects(Db.open('db', store, { settings, flushWorkers }), (e: unknown) => {
      assert.ok(e instanceof ShaleDBError);
      assert.equal(e.code, 'INVALID_SETTING');
      return true;
    });
  }
});
