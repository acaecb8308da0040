/**
 * What runs beside or instead of a clone's writer finds the SSTs the clone shares with its parent:
 * - a standalone compactor (its own table store, as `shaledb compactor` builds it) compacts the clone's shared L0s,
 *   reading them from the parent's path and writing its run under the clone's (0.12.1's standalone compactor does
 *   not resolve external SSTs and fails there);
 * - the disk cache preloads the shared SSTs from the parent's path on open, and the clone's reads then cost no SST
 *   GET;
 * - a clone of a clone reads each shared SST from the database that owns it (grandparent or parent), both hold a
 *   final checkpoint, and the parent's own writes after the clone was made stay out of it.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { Compactor } from '../compactor/compactor.js';
import { createClone } from '../db/clone.js';
import { referencedSstIds } from '../format/manifest.js';
import { CountingObjectStore } from '../object-store/counting-store.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { resolveSettings } from '../store/settings.js';
import { TableStore } from '../store/table-store.js';
import { fromUtf8 } from '../util/bytes.js';
import { systemClock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { SeededRand } from '../util/random.js';
import { Db } from './open.js';

const QUIET = { flushInterval: '5ms', compactorOptions: null, garbageCollectorOptions: null } as const;

/** A parent with four L0s of keys k{f}-{i}, cloned to 'clone'. */
async function parentAndClone(store: MemoryObjectStore): Promise<void> {
  const db = await Db.open('parent', store, { settings: QUIET, blockCacheBytes: 0 });
  for (let f = 0; f < 4; f++) {
    for (let i = 0; i < 100; i++) await db.put(`k${f}-${String(i).padStart(3, '0')}`, `v${f}-${i}`);
    await db.flush({ type: 'memtable' });
  }
  await db.close();
  await createClone('clone', 'parent', store);
}

async function checkReads(db: Db): Promise<void> {
  for (let f = 0; f < 4; f++) {
    for (let i = 0; i < 100; i += 17) {
      const v = await db.get(`k${f}-${String(i).padStart(3, '0')}`);
      assert.equal(v === undefined ? undefined : fromUtf8(v), `v${f}-${i}`);
    }
  }
}

test("a standalone compactor compacts a clone's shared SSTs, reading them from the parent's path", async () => {
  const store = new MemoryObjectStore();
  await parentAndClone(store);
  const shared = (await manifestStore(store, 'clone').tryReadLatest())!.value.l0.map((s) => s.id.toString());
  assert.equal(shared.length, 4);
  const s = resolveSettings({ compactorOptions: { pollInterval: '20ms', schedulerOptions: {} } });
  const tableStore = new TableStore(store, 'clone', {
    codec: null,
    blockSize: 4096,
    minFilterKeys: 1000,
    filterBitsPerKey: 10,
    blockCacheBytes: 1 << 20,
  });
  const exec = new TaskExecutor(systemClock, new SeededRand(1));
  let written = 0;
  const failures: unknown[] = [];
  const c = await Compactor.start({
    root: 'clone',
    store,
    tableStore,
    options: s.compactorOptions!,
    clock: systemClock,
    rand: new SeededRand(1),
    mergeOperator: undefined,
    executor: exec,
    onManifestWritten: () => written++,
    onJobFailed: (_id, e) => failures.push(e),
  });
  c.poll();
  for (let i = 0; i < 500 && written === 0 && failures.length === 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  await exec.shutdown();
  await c.stop();
  assert.deepEqual(failures, []);
  const m = (await manifestStore(store, 'clone').tryReadLatest())!.value;
  assert.equal(m.l0.length, 0);
  assert.equal(m.compacted.length, 1);
  const own: string[] = [];
  for await (const o of store.list('clone/compacted/')) own.push(o.path);
  for (const id of referencedSstIds(m)) {
    assert.ok(!shared.includes(id.toString()));
    assert.ok(own.includes(`clone/compacted/${id.toString()}.sst`), `the run's SST ${id} is under the clone`);
  }
  const db = await Db.open('clone', store, { settings: QUIET });
  await checkReads(db);
  await db.close();
});

test("the disk cache preloads a clone's shared SSTs from the parent's path", async () => {
  await withTempDir(async (dir) => {
    const mem = new MemoryObjectStore();
    await parentAndClone(mem);
    const counting = new CountingObjectStore(mem, { logGets: true });
    const root = join(dir, 'cache');
    const db = await Db.open('clone', counting, {
      settings: {
        ...QUIET,
        objectStoreCacheOptions: { rootFolder: root, preloadDiskCacheOnStartup: 'AllSst' },
      },
      blockCacheBytes: 0,
    });
    const preloaded = counting.getLog.filter((g) => g.path.startsWith('parent/compacted/')).length;
    assert.ok(preloaded >= 4, `open preloaded the shared SSTs (${preloaded} GETs under the parent)`);
    assert.ok(readdirSync(root).length > 0);
    counting.getLog.length = 0;
    await checkReads(db);
    assert.deepEqual(
      counting.getLog.filter((g) => g.path.includes('/compacted/')).map((g) => g.path),
      [],
      'reads are served by the cache',
    );
    await db.close();
  });
});

test('a clone of a clone reads from its grandparent and its parent', async () => {
  const store = new MemoryObjectStore();
  await parentAndClone(store); // 'parent' (4 L0s) -> 'clone'
  const mid = await Db.open('clone', store, { settings: QUIET });
  for (let i = 0; i < 50; i++) await mid.put(`m-${String(i).padStart(3, '0')}`, `mid-${i}`);
  await mid.flush({ type: 'memtable' });
  await mid.close();
  await createClone('grandchild', 'clone', store);
  const mid2 = await Db.open('clone', store, { settings: QUIET });
  await mid2.put('m-000', 'after the clone was made');
  await mid2.flush({ type: 'memtable' });
  await mid2.close();

  const m = (await manifestStore(store, 'grandchild').tryReadLatest())!.value;
  assert.deepEqual(
    m.externalDbs.map((e) => [e.path, e.sstIds.length]),
    [
      ['parent', 4],
      ['clone', 1],
    ],
  );
  for (const e of m.externalDbs) {
    const holder = (await manifestStore(store, e.path).tryReadLatest())!.value;
    const final = holder.checkpoints.find((c) => c.id.equals(e.finalCheckpointId!));
    assert.equal(final?.expireTimeS, 0, `${e.path} holds the final checkpoint`);
  }
  const db = await Db.open('grandchild', store, { settings: QUIET });
  await checkReads(db);
  for (let i = 0; i < 50; i += 7) {
    const v = await db.get(`m-${String(i).padStart(3, '0')}`);
    assert.equal(v === undefined ? undefined : fromUtf8(v), `mid-${i}`);
  }
  await db.close();
  const own: string[] = [];
  for await (const o of store.list('grandchild/compacted/')) own.push(o.path);
  assert.deepEqual(own, []);
});
