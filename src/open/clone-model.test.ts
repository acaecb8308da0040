/**
 * Clones end to end against a model (seeded random writes on the memory store):
 * - a parent written at random is cloned at a checkpoint; then both are written at random: the clone reads the
 *   parent's state at the checkpoint plus its own writes (as a writer, a DbReader, and a reader pinned to a clone
 *   checkpoint), and the parent never sees the clone's writes;
 * - the clone's compactor consumes SSTs it shares with the parent (read from the parent's path) and writes its
 *   outputs under the clone's path; the clone's GC then deletes nothing of the parent's, and the clone reads the
 *   same after both;
 * - the parent compacts the checkpointed SSTs away, and the parent's GC keeps every SST the clone's final checkpoint
 *   pins (the clone still reads them); with that checkpoint removed, the next collection deletes them, which shows
 *   the pin is what kept them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteCheckpoint, listCheckpoints } from '../db/checkpoint.js';
import { createClone } from '../db/clone.js';
import type { Db as WriterDb } from '../db/db.js';
import { DbReader } from '../db/db-reader.js';
import type { Manifest } from '../format/manifest.js';
import { referencedSstIds } from '../format/manifest.js';
import { compactedSstPath } from '../format/object-paths.js';
import { GarbageCollector } from '../gc/garbage-collector.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { fromUtf8 } from '../util/bytes.js';
import { systemClock } from '../util/clock.js';
import { SeededRand, testSeed } from '../util/random.js';
import { Db } from './open.js';

const QUIET = {
  flushInterval: '5ms',
  l0MaxSsts: 64,
  manifestPollInterval: '20ms',
  compactorOptions: null,
  garbageCollectorOptions: null,
} as const;
const COMPACTING = {
  ...QUIET,
  compactorOptions: { pollInterval: '20ms', schedulerOptions: {} },
} as const;

type Model = Map<string, string>;

/** `n` random puts and deletes on keys k000..k199, applied to `db` and `model`. */
async function randomWrites(
  db: WriterDb,
  model: Model,
  rand: SeededRand,
  n: number,
  tag: string,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const k = `k${String(rand.nextInt(200)).padStart(3, '0')}`;
    if (rand.nextInt(7) === 0) {
      await db.delete(k, { awaitDurable: false });
      model.delete(k);
    } else {
      const v = `${tag}-${i}-${'v'.repeat(rand.nextInt(40))}`;
      await db.put(k, v, { awaitDurable: false });
      model.set(k, v);
    }
  }
  await db.flush();
}

interface Readable {
  scan(): AsyncIterable<{ key: Uint8Array; value: Uint8Array }>;
  get(key: string): Promise<Uint8Array | undefined>;
}

async function assertReads(db: Readable, model: Model, what: string): Promise<void> {
  const seen: [string, string][] = [];
  for await (const kv of db.scan()) seen.push([fromUtf8(kv.key), fromUtf8(kv.value)]);
  const want = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual(seen, want, `${what}: scan`);
  for (let i = 0; i < 200; i += 7) {
    const k = `k${String(i).padStart(3, '0')}`;
    const v = await db.get(k);
    assert.equal(v === undefined ? undefined : fromUtf8(v), model.get(k), `${what}: get ${k}`);
  }
}

async function latest(store: ObjectStore, root: string): Promise<Manifest> {
  const l = await manifestStore(store, root).tryReadLatest();
  assert.ok(l);
  return l.value;
}

async function paths(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const m of store.list(prefix)) out.push(m.path);
  return out.sort();
}

async function waitFor(
  cond: () => Promise<boolean>,
  what: string,
  show: () => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await show())}`);
}

function collector(store: ObjectStore, root: string): GarbageCollector {
  const d = { intervalMs: 60_000, minAgeMs: 0 };
  return new GarbageCollector({
    store,
    root,
    options: { manifest: d, wal: d, compacted: d, compactions: d },
    clock: systemClock,
    rand: new SeededRand(3),
  });
}

test('a clone reads the parent at the checkpoint plus its own writes, through compaction and GC of both', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  const store = new MemoryObjectStore();

  // The parent: four L0s and some WAL-only writes, then a checkpoint (scope 'all' flushes them to L0 too).
  const parentModel: Model = new Map();
  const parent = await Db.open('dbs/parent', store, { settings: QUIET });
  for (let r = 0; r < 4; r++) {
    await randomWrites(parent, parentModel, rand, 40, `p${r}`);
    await parent.flush({ type: 'memtable' });
  }
  await randomWrites(parent, parentModel, rand, 25, 'p-wal');
  const cp = await parent.createCheckpoint({ scope: 'all' });
  const atCheckpoint = new Map(parentModel);
  // The parent moves on before the clone is made: none of this may reach the clone.
  await randomWrites(parent, parentModel, rand, 40, 'p-after');
  await parent.flush({ type: 'memtable' });

  await createClone('dbs/clone', 'dbs/parent', store, {
    parentCheckpoint: cp.id,
    rand: new SeededRand(seed + 1),
  });
  const cloneManifest = await latest(store, 'dbs/clone');
  const parentEntry = cloneManifest.externalDbs[cloneManifest.externalDbs.length - 1]!;
  assert.equal(parentEntry.path, 'dbs/parent');
  assert.equal(parentEntry.sstIds.length, 5);
  assert.deepEqual(await paths(store, 'dbs/clone/compacted/'), [], 'a clone starts without SSTs of its own');

  const cloneModel: Model = new Map(atCheckpoint);
  let clone = await Db.open('dbs/clone', store, { settings: QUIET });
  await assertReads(clone, cloneModel, 'clone at the checkpoint');
  await assertReads(parent, parentModel, 'parent after cloning');

  // Both write on, interleaved; each flush makes an L0 under its own path.
  for (let r = 0; r < 3; r++) {
    await randomWrites(clone, cloneModel, rand, 40, `c${r}`);
    await clone.flush({ type: 'memtable' });
    await randomWrites(parent, parentModel, rand, 30, `p2-${r}`);
    await parent.flush({ type: 'memtable' });
  }
  await randomWrites(clone, cloneModel, rand, 20, 'c-wal');
  await assertReads(clone, cloneModel, 'clone after writes');
  await assertReads(parent, parentModel, 'parent after clone writes');
  const cloneCp = await clone.createCheckpoint({ scope: 'all' });
  const cloneAtCp = new Map(cloneModel);
  const reader = await DbReader.open('dbs/clone', store);
  await assertReads(reader, cloneModel, 'DbReader on the clone');
  await reader.close();
  await clone.close();

  // Compaction on the clone: every L0 (the shared ones too) goes into a sorted run under the clone's path.
  clone = await Db.open('dbs/clone', store, { settings: COMPACTING });
  const parentOwned = new Set(parentEntry.sstIds.map((id) => id.toString()));
  const sharesNothing = (m: Manifest) => referencedSstIds(m).every((id) => !parentOwned.has(id.toString()));
  await waitFor(
    async () => {
      const m = await latest(store, 'dbs/clone');
      return m.compacted.length > 0 && sharesNothing(m);
    },
    'the clone to compact the SSTs it shares',
    async () => clone.status(),
  );
  const compacted = await latest(store, 'dbs/clone');
  for (const id of referencedSstIds(compacted)) {
    assert.ok(!parentOwned.has(id.toString()), `shared SST ${id} was compacted away`);
    assert.ok(
      (await paths(store, 'dbs/clone/compacted/')).includes(compactedSstPath('dbs/clone', id)),
      `compaction output ${id} is under the clone`,
    );
  }
  assert.deepEqual(compacted.externalDbs, cloneManifest.externalDbs, 'external databases are never dropped');
  await assertReads(clone, cloneModel, 'clone after compaction');
  await clone.close();

  // GC on the clone never touches the parent.
  const parentObjects = await paths(store, 'dbs/parent/');
  await collector(store, 'dbs/clone').runOnce();
  assert.deepEqual(await paths(store, 'dbs/parent/'), parentObjects, "the clone's GC left the parent alone");
  clone = await Db.open('dbs/clone', store, { settings: QUIET });
  await assertReads(clone, cloneModel, 'clone after its GC');
  const pinned = await DbReader.open('dbs/clone', store, { checkpointId: cloneCp.id });
  await assertReads(pinned, cloneAtCp, 'reader pinned to a clone checkpoint');
  await pinned.close();

  // The parent compacts its checkpointed L0s away.
  await parent.close();
  const parentC = await Db.open('dbs/parent', store, { settings: COMPACTING });
  await waitFor(
    async () => {
      const m = await latest(store, 'dbs/parent');
      return m.compacted.length > 0 && sharesNothing(m);
    },
    'the parent to compact the checkpointed SSTs away',
    async () => parentC.status(),
  );
  await assertReads(parentC, parentModel, 'parent after compaction');
  await parentC.close();
  // Only the clone's final checkpoint may pin them: drop the one cloned from and the compactor's own.
  const finalId = parentEntry.finalCheckpointId!.toString();
  for (const c of await listCheckpoints('dbs/parent', store)) {
    if (c.id !== finalId) await deleteCheckpoint('dbs/parent', store, c.id);
  }
  assert.deepEqual(
    (await listCheckpoints('dbs/parent', store)).map((c) => [c.id, c.expireTime]),
    [[finalId, undefined]],
  );
  const sharedPaths = parentEntry.sstIds.map((id) => compactedSstPath('dbs/parent', id));
  await collector(store, 'dbs/parent').runOnce();
  const afterGc = await paths(store, 'dbs/parent/compacted/');
  for (const p of sharedPaths)
    assert.ok(afterGc.includes(p), `${p} is pinned by the clone's final checkpoint`);
  await assertReads(clone, cloneModel, 'clone after the parent compacted and collected');
  await clone.close();

  // Control: without the final checkpoint, the same collection deletes what it pinned.
  await deleteCheckpoint('dbs/parent', store, finalId);
  await collector(store, 'dbs/parent').runOnce();
  const unpinned = await paths(store, 'dbs/parent/compacted/');
  assert.ok(
    sharedPaths.some((p) => !unpinned.includes(p)),
    'once unpinned, GC deletes SSTs the final checkpoint kept',
  );
});
