/**
 * The database with `objectStoreCacheOptions`: compacted SSTs are read through the disk cache (after a restart, reads
 * cost no SST GET), `cachePuts` caches L0 flushes as they are written, `preloadDiskCacheOnStartup` warms the cache
 * on open, and WAL SSTs and manifests are never cached.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { CountingObjectStore } from '../object-store/counting-store.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { ObjectStore } from '../object-store/object-store.js';
import type { Settings } from '../store/settings.js';
import { Db } from './db.js';

function sstGets(store: CountingObjectStore): number {
  return store.getLog.filter((g) => g.path.includes('/compacted/')).length;
}

function cachedObjects(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      if (name.isDirectory()) walk(join(d, name.name), `${rel}${name.name}/`);
      else if (name.name === '_head') out.push(rel.slice(0, -1));
    }
  };
  walk(dir, '');
  return out;
}

async function writeSsts(store: ObjectStore, settings: Partial<Settings>): Promise<void> {
  const db = await Db.open('db', store, { settings, blockCacheBytes: 0 });
  for (let f = 0; f < 3; f++) {
    for (let i = 0; i < 200; i++)
      await db.put(`k${f}-${String(i).padStart(4, '0')}`, `v${f}-${i}`, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
  await db.close();
}

async function readAll(store: ObjectStore, settings: Partial<Settings>): Promise<void> {
  const db = await Db.open('db', store, { settings, blockCacheBytes: 0 });
  for (let f = 0; f < 3; f++) {
    for (let i = 0; i < 200; i += 37) {
      const v = await db.get(`k${f}-${String(i).padStart(4, '0')}`);
      assert.equal(v === undefined ? undefined : Buffer.from(v).toString(), `v${f}-${i}`);
    }
  }
  await db.close();
}

const base: Partial<Settings> = { compactorOptions: null, garbageCollectorOptions: null };

test('reads go through the disk cache; after a restart SST reads cost no GET; WAL and manifests are not cached', async () => {
  await withTempDir(async (dir) => {
    const mem = new MemoryObjectStore();
    const settings = { ...base, objectStoreCacheOptions: { rootFolder: dir, partSizeBytes: 4096 } };
    await writeSsts(mem, settings);
    const first = new CountingObjectStore(mem, { logGets: true });
    await readAll(first, settings);
    assert.ok(sstGets(first) > 0, 'the first reads fetch SST parts');
    const cached = cachedObjects(dir);
    assert.ok(cached.length >= 3);
    for (const p of cached) assert.match(p, /^db\/compacted\/[0-9A-Z]{26}\.sst$/);
    const second = new CountingObjectStore(mem, { logGets: true });
    await readAll(second, settings);
    assert.equal(sstGets(second), 0, 'SST reads after the restart are served from disk');
    const off = new CountingObjectStore(mem, { logGets: true });
    await readAll(off, base);
    assert.ok(sstGets(off) > 0, 'without the setting, reads go to the store');
  });
});

test('cachePuts caches L0 flushes; preload warms an empty cache on open', async () => {
  await withTempDir(async (dir) => {
    const mem = new MemoryObjectStore();
    const puts = {
      ...base,
      objectStoreCacheOptions: { rootFolder: join(dir, 'a'), partSizeBytes: 4096, cachePuts: true },
    };
    await writeSsts(mem, puts);
    assert.equal(cachedObjects(join(dir, 'a')).length, 3, 'each L0 SST was cached as it was written');
    const c1 = new CountingObjectStore(mem, { logGets: true });
    await readAll(c1, puts);
    assert.equal(sstGets(c1), 0);

    for (const level of ['L0Sst', 'AllSst'] as const) {
      const root = join(dir, level);
      const pre = {
        ...base,
        objectStoreCacheOptions: { rootFolder: root, preloadDiskCacheOnStartup: level },
      };
      const c2 = new CountingObjectStore(mem, { logGets: true });
      const db = await Db.open('db', c2, { settings: pre, blockCacheBytes: 0 });
      assert.equal(cachedObjects(root).length, 3, `${level}: the manifest's SSTs were loaded on open`);
      c2.getLog.length = 0;
      assert.equal(Buffer.from((await db.get('k1-0037'))!).toString(), 'v1-37');
      assert.equal(sstGets(c2), 0);
      await db.close();
    }
  });
});
