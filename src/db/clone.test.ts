/**
 * createClone against hand-built database states on the memory store: the clone's manifests are byte for byte what
 * SlateDB 0.12.1's `create_clone` writes (each field written out here from 0.12.1's `Manifest::cloned`,
 * `init_clone_db` and `create_clone`, then encoded with the 0.12.1-identical codec), every external database gets
 * its final checkpoint, the WAL SSTs after `replayAfterWalId` are copied byte for byte, and re-runs are idempotent
 * and validated (different parent or checkpoint, a plain database, identical paths, missing parent or checkpoint,
 * a removed final checkpoint, a half-made clone that is finished by the re-run and refused by a writer meanwhile).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_SST_INFO } from '../../test/support/manifest-text.js';
import type { Checkpoint, CompactedSsTable, Manifest } from '../format/manifest.js';
import { newManifest } from '../format/manifest.js';
import { encodeManifest } from '../format/manifest-codec.js';
import { walSstPath } from '../format/object-paths.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { ManualClock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import { Ulid, Uuid } from '../util/ids.js';
import { SeededRand } from '../util/random.js';
import { createClone } from './clone.js';
import { Db } from './db.js';

const T0 = 1_704_067_200_000;

function sst(rand: SeededRand, ageMs: number, key: string): CompactedSsTable {
  const k = new TextEncoder().encode(key);
  return {
    id: Ulid.generate(T0 - ageMs, rand),
    info: { ...EMPTY_SST_INFO, firstEntry: k, lastEntry: k },
    formatVersion: 2,
  };
}

function checkpoint(id: Uuid, manifestId: number, expireTimeS = 0, name?: string): Checkpoint {
  return { id, manifestId, expireTimeS, createTimeS: T0 / 1000 - 10, name };
}

/** Writes `versions` as manifests 1..n of `root`. */
async function writeManifests(
  store: ObjectStore,
  root: string,
  versions: readonly Manifest[],
): Promise<void> {
  const ms = manifestStore(store, root);
  for (let i = 0; i < versions.length; i++) await ms.write(i + 1, versions[i]!);
}

async function manifestBytes(store: ObjectStore, root: string, id: number): Promise<Uint8Array> {
  return (await store.get(`${root}/manifest/${String(id).padStart(20, '0')}.manifest`)).bytes;
}

async function latest(store: ObjectStore, root: string): Promise<{ id: number; value: Manifest }> {
  const l = await manifestStore(store, root).tryReadLatest();
  assert.ok(l, `${root} has a manifest`);
  return l;
}

/**
 * A grandparent `gp`, and a parent `parent` that is itself a clone of `gp`, with sorted runs, L0s (some shared
 * with `gp`), WAL files, epochs, a sequence tracker and a checkpoint `cp` on manifest 2.
 */
async function fixture() {
  const clock = new ManualClock(T0);
  const store = new MemoryObjectStore({ clock });
  const r = new SeededRand(11);
  const gpSource = Uuid.v4(r);
  const gpFinal = Uuid.v4(r);
  const shared = [sst(r, 9_000, 'g1'), sst(r, 8_000, 'g2')];
  await writeManifests(store, 'gp', [
    { ...newManifest(), l0: shared },
    {
      ...newManifest(),
      l0: shared,
      checkpoints: [checkpoint(gpSource, 1, T0 / 1000 + 3600), checkpoint(gpFinal, 1)],
    },
  ]);
  const srA = [sst(r, 7_000, 'a'), sst(r, 6_900, 'b')];
  const srB = [sst(r, 7_500, 'c')];
  const l0 = [sst(r, 1_000, 'n'), shared[1]!, sst(r, 2_000, 'm')];
  const cpId = Uuid.v4(r);
  const body: Manifest = {
    ...newManifest(),
    externalDbs: [
      {
        path: 'gp',
        sourceCheckpointId: gpSource,
        finalCheckpointId: gpFinal,
        sstIds: shared.map((s) => s.id),
      },
    ],
    writerEpoch: 3,
    compactorEpoch: 2,
    replayAfterWalId: 4,
    walIdLastSeen: 7,
    l0LastCompacted: Ulid.generate(T0 - 5_000, r),
    l0,
    compacted: [
      { id: 5, ssts: srA },
      { id: 2, ssts: srB },
    ],
    lastL0ClockTick: 123_456n,
    lastL0Seq: 99,
    recentSnapshotMinSeq: 90,
    sequenceTracker: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  };
  await writeManifests(store, 'parent', [
    { ...body, checkpoints: [] },
    { ...body, checkpoints: [checkpoint(cpId, 2, 0, 'release')] },
    // Manifest 3 moved on: the clone must come from manifest 2, the checkpoint's.
    { ...body, l0: [], walIdLastSeen: 9, checkpoints: [checkpoint(cpId, 2, 0, 'release')] },
  ]);
  const wal = new Map<number, Uint8Array>();
  for (let id = 1; id <= 9; id++) {
    const bytes = new TextEncoder().encode(`wal ${id} of parent`);
    wal.set(id, bytes);
    await store.put(walSstPath('parent', id), bytes);
  }
  return { clock, store, body, cpId, gpSource, shared, srA, srB, l0, wal };
}

test("the clone's manifests are exactly what 0.12.1's create_clone writes, field by field", async () => {
  const f = await fixture();
  const seed = 5;
  await createClone('clone', 'parent', f.store, {
    parentCheckpoint: f.cpId.toString(),
    clock: f.clock,
    rand: new SeededRand(seed),
    retry: false,
  });

  // 0.12.1 draws one final checkpoint id per external database, the parent's own first, then the parent's.
  const draws = new SeededRand(seed);
  const gpFinal2 = Uuid.v4(draws);
  const parentFinal = Uuid.v4(draws);
  const expected1: Manifest = {
    externalDbs: [
      {
        path: 'gp',
        sourceCheckpointId: f.gpSource,
        finalCheckpointId: gpFinal2,
        sstIds: f.shared.map((s) => s.id),
      },
      {
        path: 'parent',
        sourceCheckpointId: f.cpId,
        finalCheckpointId: parentFinal,
        // Sorted runs in manifest order, then L0 newest first; the SST shared with gp is not the parent's.
        sstIds: [...f.srA, ...f.srB, f.l0[0]!, f.l0[2]!].map((s) => s.id),
      },
    ],
    initialized: false,
    writerEpoch: 3,
    compactorEpoch: 2,
    replayAfterWalId: 4,
    walIdLastSeen: 7,
    l0LastCompacted: f.body.l0LastCompacted,
    l0: f.l0,
    compacted: f.body.compacted,
    lastL0ClockTick: 123_456n,
    checkpoints: [],
    lastL0Seq: 99,
    walObjectStoreUri: undefined,
    recentSnapshotMinSeq: 90,
    sequenceTracker: f.body.sequenceTracker,
  };
  assert.deepEqual(await manifestBytes(f.store, 'clone', 1), encodeManifest(expected1));
  assert.deepEqual(
    await manifestBytes(f.store, 'clone', 2),
    encodeManifest({ ...expected1, initialized: true }),
  );
  assert.equal((await latest(f.store, 'clone')).id, 2);

  // Final checkpoints: no expiry, pinning the source checkpoint's manifest, on the parent and on the grandparent.
  const p = await latest(f.store, 'parent');
  assert.equal(p.id, 4);
  const pFinal = p.value.checkpoints.find((c) => c.id.equals(parentFinal));
  assert.deepEqual(
    pFinal && { m: pFinal.manifestId, e: pFinal.expireTimeS, c: pFinal.createTimeS, n: pFinal.name },
    {
      m: 2,
      e: 0,
      c: T0 / 1000,
      n: undefined,
    },
  );
  const g = await latest(f.store, 'gp');
  assert.equal(g.id, 3);
  const gFinal = g.value.checkpoints.find((c) => c.id.equals(gpFinal2));
  assert.deepEqual(gFinal && { m: gFinal.manifestId, e: gFinal.expireTimeS }, { m: 1, e: 0 });

  // WAL SSTs 5..7 (after replayAfterWalId, up to walIdLastSeen at the checkpoint) are copied byte for byte.
  const walIds: number[] = [];
  for await (const m of f.store.list('clone/wal/'))
    walIds.push(Number(m.path.slice('clone/wal/'.length, -4)));
  assert.deepEqual(
    walIds.sort((a, b) => a - b),
    [5, 6, 7],
  );
  for (const id of walIds)
    assert.deepEqual((await f.store.get(walSstPath('clone', id))).bytes, f.wal.get(id));

  // A re-run with the same parent (with or without the checkpoint) writes nothing.
  await createClone('clone', 'parent', f.store, { parentCheckpoint: f.cpId.toString(), clock: f.clock });
  await createClone('/clone/', '/parent', f.store, { clock: f.clock });
  assert.equal((await latest(f.store, 'clone')).id, 2);
  assert.equal((await latest(f.store, 'parent')).id, 4);
  assert.equal((await latest(f.store, 'gp')).id, 3);
});

test('without a checkpoint, the parent gets a 300 s checkpoint and the clone its latest state', async () => {
  const f = await fixture();
  await createClone('clone', 'parent', f.store, { clock: f.clock, rand: new SeededRand(1) });
  const p = await latest(f.store, 'parent');
  // Manifest 4 adds the 300 s checkpoint (pinning 4 itself); 5 adds the final one (pinning 4 too).
  assert.equal(p.id, 5);
  const added = p.value.checkpoints.filter((c) => !c.id.equals(f.cpId));
  assert.deepEqual(
    added.map((c) => [c.manifestId, c.expireTimeS === 0 ? 0 : c.expireTimeS - c.createTimeS]).sort(),
    [
      [4, 0],
      [4, 300],
    ],
  );
  const c = await latest(f.store, 'clone');
  assert.deepEqual(c.value.l0, []);
  assert.equal(c.value.walIdLastSeen, 9);
  const parentEntry = c.value.externalDbs[1]!;
  assert.ok(added.some((a) => a.expireTimeS !== 0 && a.id.equals(parentEntry.sourceCheckpointId)));
  assert.ok(added.some((a) => a.expireTimeS === 0 && a.id.equals(parentEntry.finalCheckpointId!)));
});

function assertFails(code: string, kind: string) {
  return (e: unknown) => isShaleDBError(e) && e.code === code && e.kind === kind;
}

test('re-runs are validated: other parent, other checkpoint, a plain database, identical paths', async () => {
  const f = await fixture();
  await createClone('clone', 'parent', f.store, { parentCheckpoint: f.cpId.toString(), clock: f.clock });
  const other = Uuid.v4(new SeededRand(99)).toString();
  await assert.rejects(
    createClone('clone', 'parent', f.store, { parentCheckpoint: other }),
    assertFails('CLONE_PARENT_MISMATCH', 'invalid'),
  );
  await assert.rejects(createClone('clone', 'gp', f.store), assertFails('CLONE_PARENT_MISMATCH', 'invalid'));
  // gp is a plain database, not a clone.
  await assert.rejects(createClone('gp', 'parent', f.store), assertFails('CLONE_PARENT_MISMATCH', 'invalid'));
  await assert.rejects(createClone('a/b', '/a/b/', f.store), assertFails('CLONE_PATHS_IDENTICAL', 'invalid'));
  await assert.rejects(createClone('x', 'missing', f.store), assertFails('MANIFEST_MISSING', 'data'));
  await assert.rejects(
    createClone('x', 'parent', f.store, { parentCheckpoint: other }),
    assertFails('CHECKPOINT_MISSING', 'data'),
  );
  await assert.rejects(
    createClone('x', 'parent', f.store, { parentCheckpoint: 'not-a-uuid' }),
    (e: unknown) => isShaleDBError(e, 'invalid'),
  );
  await assert.rejects(createClone('x', 'parent', f.store, { bogus: 1 } as never), (e: unknown) =>
    isShaleDBError(e, 'invalid'),
  );
  // Nothing was created by the failed calls.
  assert.equal(await manifestStore(f.store, 'x').tryReadLatest(), undefined);
});

test('a removed final checkpoint fails a re-run with CLONE_FINAL_CHECKPOINT_MISSING', async () => {
  const f = await fixture();
  await createClone('clone', 'parent', f.store, { parentCheckpoint: f.cpId.toString(), clock: f.clock });
  const ms = manifestStore(f.store, 'parent');
  const p = await latest(f.store, 'parent');
  const final = (await latest(f.store, 'clone')).value.externalDbs[1]!.finalCheckpointId!;
  await ms.write(p.id + 1, {
    ...p.value,
    checkpoints: p.value.checkpoints.filter((c) => !c.id.equals(final)),
  });
  await assert.rejects(
    createClone('clone', 'parent', f.store, { clock: f.clock }),
    assertFails('CLONE_FINAL_CHECKPOINT_MISSING', 'data'),
  );
});

test('a clone whose WAL copy failed is refused by a writer and finished by a re-run', async () => {
  const f = await fixture();
  // WAL 6 is missing: the copy fails after manifest 1 and the final checkpoints were written.
  const wal6 = f.wal.get(6)!;
  await f.store.delete(walSstPath('parent', 6));
  await assert.rejects(
    createClone('clone', 'parent', f.store, {
      parentCheckpoint: f.cpId.toString(),
      clock: f.clock,
      retry: false,
    }),
  );
  const half = await latest(f.store, 'clone');
  assert.equal(half.id, 1);
  assert.equal(half.value.initialized, false);
  await assert.rejects(
    Db.open('clone', f.store, { settings: { compactorOptions: null, garbageCollectorOptions: null } }),
    assertFails('INVALID_DB_STATE', 'data'),
  );
  // Another parent cannot take over the half-made clone.
  await assert.rejects(createClone('clone', 'gp', f.store), assertFails('CLONE_PARENT_MISMATCH', 'invalid'));
  await f.store.put(walSstPath('parent', 6), wal6);
  const parentBefore = (await latest(f.store, 'parent')).id;
  await createClone('clone', 'parent', f.store, { parentCheckpoint: f.cpId.toString(), clock: f.clock });
  const done = await latest(f.store, 'clone');
  assert.equal(done.id, 2);
  assert.equal(done.value.initialized, true);
  // The final checkpoints were already there: the parent is not written again.
  assert.equal((await latest(f.store, 'parent')).id, parentBefore);
  assert.deepEqual((await f.store.get(walSstPath('clone', 6))).bytes, wal6);
});
