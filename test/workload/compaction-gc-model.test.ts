/**
 * Long random workload with the embedded compactor and garbage collector running and faults injected under the
 * retry layer: puts, deletes, merges and TTL puts, flushes, reopens and crashes. The model check
 * holds at every reopen point and at the end; the L0 count stays bounded under sustained writes. TTL keys may read
 * as absent only once their expiry time has passed (expiry is applied at flush and compaction). Prints its seed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Db, MemoryObjectStore, type MergeOperator, WriteBatch } from '../../src/index.js';
import { SeededRand, testSeed } from '../../src/util/random.js';
import { faultyRetryingStore } from '../support/faulty-store.js';

const concat: MergeOperator = (_k, existing, ops) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...ops]);

interface Expect {
  value: Buffer;
  /** Unix ms after which the key may read as absent (TTL); undefined = never. */
  expireTs: number | undefined;
}

const L0_MAX = 6;

const settings = {
  flushInterval: '5ms',
  l0SstSizeBytes: 3000,
  l0MaxSsts: L0_MAX,
  manifestPollInterval: '30ms',
  compactorOptions: {
    pollInterval: '20ms',
    maxSstSize: 6 * 1024,
    schedulerOptions: { min_compaction_sources: '3' },
  },
  garbageCollectorOptions: {
    manifestOptions: { interval: '100ms', minAge: '200ms' },
    walOptions: { interval: '100ms', minAge: '200ms' },
    compactedOptions: { interval: '100ms', minAge: '200ms' },
    compactionsOptions: { interval: '100ms', minAge: '200ms' },
  },
};

test('random workload with compaction and GC running and faults injected', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  const { faulty, store } = faultyRetryingStore(new MemoryObjectStore(), seed, rand, 0.02, 0.003);
  const open = () => Db.open('cm', store, { settings, mergeOperator: concat, retry: false });
  let db = await open();
  const model = new Map<string, Expect>();
  let maxL0 = 0;
  let checks = 0;

  const check = async (where: string) => {
    const now = Date.now();
    const seen = new Map<string, Buffer>();
    for await (const kv of db.scan()) seen.set(Buffer.from(kv.key).toString(), Buffer.from(kv.value));
    for (const [k, e] of model) {
      const got = seen.get(k);
      if (got === undefined) {
        assert.ok(e.expireTs !== undefined && now >= e.expireTs, `${where}: ${k} is missing`);
      } else {
        assert.deepEqual(got, e.value, `${where}: ${k}`);
      }
    }
    for (const k of seen.keys()) assert.ok(model.has(k), `${where}: ${k} should not exist`);
    checks++;
  };

  for (let step = 0; step < 1500; step++) {
    const p = rand.nextInt(100);
    const k = `key${String(rand.nextInt(300)).padStart(3, '0')}`;
    if (p < 45) {
      const v = Buffer.from(`${step}:${'v'.repeat(rand.nextInt(60))}`);
      await db.put(k, v, { awaitDurable: rand.nextInt(4) === 0 });
      model.set(k, { value: v, expireTs: undefined });
    } else if (p < 55) {
      const ttl = 20 + rand.nextInt(400);
      const t0 = Date.now();
      const tk = `ttl${String(rand.nextInt(80)).padStart(3, '0')}`;
      const v = Buffer.from(`t${step}`);
      await db.put(tk, v, { ttl, awaitDurable: false });
      // createTs is taken during the call, so expiry is at least t0 + ttl.
      model.set(tk, { value: v, expireTs: t0 + ttl });
    } else if (p < 65) {
      await db.delete(k, { awaitDurable: false });
      model.delete(k);
    } else if (p < 78) {
      const mk = `merge${String(rand.nextInt(40)).padStart(2, '0')}`;
      const op = Buffer.from(`+${step}`);
      await db.merge(mk, op, { awaitDurable: false });
      const prev = model.get(mk);
      model.set(mk, { value: Buffer.concat([prev?.value ?? Buffer.alloc(0), op]), expireTs: undefined });
    } else if (p < 86) {
      const b = new WriteBatch();
      for (let i = 0; i < 5; i++) {
        const bk = `key${String(rand.nextInt(300)).padStart(3, '0')}`;
        const v = Buffer.from(`b${step}-${i}`);
        b.put(bk, v);
      }
      await db.write(b);
      for (const op of b.ops)
        model.set(Buffer.from(op.key).toString(), { value: Buffer.from(op.value), expireTs: undefined });
    } else if (p < 96) {
      await db.flush({ type: 'memtable' });
    } else if (p < 99) {
      await db.close();
      db = await open();
      await check(`reopen at step ${step}`);
    } else {
      await db.flush();
      await db.inner.simulateCrash();
      db = await open();
      await check(`after crash at step ${step}`);
    }
    maxL0 = Math.max(maxL0, db.status().l0Count);
  }
  await db.flush({ type: 'memtable' });
  for (let i = 0; i < 200 && db.status().l0Count >= 3; i++) await new Promise((r) => setTimeout(r, 20));
  await check('end');
  const status = db.status();
  // Let the collector catch up (interval 100 ms, minimum age 200 ms), then check it kept the store small.
  await new Promise((r) => setTimeout(r, 800));
  const count = async (dir: string): Promise<{ n: number; maxId: number }> => {
    let n = 0;
    let maxId = 0;
    for await (const m of faulty.inner.list(`cm/${dir}/`)) {
      n++;
      maxId = Math.max(maxId, Number(m.path.split('/').pop()!.split('.')[0]));
    }
    return { n, maxId };
  };
  const manifests = await count('manifest');
  const wal = await count('wal');
  console.log(
    `max L0 ${maxL0}, sorted runs ${status.sortedRunCount}, checks ${checks}, manifests ${manifests.n} of ${manifests.maxId}, WAL SSTs ${wal.n} of ${wal.maxId}, faults ${JSON.stringify(faulty.injected)}`,
  );
  assert.ok(manifests.n < manifests.maxId / 2, 'the collector deleted old manifests');
  assert.ok(wal.n < wal.maxId / 2, 'the collector deleted old WAL SSTs');
  assert.ok(maxL0 <= L0_MAX, `L0 count reached ${maxL0}`);
  assert.ok(status.sortedRunCount > 0, 'compactions happened');
  await db.close();
  faulty.enabled = false;
  db = await open();
  await check('final reopen');
  await db.close();
});
