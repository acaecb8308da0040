/**
 * SIGKILL suite for the disk cache: a child (test/support/cache-crash-child.ts) reads through a CachedObjectStore
 * with a small size bound (so it saves and evicts constantly) and is killed with SIGKILL at a random moment; the
 * parent then reopens the same cache folder and checks that temp files left by the kill are swept, the index
 * matches the disk and stays within the bound, and every read returns the store's exact bytes. Repeated over
 * several kills of one folder, so each child also starts from the previous kill's leftovers.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '../../../test/support/io-temp-dir.js';
import { spawnKillableChild } from '../../../test/support/kill-child.js';
import { isTempFileName } from '../../io/temp-name.js';
import { SeededRand } from '../../util/random.js';
import { CountingObjectStore } from '../counting-store.js';
import { LocalObjectStore } from '../local-store.js';
import { CachedObjectStore } from './cached-store.js';

const KILLS = 6;
const CHILD = fileURLToPath(new URL('../../../test/support/cache-crash-child.ts', import.meta.url));

function walk(dir: string, out: { temps: number; bytes: number }): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else {
      if (isTempFileName(name)) out.temps++;
      else out.bytes += st.size;
    }
  }
}

test('kill -9 while caching: the reopened cache sweeps leftovers, keeps its bound and serves exact bytes', async () => {
  await withTempDir(async (dir) => {
    const storeDir = join(dir, 'store');
    const cacheDir = join(dir, 'cache');
    mkdirSync(storeDir);
    const rand = new SeededRand(77);
    const store = new LocalObjectStore(storeDir, { durability: 'none' });
    const objects = new Map<string, Uint8Array>();
    for (let i = 0; i < 10; i++) {
      const data = new Uint8Array(rand.nextInt(30_000) + 1000);
      for (let j = 0; j < data.length; j++) data[j] = rand.nextInt(256);
      const path = `compacted/o${i}.sst`;
      await store.put(path, data);
      objects.set(path, data);
    }
    for (let round = 0; round < KILLS; round++) {
      let reads = 0;
      let bad = 0;
      const child = spawnKillableChild(CHILD, [storeDir, cacheDir, String(round + 1)], (m) => {
        if (m.t === 'n') reads = m['n'] as number;
        if (m.t === 'bad') bad++;
      });
      await child.ready;
      assert.ok(child.isReady(), 'child opened the cache');
      await new Promise((r) => setTimeout(r, 150 + rand.nextInt(400)));
      const { signal } = await child.kill();
      assert.equal(signal, 'SIGKILL');
      assert.equal(bad, 0, 'the child never read wrong bytes');
      assert.ok(reads > 0, 'the child did work before the kill');
      const counting = new CountingObjectStore(store);
      const cached = await CachedObjectStore.open(counting, {
        rootFolder: cacheDir,
        partSizeBytes: 4096,
        maxCacheSizeBytes: 48 * 1024,
      });
      const after = { temps: 0, bytes: 0 };
      walk(cacheDir, after);
      assert.equal(after.temps, 0, 'temp files are swept on open');
      assert.equal(after.bytes, cached.usage.bytes, 'the index matches the disk');
      assert.ok(cached.usage.bytes <= 48 * 1024);
      for (const [path, data] of objects) {
        for (let k = 0; k < 5; k++) {
          const offset = rand.nextInt(data.length);
          const length = rand.nextInt(data.length - offset) + 1;
          const got = await cached.get(path, { range: { offset, length } });
          assert.deepEqual(Buffer.from(got.bytes), Buffer.from(data.subarray(offset, offset + length)));
        }
      }
      await cached.close();
    }
    await store.close();
  });
});
