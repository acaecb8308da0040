/**
 * Read and scan IO options with 0.12.1's meaning: cacheBlocks=false (gets and scans) reads blocks without putting
 * them in the block cache (the cache is left as it was, and a repeated read fetches again), the default caches them; readAheadBytes sets
 * how many bytes of blocks each GET fetches from the first GET on (1 = one block per GET); invalid values are
 * rejected. GETs are observed through CountingObjectStore's GET log.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountingObjectStore } from '../object-store/counting-store.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { GetOptions, ObjectStore } from '../object-store/object-store.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';
import type { ScanOptions } from './options.js';

const settings = { flushInterval: null, compactorOptions: null, garbageCollectorOptions: null } as const;
const ROWS = 400;

/** A database with one L0 SST of about 40 KiB (about 10 blocks of 4 KiB) and an empty memtable. */
async function fixture(): Promise<{ db: Db; store: CountingObjectStore }> {
  const store = new CountingObjectStore(new MemoryObjectStore(), { logGets: true });
  const db = await Db.open('db', store, { settings });
  let x = 12345;
  for (let i = 0; i < ROWS; i++) {
    const v = new Uint8Array(100);
    for (let j = 0; j < v.length; j++) {
      x = (x * 1103515245 + 12345) >>> 0;
      v[j] = x >>> 24;
    }
    await db.put(`key-${String(i).padStart(5, '0')}`, v, { awaitDurable: false });
  }
  await db.flush({ type: 'memtable' });
  return { db, store };
}

/** Scans everything; returns the ranged GETs of SST data made meanwhile (offset, bytes). */
async function scanGets(db: Db, store: CountingObjectStore, options?: ScanOptions): Promise<number[]> {
  store.getLog.length = 0;
  const it = db.scan(undefined, options);
  let n = 0;
  while ((await it.next()) !== undefined) n++;
  it.close();
  assert.equal(n, ROWS);
  return store.getLog
    .filter((g) => g.path.includes('/compacted/') && g.range !== undefined && 'offset' in g.range)
    .map((g) => g.bytes);
}

test('cacheBlocks=false leaves the block cache unchanged; the default caches what a scan fetched', async () => {
  const { db, store } = await fixture();
  try {
    const cache = db.inner.blockCache;
    await scanGets(db, store, { cacheBlocks: false }); // opens the SST (index and filter may be cached)
    const before = cache.stats();
    const uncached = await scanGets(db, store, { cacheBlocks: false });
    assert.ok(uncached.length > 0, 'blocks not cached: the second scan fetches them again');
    const after = cache.stats();
    assert.equal(after.entries, before.entries);
    assert.equal(after.bytes, before.bytes);
    await scanGets(db, store);
    assert.ok(cache.stats().entries > before.entries, 'the default scan caches its blocks');
    assert.deepEqual(await scanGets(db, store), [], 'and a repeated scan is served from the cache');
    assert.deepEqual(
      await scanGets(db, store, { cacheBlocks: false }),
      [],
      'cached blocks are used either way',
    );
  } finally {
    await db.close();
  }
});

test('point reads: cacheBlocks=false leaves the block cache unchanged; the default caches the block read', async () => {
  const { db, store } = await fixture();
  try {
    const cache = db.inner.blockCache;
    const key = 'key-00200';
    const expected = await db.get(key, { cacheBlocks: false }); // opens the SST (index and filter)
    const before = cache.stats();
    for (const read of [
      () => db.get(key, { cacheBlocks: false }),
      async () => (await db.getKeyValue(key, { cacheBlocks: false }))?.value,
      async () => (await db.getMany([key], { cacheBlocks: false }))[0],
    ]) {
      store.getLog.length = 0;
      assert.deepEqual(await read(), expected);
      assert.ok(store.getLog.length > 0, 'the block was read from the store again');
      assert.equal(cache.stats().entries, before.entries);
      assert.equal(cache.stats().bytes, before.bytes);
    }
    await db.get(key);
    assert.equal(cache.stats().entries, before.entries + 1, 'the default caches the block');
    store.getLog.length = 0;
    assert.deepEqual(await db.get(key, { cacheBlocks: false }), expected);
    assert.equal(store.getLog.length, 0, 'a cached block is used either way');
    assert.throws(
      () => db.getSync(key, { cacheBlocks: 1 as never }),
      (e) => isShaleDBError(e, 'invalid'),
    );
  } finally {
    await db.close();
  }
});

test('readAheadBytes: bytes of blocks per GET from the first GET on; 1 means one block per GET', async () => {
  const { db, store } = await fixture();
  try {
    const one = await scanGets(db, store, { cacheBlocks: false, readAheadBytes: 1 });
    assert.ok(one.length >= 8, `one GET per block (${one.length} GETs)`);
    assert.ok(Math.max(...one) <= 4096 + 512, `each GET is one block: ${one}`);
    const big = await scanGets(db, store, { cacheBlocks: false, readAheadBytes: 16 * 1024 });
    assert.ok(big.length < one.length / 2, `fewer GETs with 16 KiB read-ahead: ${big}`);
    assert.ok(big[0]! > 8192, `the first GET already reads ahead: ${big}`);
    assert.ok(Math.max(...big) <= 16 * 1024 + 4096, `no GET above the read-ahead plus one block: ${big}`);
    assert.equal(
      one.reduce((a, b) => a + b, 0),
      big.reduce((a, b) => a + b, 0),
      'the same bytes either way',
    );
    // Without the option: adaptive (the first GET is one block).
    const adaptive = await scanGets(db, store, { cacheBlocks: false });
    assert.ok(adaptive[0]! <= 4096 + 512);
  } finally {
    await db.close();
  }
});

/** A store whose GETs of SSTs take `delayMs` and are asynchronous only; records the most GETs in flight at once. */
function slowStore(delayMs: number): { store: ObjectStore; peak: () => number; reset: () => void } {
  const inner = new MemoryObjectStore();
  let inflight = 0;
  let peak = 0;
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'tryGetSync') return undefined;
      if (prop === 'get') {
        return async (path: string, options?: GetOptions) => {
          if (!path.includes('/compacted/')) return target.get(path, options);
          inflight++;
          peak = Math.max(peak, inflight);
          try {
            await new Promise((r) => setTimeout(r, delayMs));
            return await target.get(path, options);
          } finally {
            inflight--;
          }
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as ObjectStore;
  return { store, peak: () => peak, reset: () => (peak = 0) };
}

test('maxFetchTasks bounds the GETs a scan of one SST keeps in flight, and uses that many', async () => {
  const { store, peak, reset } = slowStore(5);
  const db = await Db.open('db', store, { settings, blockCacheBytes: 0 });
  try {
    for (let i = 0; i < ROWS; i++) {
      await db.put(`key-${String(i).padStart(5, '0')}`, new Uint8Array(100).fill(i % 251), {
        awaitDurable: false,
      });
    }
    await db.flush({ type: 'memtable' });
    const scan = async (options: ScanOptions): Promise<void> => {
      reset();
      const it = db.scan(undefined, { cacheBlocks: false, readAheadBytes: 1, ...options });
      let n = 0;
      while ((await it.next()) !== undefined) n++;
      it.close();
      assert.equal(n, ROWS);
    };
    await scan({ maxFetchTasks: 1 });
    assert.equal(peak(), 1);
    await scan({});
    assert.equal(peak(), 1, 'the default is 1, as in 0.12.1');
    await scan({ maxFetchTasks: 3 });
    assert.equal(peak(), 3);
    await scan({ maxFetchTasks: 3, order: 'desc' });
    assert.equal(peak(), 3);
  } finally {
    await db.close();
  }
});

test('scan IO options are validated', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  try {
    for (const bad of [
      { readAheadBytes: 0 },
      { readAheadBytes: 1.5 },
      { maxFetchTasks: 0 },
      { maxFetchTasks: '2' },
      { cacheBlocks: 'no' },
    ]) {
      assert.throws(
        () => db.scan(undefined, bad as ScanOptions),
        (e) => isShaleDBError(e, 'invalid'),
      );
    }
    const it = db.scan(undefined, { maxFetchTasks: 4, readAheadBytes: 1 << 20, cacheBlocks: true });
    assert.equal(await it.next(), undefined);
  } finally {
    await db.close();
  }
});
