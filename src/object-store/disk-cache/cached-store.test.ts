/**
 * CachedObjectStore tests: every get returns the inner store's exact bytes (random objects and ranges, part sizes
 * below and above the checksum chunk), repeated and post-restart gets are served from disk, the size bound holds
 * on disk, puts and deletes invalidate, cachePuts caches writes, a corrupted or truncated part is detected and never
 * served, a full disk (ENOSPC, short writes) loses only caching, and a torn crash (MemoryFileSystem, durability
 * 'none') never makes the cache serve wrong bytes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from '../../../test/support/io-temp-dir.js';
import { FaultyFileSystem } from '../../io/faulty-file-system.js';
import { MemoryFileSystem } from '../../io/memory-file-system.js';
import { NodeFileSystem, nodeFileSystem } from '../../io/node-file-system.js';
import { isTempFileName } from '../../io/temp-name.js';
import { SeededRand } from '../../util/random.js';
import { CountingObjectStore } from '../counting-store.js';
import { MemoryObjectStore } from '../memory-store.js';
import type { GetRange, ObjectStore } from '../object-store.js';
import { CachedObjectStore } from './cached-store.js';

function bytesOf(rand: SeededRand, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rand.nextInt(256);
  return b;
}

async function fill(
  store: ObjectStore,
  rand: SeededRand,
  count: number,
  maxSize: number,
): Promise<Map<string, Uint8Array>> {
  const objects = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const path = `db/compacted/obj${String(i).padStart(3, '0')}.sst`;
    const data = bytesOf(rand, rand.nextInt(maxSize) + 1);
    await store.put(path, data);
    objects.set(path, data);
  }
  return objects;
}

function randomRange(rand: SeededRand, size: number): GetRange | undefined {
  switch (rand.nextInt(4)) {
    case 0:
      return undefined;
    case 1:
      return { suffix: rand.nextInt(size + 10) + 1 };
    case 2:
      return { offset: rand.nextInt(size + 1) };
    default: {
      const offset = rand.nextInt(size + 1);
      return { offset, length: rand.nextInt(size - offset + 10) };
    }
  }
}

function expected(data: Uint8Array, r: GetRange | undefined): { bytes: Uint8Array; offset: number } {
  if (r === undefined) return { bytes: data, offset: 0 };
  if ('suffix' in r) {
    const start = Math.max(0, data.length - r.suffix);
    return { bytes: data.subarray(start), offset: start };
  }
  const start = Math.min(r.offset, data.length);
  const end = r.length === undefined ? data.length : Math.min(data.length, r.offset + r.length);
  return { bytes: data.subarray(start, end), offset: start };
}

async function checkAll(
  store: ObjectStore,
  objects: Map<string, Uint8Array>,
  rand: SeededRand,
  rounds: number,
): Promise<void> {
  const paths = [...objects.keys()];
  for (let i = 0; i < rounds; i++) {
    const path = paths[rand.nextInt(paths.length)]!;
    const data = objects.get(path)!;
    const r = randomRange(rand, data.length);
    const got = await store.get(path, r === undefined ? {} : { range: r });
    const want = expected(data, r);
    assert.equal(got.offset, want.offset, `${path} ${JSON.stringify(r)}`);
    assert.deepEqual(Buffer.from(got.bytes), Buffer.from(want.bytes), `${path} ${JSON.stringify(r)}`);
    assert.equal(got.meta.size, data.length);
  }
}

function diskFiles(dir: string): { files: string[]; bytes: number; temps: string[] } {
  const files: string[] = [];
  const temps: string[] = [];
  let bytes = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else {
        if (isTempFileName(name)) temps.push(p);
        files.push(p);
        bytes += st.size;
      }
    }
  };
  walk(dir);
  return { files, bytes, temps };
}

for (const partSizeBytes of [4096, 192 * 1024]) {
  test(`exact bytes for random ranges, then served from disk, also after a restart (part ${partSizeBytes})`, async () => {
    await withTempDir(async (dir) => {
      const rand = new SeededRand(partSizeBytes);
      const inner = new CountingObjectStore(new MemoryObjectStore());
      const objects = await fill(inner, rand, 12, partSizeBytes * 5);
      const cached = await CachedObjectStore.open(inner, {
        rootFolder: dir,
        partSizeBytes,
        maxCacheSizeBytes: null,
      });
      await checkAll(cached, objects, rand, 300);
      // Everything has been read whole or in parts; a full read of each object now costs no request.
      for (const path of objects.keys()) await cached.get(path);
      inner.reset();
      await checkAll(cached, objects, rand, 200);
      assert.equal(inner.calls('get'), 0, 'warm gets are served from disk');
      // A new process: the folder is indexed and served without the store.
      const again = await CachedObjectStore.open(inner, {
        rootFolder: dir,
        partSizeBytes,
        maxCacheSizeBytes: null,
      });
      assert.equal(again.usage.bytes, diskFiles(dir).bytes);
      await checkAll(again, objects, rand, 200);
      assert.equal(inner.calls('get'), 0, 'gets after a restart are served from disk');
      assert.ok(again.stats.partHits > 0);
    });
  });
}

test('the size bound holds on disk; least recently used parts go first', async () => {
  await withTempDir(async (dir) => {
    const rand = new SeededRand(5);
    const inner = new CountingObjectStore(new MemoryObjectStore());
    const objects = await fill(inner, rand, 20, 40_000);
    const max = 64 * 1024;
    const cached = await CachedObjectStore.open(inner, {
      rootFolder: dir,
      partSizeBytes: 4096,
      maxCacheSizeBytes: max,
    });
    await checkAll(cached, objects, rand, 400);
    await new Promise((r) => setTimeout(r, 20)); // evictions unlink in the background
    const disk = diskFiles(dir);
    assert.ok(cached.usage.bytes <= max, `${cached.usage.bytes} <= ${max}`);
    assert.equal(disk.bytes, cached.usage.bytes, 'the index matches the disk');
    assert.ok(cached.stats.evictedKeys > 0);
    // The most recently read part stays cached.
    const [path, data] = [...objects][0]!;
    await cached.get(path, { range: { offset: 0, length: 10 } });
    inner.reset();
    const got = await cached.get(path, { range: { offset: 0, length: 10 } });
    assert.deepEqual(got.bytes, data.subarray(0, 10));
    assert.equal(inner.calls('get'), 0);
    // Reopening with a smaller bound evicts down to it, on disk too, before open returns (unlinks made slow, so
    // an open that did not wait for them would return with the evicted files still there).
    class SlowUnlinkFileSystem extends NodeFileSystem {
      override async unlink(p: string): Promise<void> {
        await new Promise((r) => setTimeout(r, 30));
        return super.unlink(p);
      }
    }
    const smaller = await CachedObjectStore.open(inner, {
      rootFolder: dir,
      partSizeBytes: 4096,
      maxCacheSizeBytes: 8192,
      fs: new SlowUnlinkFileSystem(),
    });
    assert.ok(smaller.usage.bytes <= 8192);
    assert.equal(diskFiles(dir).bytes, smaller.usage.bytes);
  });
});

test('put and delete invalidate; cachePuts caches put and putStream', async () => {
  await withTempDir(async (dir) => {
    const inner = new CountingObjectStore(new MemoryObjectStore());
    const cached = await CachedObjectStore.open(inner, {
      rootFolder: dir,
      partSizeBytes: 1024,
      cachePuts: true,
    });
    const a = bytesOf(new SeededRand(1), 5000);
    await cached.put('x/a.sst', a);
    async function* chunks(): AsyncIterable<Uint8Array> {
      yield a.subarray(0, 777);
      yield a.subarray(777, 3000);
      yield a.subarray(3000);
    }
    await cached.putStream('x/b.sst', chunks());
    inner.reset();
    assert.deepEqual((await cached.get('x/a.sst')).bytes, a);
    assert.deepEqual(
      (await cached.get('x/b.sst', { range: { offset: 1000, length: 2500 } })).bytes,
      a.subarray(1000, 3500),
    );
    assert.equal(inner.calls('get'), 0, 'written objects are cached');
    const b = bytesOf(new SeededRand(2), 3000);
    await cached.put('x/a.sst', b);
    assert.deepEqual((await cached.get('x/a.sst')).bytes, b);
    await cached.delete('x/a.sst');
    await assert.rejects(
      cached.get('x/a.sst'),
      (e: unknown) => (e as { reason?: string }).reason === 'not-found',
    );
    assert.deepEqual(readdirSync(join(dir, 'x', 'a.sst')), []);
    // Without cachePuts a put only invalidates.
    const plain = await CachedObjectStore.open(inner, { rootFolder: dir, partSizeBytes: 1024 });
    await plain.put('x/b.sst', b);
    inner.reset();
    assert.deepEqual((await plain.get('x/b.sst')).bytes, b);
    assert.equal(inner.calls('get'), 1);
  });
});

test('a corrupted, truncated or zeroed part is never served, and is removed', async () => {
  await withTempDir(async (dir) => {
    const inner = new CountingObjectStore(new MemoryObjectStore());
    const data = bytesOf(new SeededRand(3), 200 * 1024);
    await inner.put('o.sst', data);
    const opts = { rootFolder: dir, partSizeBytes: 128 * 1024 };
    const cached = await CachedObjectStore.open(inner, opts);
    await cached.get('o.sst');
    const part0 = join(dir, 'o.sst', '_part128kb-000000000');
    const part1 = join(dir, 'o.sst', '_part128kb-000000001');
    const original = readFileSync(part0);
    const damage: ((p: string) => void)[] = [
      (p) => {
        const b = Buffer.from(original);
        b[b.length - 100]! ^= 1; // a data bit in the second checksum chunk
        writeFileSync(p, b);
      },
      (p) => truncateSync(p, original.length - 1),
      (p) => writeFileSync(p, Buffer.alloc(original.length)),
      (p) => {
        const b = Buffer.from(original);
        b[9]! ^= 0x40; // the header's length field
        writeFileSync(p, b);
      },
    ];
    for (const harm of damage) {
      harm(part0);
      truncateSync(part1, 10);
      const fresh = await CachedObjectStore.open(inner, opts);
      inner.reset();
      assert.deepEqual(
        (await fresh.get('o.sst', { range: { offset: 70_000, length: 1000 } })).bytes,
        data.subarray(70_000, 71_000),
      );
      assert.deepEqual((await fresh.get('o.sst')).bytes, data);
      assert.ok(fresh.stats.corruptFiles >= 2, 'both damaged parts were detected');
      assert.ok(inner.calls('get') >= 1, 'the damaged part was fetched again');
      assert.deepEqual(readFileSync(part0), original, 're-saved whole');
    }
  });
});

test('a full disk (ENOSPC, short writes) loses only caching: exact bytes, no leftovers, caching resumes', async () => {
  await withTempDir(async (dir) => {
    const fs = new FaultyFileSystem(nodeFileSystem, [{ op: 'write', errno: 'ENOSPC', partialBytes: 100 }]);
    const rand = new SeededRand(9);
    const inner = new CountingObjectStore(new MemoryObjectStore());
    const objects = await fill(inner, rand, 8, 30_000);
    const errors: string[] = [];
    const cached = await CachedObjectStore.open(inner, {
      rootFolder: dir,
      partSizeBytes: 4096,
      fs,
      onError: (what) => errors.push(what),
    });
    await checkAll(cached, objects, rand, 100);
    assert.ok(cached.stats.saveErrors > 0 && errors.length === cached.stats.saveErrors);
    assert.ok(fs.injected > 0);
    let disk = diskFiles(dir);
    assert.deepEqual(disk.temps, [], 'no temp file is left behind');
    assert.equal(disk.bytes, 0);
    assert.equal(cached.usage.bytes, 0);
    // The disk has room again: caching resumes.
    fs.clearRules();
    for (const path of objects.keys()) await cached.get(path);
    inner.reset();
    await checkAll(cached, objects, rand, 100);
    assert.equal(inner.calls('get'), 0);
    disk = diskFiles(dir);
    assert.equal(disk.bytes, cached.usage.bytes);
  });
});

test('a torn crash while caching (durability none) never serves wrong bytes after the restart', async () => {
  let tornDetected = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const rand = new SeededRand(seed);
    const mem = new MemoryFileSystem();
    const inner = new MemoryObjectStore();
    const objects = await fill(inner, rand, 6, 20_000);
    const opts = { rootFolder: '/cache', partSizeBytes: 4096, fs: mem, durability: 'none' as const };
    const cached = await CachedObjectStore.open(inner, opts);
    await checkAll(cached, objects, rand, 60);
    mem.crash({ mode: 'torn', rand });
    mem.restart();
    const after = await CachedObjectStore.open(inner, opts);
    await checkAll(after, objects, rand, 200);
    for (const path of objects.keys()) assert.deepEqual((await after.get(path)).bytes, objects.get(path));
    tornDetected += after.stats.corruptFiles;
  }
  assert.ok(tornDetected > 0, 'some crash left torn files, and they were detected');
});

test('a root folder that is not a folder is an invalid setting at open', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    await assert.rejects(
      CachedObjectStore.open(new MemoryObjectStore(), { rootFolder: file }),
      (e: unknown) =>
        (e as { kind?: string; code?: string }).code === 'INVALID_SETTING' &&
        (e as Error).message.includes(file),
    );
  });
});

test('objects whose names could collide with cache files are not cached', async () => {
  await withTempDir(async (dir) => {
    const inner = new CountingObjectStore(new MemoryObjectStore());
    await inner.put('a/_head', new Uint8Array([1, 2, 3]));
    const cached = await CachedObjectStore.open(inner, { rootFolder: dir, cacheable: (p) => p !== 'a/skip' });
    await inner.put('a/skip', new Uint8Array([4]));
    assert.deepEqual((await cached.get('a/_head')).bytes, new Uint8Array([1, 2, 3]));
    assert.deepEqual((await cached.get('a/skip')).bytes, new Uint8Array([4]));
    assert.deepEqual(diskFiles(dir).files, []);
  });
});
