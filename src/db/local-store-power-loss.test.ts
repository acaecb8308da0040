/**
 * A database on the default local store under simulated power loss: for many seeds, concurrent writers (durable
 * puts, batches and deletes, plus puts that do not wait for durability) run against a Db whose LocalObjectStore
 * lives on the crashable memory file system, which crashes at a random call ('strict': only flushed data and
 * synced directory entries survive; 'torn': also a random, possibly torn, part of the rest). After the reboot the
 * database reopens on a fresh store over the surviving image and must hold every acknowledged durable write (a
 * non-durable one may be lost, but if present has its value); every object left in the store must read back
 * verified (SSTs block by block with checksums, manifests and compactions decoded), and the latest manifest must
 * keep the manifest invariants and name only SSTs that exist.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCompactions } from '../format/compactions.js';
import type { Manifest } from '../format/manifest.js';
import { decodeManifest } from '../format/manifest-codec.js';
import { compactedSstPath, parseManifestId, walSstPath } from '../format/object-paths.js';
import { collectRows } from '../format/row-iterator.js';
import { SstReader } from '../format/sst-reader.js';
import { type CrashMode, MemoryFileSystem } from '../io/memory-file-system.js';
import { LocalObjectStore } from '../object-store/local-store.js';
import { manifestViolations } from '../store/manifest-invariants.js';
import { fromUtf8 } from '../util/bytes.js';
import { SeededRand, testSeed } from '../util/random.js';
import { Db } from './db.js';
import { WriteBatch } from './write-batch.js';

const SEEDS = 40;
const WRITERS = 6;
const ROOT = '/disk/objects';

interface Acked {
  readonly durable: Set<string>;
  readonly relaxed: Set<string>;
  readonly deleted: Set<string>;
}

const valueFor = (k: string): string => `v-${k}-${'z'.repeat(20 + (k.length % 40))}`;

async function workload(db: Db, rand: SeededRand, round: number, acked: Acked): Promise<void> {
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; ; n++) {
      const p = rand.nextInt(10);
      const k = `r${round}-w${w}-${n}`;
      if (p < 4) {
        await db.put(k, valueFor(k));
        acked.durable.add(k);
      } else if (p < 6) {
        await db.put(k, valueFor(k), { awaitDurable: false });
        acked.relaxed.add(k);
      } else if (p < 9) {
        const keys = Array.from({ length: 1 + rand.nextInt(4) }, (_, i) => `${k}-b${i}`);
        const b = new WriteBatch();
        for (const key of keys) b.put(key, valueFor(key));
        await db.write(b);
        for (const key of keys) acked.durable.add(key);
      } else {
        await db.put(`${k}-d`, valueFor(`${k}-d`));
        await db.delete(`${k}-d`);
        acked.deleted.add(`${k}-d`);
      }
    }
  };
  await Promise.allSettled(Array.from({ length: WRITERS }, (_, w) => writer(w)));
}

/** Reads every object under the database root back, verified; returns the manifests by id. */
async function verifyObjects(
  store: LocalObjectStore,
  ctx: string,
): Promise<{ manifests: Map<number, Manifest>; l0s: number }> {
  const manifests = new Map<number, Manifest>();
  let ssts = 0;
  let l0s = 0;
  for await (const meta of store.list('db/')) {
    const kind = meta.path.split('/')[1];
    if (kind === 'wal' || kind === 'compacted') {
      const reader = await SstReader.open(store, meta.path);
      await collectRows(reader.iter());
      ssts++;
      if (kind === 'compacted') l0s++;
    } else if (kind === 'manifest') {
      const id = parseManifestId(meta.path);
      assert.ok(id !== undefined, `${ctx}: stray object ${meta.path}`);
      manifests.set(id, decodeManifest((await store.get(meta.path)).bytes, meta.path));
    } else if (kind === 'compactions') {
      decodeCompactions((await store.get(meta.path)).bytes, meta.path);
    } else {
      assert.fail(`${ctx}: unexpected object ${meta.path}`);
    }
  }
  assert.ok(ssts > 0, `${ctx}: no SST survived`);
  return { manifests, l0s };
}

async function checkLatestManifest(store: LocalObjectStore, manifests: Map<number, Manifest>, ctx: string) {
  const ids = [...manifests.keys()].sort((a, b) => a - b);
  assert.ok(ids.length > 0, `${ctx}: no manifest`);
  const id = ids[ids.length - 1]!;
  const latest = manifests.get(id)!;
  const previous = ids.length > 1 ? manifests.get(ids[ids.length - 2]!) : undefined;
  assert.deepEqual(manifestViolations(latest, id, previous), [], `${ctx}: manifest ${id}`);
  for (const sst of [...latest.l0, ...latest.compacted.flatMap((run) => run.ssts)]) {
    await store.head(compactedSstPath('db', sst.id));
  }
  // WAL SSTs not yet in an L0 are replayed on open: the range after replayAfterWalId must be whole.
  for (let wal = latest.replayAfterWalId + 1; wal <= latest.walIdLastSeen; wal++) {
    await store.head(walSstPath('db', wal));
  }
}

test(`${SEEDS} seeds: a database on the local store loses no acknowledged write to power loss`, async () => {
  const base = testSeed();
  console.log(`seed ${base} (each run uses seed + i)`);
  let durable = 0;
  let relaxedKept = 0;
  let l0Ssts = 0;
  for (let i = 0; i < SEEDS; i++) {
    const seed = (base + i) >>> 0;
    const rand = new SeededRand(seed);
    const mode: CrashMode = rand.nextInt(2) === 0 ? 'strict' : 'torn';
    const fs = new MemoryFileSystem();
    const storeOn = (n: number): LocalObjectStore =>
      new LocalObjectStore(ROOT, { fs, lockStaleMs: 50, rand: new SeededRand(seed * 7 + n) });
    const settings = {
      flushInterval: `${1 + rand.nextInt(5)}ms`,
      l0SstSizeBytes: 2048 + rand.nextInt(4096),
      compactorOptions: null,
      garbageCollectorOptions: null,
    };
    const acked: Acked = { durable: new Set(), relaxed: new Set(), deleted: new Set() };
    // Two crashes per seed: the second lands on a store that already went through a crash and a recovery.
    for (let round = 0; round < 2; round++) {
      const db = await Db.open('db', storeOn(round), { settings });
      fs.crashAfter(1 + rand.nextInt(600), { mode, rand });
      await workload(db, rand, round, acked);
      fs.crash({ mode, rand });
      await db.inner.simulateCrash();
      fs.restart();
    }
    const ctx = `seed ${seed} (${mode})`;
    const store = storeOn(9);
    const db = await Db.open('db', store, { settings });
    for (const k of acked.durable) {
      const v = await db.get(k);
      assert.ok(v !== undefined, `${ctx}: acknowledged durable put ${k} lost`);
      assert.equal(fromUtf8(v), valueFor(k), ctx);
    }
    for (const k of acked.relaxed) {
      const v = await db.get(k);
      if (v !== undefined) {
        assert.equal(fromUtf8(v), valueFor(k), ctx);
        relaxedKept++;
      }
    }
    for (const k of acked.deleted) assert.equal(await db.get(k), undefined, `${ctx}: delete ${k} undone`);
    await db.close();
    const { manifests, l0s } = await verifyObjects(store, ctx);
    await checkLatestManifest(store, manifests, ctx);
    l0Ssts += l0s;
    await store.close();
    durable += acked.durable.size + acked.deleted.size;
  }
  console.log(
    `${durable} acknowledged durable writes checked; ${relaxedKept} non-durable writes survived; ${l0Ssts} L0 SSTs read`,
  );
  assert.ok(durable > SEEDS * 10, `the workload acknowledged only ${durable} durable writes in all`);
  assert.ok(l0Ssts > SEEDS, `only ${l0Ssts} L0 SSTs were flushed in all`);
});
