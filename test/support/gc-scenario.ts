/**
 * A ShaleDB database full of garbage, for the collector's CLI and interop suites: written on a `file://` store by
 * a real Db with the embedded compactor (so there are sorted runs, compactions files and the compactor's 900 s
 * checkpoints), plus a never-expiring checkpoint taken after a clean close (it pins L0s the latest manifest no
 * longer references and WAL SSTs below the latest replay point that nothing else needs), a checkpoint that has
 * already expired, a WAL tail that only the WAL holds, and an orphan SST with an hour-old ULID (a failed
 * compaction's output).
 *
 * Invariants: `expected` is exactly what the database holds (every write was acknowledged durable); `keep` is what
 * the database read at the kept checkpoint right after it was made; the Db is closed on return.
 * Concurrency: run alone on its directory.
 */
import assert from 'node:assert/strict';
import { WriteBatch } from '../../src/db/write-batch.js';
import type { Checkpoint } from '../../src/format/manifest.js';
import { compactedSstPath } from '../../src/format/object-paths.js';
import { makeRow } from '../../src/format/row.js';
import { SstBuilder, sstBytes } from '../../src/format/sst-builder.js';
import { GcStore } from '../../src/gc/gc-store.js';
import type { ObjectStore } from '../../src/object-store/object-store.js';
import { resolveObjectStore } from '../../src/object-store/resolve.js';
import { Db } from '../../src/open/open.js';
import { systemClock } from '../../src/util/clock.js';
import { Ulid } from '../../src/util/ids.js';
import { SeededRand } from '../../src/util/random.js';
import { type ReopenedState, reopenAt, WriteLog } from './gc-safety-check.js';
import { SimCheckpoints } from './gc-sim-compactor.js';

/** What the scenario left behind. */
export interface GcScenario {
  readonly url: string;
  readonly root: string;
  /** Every key's value (what a full scan must return). */
  readonly expected: Map<string, string>;
  /** The never-expiring checkpoint and what the database read at it when it was made. */
  readonly keep: { readonly checkpoint: Checkpoint; readonly state: ReopenedState };
  /** The checkpoint that had expired when the scenario ended. */
  readonly expired: Checkpoint;
  /** The orphan SST's path. */
  readonly orphan: string;
}

async function writeMemtable(db: Db, log: WriteLog, rand: SeededRand, m: number): Promise<void> {
  for (let b = 0; b < 3; b++) {
    const batch = new WriteBatch();
    const ops: Array<[string, string | undefined]> = [];
    const used = new Set<number>();
    for (let i = 0; i < 15; i++) {
      const k = rand.nextInt(80);
      if (used.has(k)) continue;
      used.add(k);
      const key = `key${String(k).padStart(3, '0')}`;
      const value = rand.nextInt(6) === 0 ? undefined : `m${m}b${b}i${i}-${'x'.repeat(rand.nextInt(40))}`;
      if (value === undefined) batch.delete(key);
      else batch.put(key, value);
      ops.push([key, value]);
    }
    const h = await db.write(batch);
    for (const [k, v] of ops) log.add(Number(h.seq), k, v);
  }
}

async function until(
  what: string,
  cond: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = systemClock.monotonicMs() + timeoutMs;
  while (!(await cond())) {
    assert.ok(systemClock.monotonicMs() < deadline, `timed out waiting for ${what}`);
    await systemClock.sleep(50);
  }
}

/** Writes the scenario into `dir` (database path 'db'). */
export async function buildGcScenario(dir: string, seed: number): Promise<GcScenario> {
  const url = `file://${dir}`;
  const root = 'db';
  const rand = new SeededRand(seed);
  const log = new WriteLog();
  const store = await resolveObjectStore(url);
  try {
    const checkpoints = new SimCheckpoints(store, root, systemClock, rand);
    const settings = {
      flushInterval: '10ms',
      compactorOptions: { pollInterval: '100ms' },
      garbageCollectorOptions: null,
    } as const;
    let db = await Db.open(root, store, { settings });
    let keep: { checkpoint: Checkpoint; state: ReopenedState };
    try {
      for (let m = 0; m < 2; m++) {
        await writeMemtable(db, log, rand, m);
        await db.flush({ type: 'memtable' });
      }
      await writeMemtable(db, log, rand, 2);
      // A clean close leaves a manifest whose WAL range holds memtable 2; the checkpoint pins exactly that.
      await db.close();
      keep = await pinNow(store, root, checkpoints);
      db = await Db.open(root, store, { settings });
      for (let m = 3; m < 5; m++) {
        await writeMemtable(db, log, rand, m);
        await db.flush({ type: 'memtable' });
      }
      await until('a compaction', () => db.status().sortedRunCount > 0);
      for (let m = 5; m < 7; m++) {
        await writeMemtable(db, log, rand, m);
        await db.flush({ type: 'memtable' });
      }
      await writeMemtable(db, log, rand, 7); // only in the WAL
    } finally {
      await db.close();
    }
    const gcStore = new GcStore(store, root);
    const early = (await gcStore.listManifests()).find(
      (v) => v.id > 2 && v.id !== keep!.checkpoint.manifestId,
    );
    assert.ok(early !== undefined);
    const expired = await checkpoints.pin(early.id, -60);
    const orphan = await writeOrphan(store, root, rand);
    assert.ok(keep.checkpoint.manifestId > 0);
    return { url, root, expected: log.at(), keep, expired, orphan };
  } finally {
    await store.close();
  }
}

/** Makes a never-expiring checkpoint on the latest manifest and reads the database at it. */
async function pinNow(
  store: ObjectStore,
  root: string,
  checkpoints: SimCheckpoints,
): Promise<{ checkpoint: Checkpoint; state: ReopenedState }> {
  const checkpoint = await checkpoints.create(0);
  const m = await new GcStore(store, root).manifests.read(checkpoint.manifestId);
  const state = await reopenAt(store, root, checkpoint.manifestId, m, systemClock.nowMs());
  return { checkpoint, state };
}

/** An SST no manifest references, with a ULID an hour old. */
export async function writeOrphan(store: ObjectStore, root: string, rand: SeededRand): Promise<string> {
  const b = new SstBuilder({});
  const enc = new TextEncoder();
  b.add(makeRow(enc.encode('orphan'), 1, 'value', enc.encode('never referenced'), 0));
  const path = compactedSstPath(root, Ulid.generate(systemClock.nowMs() - 3_600_000, rand));
  await store.put(path, sstBytes(b.finish()));
  return path;
}
