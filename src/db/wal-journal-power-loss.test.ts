/**
 * The local WAL journal tier under simulated power loss: for many seeds, concurrent durable writers (puts, batches,
 * deletes) run against a database whose journal lives on the crashable memory file system, which crashes at a
 * random call ('strict': only flushed data survives; 'torn': also a random, possibly torn, part of the rest).
 * Object storage (in memory) survives, as a remote store does. After the reboot the database reopens with the same
 * journal and every acknowledged write must be there: puts with their values, deletes absent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CrashMode, MemoryFileSystem } from '../io/memory-file-system.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { fromUtf8 } from '../util/bytes.js';
import { SeededRand, testSeed } from '../util/random.js';
import { Db } from './db.js';
import { WriteBatch } from './write-batch.js';

const SEEDS = 60;
const WRITERS = 8;

interface Acked {
  readonly present: Set<string>;
  readonly deleted: Set<string>;
}

const valueFor = (k: string): string => `v-${k}-${'y'.repeat(k.length)}`;

async function workload(db: Db, rand: SeededRand, round: number, acked: Acked): Promise<void> {
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; ; n++) {
      const p = rand.nextInt(10);
      if (p < 6) {
        const k = `s${round}-w${w}-${n}`;
        await db.put(k, valueFor(k));
        acked.present.add(k);
      } else if (p < 9) {
        const keys = Array.from({ length: 1 + rand.nextInt(4) }, (_, i) => `s${round}-w${w}-${n}-b${i}`);
        const b = new WriteBatch();
        for (const k of keys) b.put(k, valueFor(k));
        await db.write(b);
        for (const k of keys) acked.present.add(k);
      } else {
        const k = `s${round}-w${w}-${n}-d`;
        await db.put(k, valueFor(k));
        await db.delete(k);
        acked.deleted.add(k);
      }
    }
  };
  await Promise.allSettled(Array.from({ length: WRITERS }, (_, w) => writer(w)));
}

test(`${SEEDS} seeds: no acknowledged write is lost when the journal's disk loses power`, async () => {
  const base = testSeed();
  console.log(`seed ${base} (each run uses seed + i)`);
  let total = 0;
  for (let i = 0; i < SEEDS; i++) {
    const seed = (base + i) >>> 0;
    const rand = new SeededRand(seed);
    const mode: CrashMode = rand.nextInt(2) === 0 ? 'strict' : 'torn';
    const fs = new MemoryFileSystem();
    const store = new MemoryObjectStore();
    const settings = {
      flushInterval: rand.nextInt(3) === 0 ? '1h' : `${1 + rand.nextInt(20)}ms`,
      l0SstSizeBytes: 8 * 1024,
      compactorOptions: null,
      garbageCollectorOptions: null,
    };
    const walJournal = { dir: '/j', fs, segmentBytes: 512 + rand.nextInt(4096) };
    const acked: Acked = { present: new Set(), deleted: new Set() };
    // Two crashes per seed: the second lands on a journal that already went through a recovery.
    for (let round = 0; round < 2; round++) {
      const db = await Db.open('db', store, { settings, walJournal });
      fs.crashAfter(1 + rand.nextInt(300), { mode, rand });
      await workload(db, rand, round, acked);
      fs.crash({ mode, rand });
      await db.inner.simulateCrash();
      fs.restart();
    }
    const db = await Db.open('db', store, { settings, walJournal });
    const ctx = `seed ${seed} (${mode})`;
    for (const k of acked.present) {
      const v = await db.get(k);
      assert.ok(v !== undefined, `${ctx}: acknowledged put ${k} lost`);
      assert.equal(fromUtf8(v), valueFor(k), ctx);
    }
    for (const k of acked.deleted) assert.equal(await db.get(k), undefined, `${ctx}: delete ${k} undone`);
    await db.close();
    total += acked.present.size + acked.deleted.size;
  }
  console.log(`${total} acknowledged writes checked`);
  assert.ok(total > SEEDS * 10, `the workload acknowledged only ${total} writes in all`);
});
