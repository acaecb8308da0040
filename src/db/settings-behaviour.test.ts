/**
 * Behaviour of the Db settings that settings.test.ts only parses: defaultTtl (the expiry of writes without a TTL,
 * applied at flush), compressionCodec (every codec shrinks L0 SSTs and reads back), l0FlushParallelism (L0 uploads
 * in flight at once) and manifestUpdateTimeout (the bound on the writer-epoch claim at open).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { ObjectStoreError, type PutOptions, type PutResult } from '../object-store/object-store.js';
import type { CompressionCodec } from '../store/settings.js';
import { fromUtf8 } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';
import { WriteBatch } from './write-batch.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

const str = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : fromUtf8(v));

/** A memory store whose puts can be delayed or refused per path. */
class HookedStore extends MemoryObjectStore {
  onPut: ((path: string, options: PutOptions) => Promise<void>) | undefined;

  override async put(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    await this.onPut?.(path, options);
    return super.put(path, bytes, options);
  }
}

async function bytesUnder(store: MemoryObjectStore, prefix: string): Promise<number> {
  let n = 0;
  for await (const m of store.list(prefix)) n += m.size;
  return n;
}

test('defaultTtl sets the expiry of puts and merges without a ttl; flush turns expired values into tombstones', async () => {
  const merge = (_k: Uint8Array, e: Uint8Array | undefined, ops: Uint8Array[]) =>
    Buffer.concat([...(e === undefined ? [] : [e]), ...ops]);
  const db = await Db.open('db', new MemoryObjectStore(), {
    settings: { ...settings, defaultTtl: 60_000 },
    mergeOperator: merge,
  });
  try {
    await db.put('default', 'v');
    await db.put('own', 'v', { ttl: 1000 });
    await db.put('never', 'v', { ttl: 'noExpiry' });
    await db.merge('merged', 'm');
    await db.write(new WriteBatch().put('batch', 'v'));
    for (const [key, ttl] of [
      ['default', 60_000],
      ['own', 1000],
      ['never', undefined],
      ['merged', 60_000],
      ['batch', 60_000],
    ] as const) {
      const kv = (await db.getKeyValue(key))!;
      assert.equal(kv.expireTs, ttl === undefined ? undefined : kv.createTs! + ttl, key);
    }
  } finally {
    await db.close();
  }
  // Without defaultTtl nothing expires unless asked.
  const plain = await Db.open('db2', new MemoryObjectStore(), { settings });
  await plain.put('k', 'v');
  assert.equal((await plain.getKeyValue('k'))!.expireTs, undefined);
  await plain.close();
  // A 1 ms default: reads still return the expired value (0.12.1 filters at flush), the L0 flush drops it. The flush
  // expires rows against the memtable's last tick (the newest write's time), so 'kept' is written after the pause.
  const short = await Db.open('db3', new MemoryObjectStore(), { settings: { ...settings, defaultTtl: 1 } });
  try {
    await short.put('gone', 'v');
    await sleep(10);
    await short.put('kept', 'v', { ttl: 'noExpiry' });
    assert.equal(str(await short.get('gone')), 'v');
    await short.flush({ type: 'memtable' });
    assert.equal(await short.get('gone'), undefined);
    assert.equal(str(await short.get('kept')), 'v');
  } finally {
    await short.close();
  }
});

test('compressionCodec: every codec writes smaller L0 SSTs than none, and they read back after a reopen', async () => {
  const sizes = new Map<CompressionCodec, number>();
  for (const codec of [null, 'snappy', 'zlib', 'lz4', 'zstd'] as const) {
    const store = new MemoryObjectStore();
    const s = { ...settings, compressionCodec: codec };
    const db = await Db.open('db', store, { settings: s });
    for (let i = 0; i < 300; i++) {
      await db.put(`k${String(i).padStart(4, '0')}`, `value ${i} `.repeat(50), { awaitDurable: false });
    }
    await db.flush({ type: 'memtable' });
    await db.close();
    sizes.set(codec, await bytesUnder(store, 'db/compacted/'));
    const again = await Db.open('db', store, { settings: s });
    try {
      assert.equal(again.status().l0Count, 1);
      assert.equal(str(await again.get('k0123')), 'value 123 '.repeat(50), String(codec));
      let n = 0;
      for await (const _ of again.scan()) n++;
      assert.equal(n, 300, String(codec));
    } finally {
      await again.close();
    }
  }
  const none = sizes.get(null)!;
  for (const [codec, size] of sizes) {
    if (codec !== null) assert.ok(size * 4 < none, `${codec}: ${size} bytes vs ${none} uncompressed`);
  }
});

test('l0FlushParallelism bounds the L0 uploads in flight', async () => {
  for (const parallelism of [1, 3]) {
    const store = new HookedStore();
    let inFlight = 0;
    let most = 0;
    let uploads = 0;
    store.onPut = async (path) => {
      if (!path.startsWith('db/compacted/')) return;
      uploads++;
      most = Math.max(most, ++inFlight);
      await sleep(30);
      inFlight--;
    };
    // No WAL: an upload waits for nothing else, so every frozen memtable is ready at once.
    const db = await Db.open('db', store, {
      settings: {
        ...settings,
        walEnabled: false,
        l0SstSizeBytes: 4096,
        l0FlushParallelism: parallelism,
        l0MaxSsts: 100,
      },
    });
    try {
      for (let i = 0; i < 6; i++) await db.put(`k${i}`, 'x'.repeat(5000), { awaitDurable: false });
      await db.flush({ type: 'memtable' });
      assert.equal(db.status().l0Count, 6);
      assert.equal(uploads, 6);
      if (parallelism === 1) assert.equal(most, 1);
      else
        assert.ok(
          most >= 2 && most <= parallelism,
          `${most} uploads in flight with parallelism ${parallelism}`,
        );
    } finally {
      await db.close();
    }
  }
});

test('manifestUpdateTimeout bounds the writer-epoch claim when every manifest write conflicts', async () => {
  const store = new HookedStore();
  const first = await Db.open('db', store, { settings });
  await first.close();
  let attempts = 0;
  store.onPut = async (path, options) => {
    if (path.startsWith('db/manifest/') && options.mode === 'create') {
      attempts++;
      await sleep(1);
      throw new ObjectStoreError('already-exists', 'put', path, 'taken (test)');
    }
  };
  await assert.rejects(
    Db.open('db', store, { settings: { ...settings, manifestUpdateTimeout: '150ms' } }),
    (e) => isShaleDBError(e, 'unavailable', 'MANIFEST_UPDATE_TIMEOUT') && /150 ms/.test(e.message),
  );
  assert.ok(attempts > 1, `the claim was retried (${attempts} attempts) until the timeout`);
  store.onPut = undefined;
  const again = await Db.open('db', store, { settings });
  await again.close();
});
