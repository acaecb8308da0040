/**
 * Power-loss runs of a database on the local object store over the crashable MemoryFileSystem: concurrent writers
 * (durable puts, batches and deletes, plus puts that do not wait for durability) until the file system crashes at
 * a random call ('strict': only flushed data and synced directory entries survive; 'torn': also a random,
 * possibly torn, part of the rest), a reboot, and the checks: every acknowledged durable write is there (a
 * non-durable one may be lost, but if present has its value), every object left reads back verified (SSTs block by
 * block with checksums, manifests and compactions decoded), and the latest manifest keeps the manifest invariants
 * and names only objects that exist. Used by src/db (writer only) and src/open (with compactor and GC).
 *
 * Invariants: every Db opened is closed or crashed; randomness comes from the printed seed.
 * Concurrency: one seed at a time.
 */
import assert from 'node:assert/strict';
import type { Db } from '../../src/db/db.js';
import { WriteBatch } from '../../src/db/write-batch.js';
import { decodeCompactions } from '../../src/format/compactions.js';
import type { Manifest } from '../../src/format/manifest.js';
import { decodeManifest } from '../../src/format/manifest-codec.js';
import { compactedSstPath, parseManifestId, walSstPath } from '../../src/format/object-paths.js';
import { collectRows } from '../../src/format/row-iterator.js';
import { SstReader } from '../../src/format/sst-reader.js';
import { type CrashMode, MemoryFileSystem } from '../../src/io/memory-file-system.js';
import { LocalObjectStore } from '../../src/object-store/local-store.js';
import { manifestViolations } from '../../src/store/manifest-invariants.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { SeededRand, testSeed } from '../../src/util/random.js';

const WRITERS = 6;
const ROOT = '/disk/objects';

/** What the writers were told had been written. */
export interface Acked {
  readonly durable: Set<string>;
  readonly relaxed: Set<string>;
  readonly deleted: Set<string>;
}

export const valueFor = (k: string): string => `v-${k}-${'z'.repeat(20 + (k.length % 40))}`;

/** Concurrent writers that run until the store fails under them (the crash), recording what was acknowledged. */
export async function workload(db: Db, rand: SeededRand, round: number, acked: Acked): Promise<void> {
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
export async function verifyObjects(
  store: LocalObjectStore,
  ctx: string,
): Promise<{ manifests: Map<number, Manifest>; compacted: number }> {
  const manifests = new Map<number, Manifest>();
  let ssts = 0;
  let compacted = 0;
  for await (const meta of store.list('db/')) {
    const kind = meta.path.split('/')[1];
    if (kind === 'wal' || kind === 'compacted') {
      const reader = await SstReader.open(store, meta.path);
      await collectRows(reader.iter());
      ssts++;
      if (kind === 'compacted') compacted++;
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
  return { manifests, compacted };
}

/** The latest manifest keeps the manifest invariants and names only objects that exist. */
export async function checkLatestManifest(
  store: LocalObjectStore,
  manifests: Map<number, Manifest>,
  ctx: string,
): Promise<void> {
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

/** How one power-loss run is set up. */
export interface PowerLossRun {
  readonly seeds: number;
  /** Opens the database (with its embedded services, if any) on `store`. */
  readonly open: (store: LocalObjectStore, settings: object) => Promise<Db>;
  readonly settings: (rand: SeededRand) => object;
  /** The crash lands before one of the first this many counted file-system calls after the open. */
  readonly crashWithin: number;
}

/** Totals over a run, for the caller to check that the workload did enough. */
export interface PowerLossTotals {
  durable: number;
  relaxedKept: number;
  compacted: number;
}

/**
 * For each seed: two rounds of open, workload, crash (strict or torn) and reboot on one MemoryFileSystem, then a
 * final open that must hold every acknowledged write, and a verified read of every object left.
 */
export async function runPowerLoss(run: PowerLossRun): Promise<PowerLossTotals> {
  const base = testSeed();
  console.log(`seed ${base} (each run uses seed + i)`);
  const totals: PowerLossTotals = { durable: 0, relaxedKept: 0, compacted: 0 };
  for (let i = 0; i < run.seeds; i++) {
    const seed = (base + i) >>> 0;
    const rand = new SeededRand(seed);
    const mode: CrashMode = rand.nextInt(2) === 0 ? 'strict' : 'torn';
    const fs = new MemoryFileSystem();
    const storeOn = (n: number): LocalObjectStore =>
      new LocalObjectStore(ROOT, { fs, lockStaleMs: 50, rand: new SeededRand(seed * 7 + n) });
    const settings = run.settings(rand);
    const acked: Acked = { durable: new Set(), relaxed: new Set(), deleted: new Set() };
    // Two crashes per seed: the second lands on a store that already went through a crash and a recovery.
    for (let round = 0; round < 2; round++) {
      const db = await run.open(storeOn(round), settings);
      fs.crashAfter(1 + rand.nextInt(run.crashWithin), { mode, rand });
      await workload(db, rand, round, acked);
      fs.crash({ mode, rand });
      await db.inner.simulateCrash();
      fs.restart();
    }
    const ctx = `seed ${seed} (${mode})`;
    const store = storeOn(9);
    const db = await run.open(store, settings);
    for (const k of acked.durable) {
      const v = await db.get(k);
      assert.ok(v !== undefined, `${ctx}: acknowledged durable put ${k} lost`);
      assert.equal(fromUtf8(v), valueFor(k), ctx);
    }
    for (const k of acked.relaxed) {
      const v = await db.get(k);
      if (v !== undefined) {
        assert.equal(fromUtf8(v), valueFor(k), ctx);
        totals.relaxedKept++;
      }
    }
    for (const k of acked.deleted) assert.equal(await db.get(k), undefined, `${ctx}: delete ${k} undone`);
    await db.close();
    const { manifests, compacted } = await verifyObjects(store, ctx);
    await checkLatestManifest(store, manifests, ctx);
    await store.close();
    totals.compacted += compacted;
    totals.durable += acked.durable.size + acked.deleted.size;
  }
  console.log(
    `${totals.durable} acknowledged durable writes checked; ${totals.relaxedKept} non-durable writes survived; ` +
      `${totals.compacted} compacted-dir SSTs read`,
  );
  return totals;
}
