/**
 * Clone interop with the real SlateDB 0.12.1 (@slatedb/uniffi, in a child process) on one `file://` directory:
 * - SlateDB writes a parent (L0s and WAL-only writes); ShaleDB's createClone clones it; SlateDB opens the clone as
 *   a writer, reads everything, writes more and compacts the SSTs the clone shares with the parent (reading them
 *   from the parent's path); the manifest SlateDB then writes re-encodes byte for byte with ShaleDB's codec and keeps
 *   the external databases; ShaleDB reads the result (reader and writer), and neither engine's clone writes reached
 *   the parent;
 * - ShaleDB writes a parent, clones it at a checkpoint (later parent writes must not show), writes and compacts the
 *   clone; SlateDB's writer reads exactly the expected state at each step, and so does its reader once no SST is
 *   shared any more (0.12.1's DbReader does not resolve external SSTs: it fails on a clone that shares SSTs).
 * The other direction, ShaleDB opening a clone made by SlateDB, cannot be produced here: the 0.12.1 binding has no
 * clone (admin) API. src/db/clone.test.ts checks instead that ShaleDB writes the very bytes 0.12.1's create_clone
 * writes.
 * Method: visible key/value maps compared whole; seeded random puts and deletes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClone } from '../../src/db/clone.js';
import { DbReader } from '../../src/db/db-reader.js';
import { type Manifest, referencedSstIds } from '../../src/format/manifest.js';
import { decodeManifest, encodeManifest } from '../../src/format/manifest-codec.js';
import { Db } from '../../src/open/open.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { SeededRand, testSeed } from '../../src/util/random.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { requireOracle } from '../support/slatedb-oracle.js';
import { RemoteOracle } from '../support/slatedb-remote.js';
import type { WorkloadOp } from '../support/slatedb-workload.js';
import { INTEROP_WAIT, waitFor } from '../support/wait.js';

type Model = Map<string, string>;

const QUIET = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

/** A batch of `n` random puts and deletes (keys k000..k149), applied to `model`. */
function batch(rand: SeededRand, model: Model, n: number, tag: string): WorkloadOp[] {
  const ops: WorkloadOp[] = [];
  for (let i = 0; i < n; i++) {
    const k = `k${String(rand.nextInt(150)).padStart(3, '0')}`;
    if (rand.nextInt(6) === 0) {
      ops.push({ type: 'delete', key: utf8(k) });
      model.delete(k);
    } else {
      const v = `${tag}-${i}-${'x'.repeat(rand.nextInt(30))}`;
      ops.push({ type: 'put', key: utf8(k), value: utf8(v) });
      model.set(k, v);
    }
  }
  return ops;
}

/** Applies `ops` to a ShaleDB database. */
async function shaleWrite(db: Db, ops: readonly WorkloadOp[]): Promise<void> {
  for (const o of ops) {
    if (o.type === 'delete') await db.delete(o.key, { awaitDurable: false });
    else if (o.type === 'put') await db.put(o.key, o.value, { awaitDurable: false });
  }
  await db.flush();
}

function sorted(model: Model): [string, string][] {
  return [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

async function shaleRows(db: { scan(): AsyncIterable<{ key: Uint8Array; value: Uint8Array }> }) {
  const out: [string, string][] = [];
  for await (const kv of db.scan()) out.push([fromUtf8(kv.key), fromUtf8(kv.value)]);
  return out;
}

function rowsOf(rows: ReadonlyArray<{ key: Uint8Array; value: Uint8Array }>): [string, string][] {
  return rows.map((r) => [fromUtf8(r.key), fromUtf8(r.value)]);
}

/** The latest manifest of `dir/path`, decoded, with its bytes. */
function latestManifest(dir: string, path: string): { id: number; bytes: Uint8Array; value: Manifest } {
  const mdir = join(dir, path, 'manifest');
  const ids = readdirSync(mdir)
    .filter((n) => /^\d{20}\.manifest$/.test(n))
    .map((n) => Number(n.slice(0, 20)));
  const id = Math.max(...ids);
  const bytes = new Uint8Array(readFileSync(join(mdir, `${String(id).padStart(20, '0')}.manifest`)));
  return { id, bytes, value: decodeManifest(bytes) };
}

function files(dir: string, sub: string): string[] {
  try {
    return readdirSync(join(dir, sub)).sort();
  } catch {
    return [];
  }
}

/** Opens SlateDB's writer on the clone, checks its scan against `model`, and shuts it down. */
async function slateCheck(dir: string, model: Model, what: string): Promise<void> {
  const slate = await RemoteOracle.open({ dir, path: 'clone' });
  try {
    assert.deepEqual(rowsOf(await slate.scan()), sorted(model), what);
  } finally {
    await slate.close('shutdown');
  }
}

test('SlateDB writes the parent, ShaleDB clones it, SlateDB writes and compacts the clone, ShaleDB reads it', async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  await withTempDir(async (dir) => {
    const url = `file://${dir}`;
    const parentModel: Model = new Map();
    const slateParent = await RemoteOracle.open({ dir, path: 'parent' });
    try {
      for (let r = 0; r < 4; r++) {
        await slateParent.write(batch(rand, parentModel, 30, `sp${r}`));
        await slateParent.flushMemtable();
      }
      // WAL only: reaches the clone through the WAL SSTs createClone copies.
      await slateParent.write(batch(rand, parentModel, 20, 'sp-wal'));
    } finally {
      await slateParent.close('shutdown');
    }
    const parentFiles = files(dir, 'parent/compacted');

    await createClone('clone', 'parent', url);
    const ours = latestManifest(dir, 'clone');
    assert.equal(ours.value.initialized, true);
    const parentOwned = new Set(ours.value.externalDbs.at(-1)!.sstIds.map((id) => id.toString()));
    assert.equal(parentOwned.size, 4);
    assert.ok(files(dir, 'clone/wal').length > 0, 'the WAL-only writes were copied');

    const cloneModel: Model = new Map(parentModel);
    const slateClone = await RemoteOracle.open({ dir, path: 'clone', compactor: { pollInterval: '100ms' } });
    try {
      assert.deepEqual(rowsOf(await slateClone.scan()), sorted(cloneModel), 'SlateDB reads the new clone');
      for (let r = 0; r < 2; r++) {
        await slateClone.write(batch(rand, cloneModel, 30, `sc${r}`));
        await slateClone.flushMemtable();
      }
      // SlateDB's compactor reads the shared SSTs from the parent's path and writes its run under the clone's.
      await waitFor(
        () => {
          const m = latestManifest(dir, 'clone').value;
          return m.compacted.length > 0 && referencedSstIds(m).every((id) => !parentOwned.has(id.toString()));
        },
        "SlateDB to compact the clone's shared SSTs",
        INTEROP_WAIT,
      );
      await slateClone.write(batch(rand, cloneModel, 15, 'sc-wal'));
      assert.deepEqual(
        rowsOf(await slateClone.scan()),
        sorted(cloneModel),
        'SlateDB reads its compacted clone',
      );
    } finally {
      await slateClone.close('shutdown');
    }

    // SlateDB rewrote the clone's manifest: ShaleDB's codec gives the same bytes, and the external databases stand.
    const theirs = latestManifest(dir, 'clone');
    assert.ok(theirs.id > ours.id);
    assert.deepEqual(encodeManifest(theirs.value), theirs.bytes);
    assert.deepEqual(theirs.value.externalDbs, ours.value.externalDbs);
    assert.deepEqual(
      files(dir, 'parent/compacted'),
      parentFiles,
      "the clone's compaction wrote nothing there",
    );

    const reader = await DbReader.open('clone', url);
    assert.deepEqual(
      await shaleRows(reader),
      sorted(cloneModel),
      'a ShaleDB reader reads the SlateDB-written clone',
    );
    await reader.close();
    const db = await Db.open('clone', url, { settings: QUIET });
    assert.deepEqual(await shaleRows(db), sorted(cloneModel), 'a ShaleDB writer reads it too');
    await shaleWrite(db, batch(rand, cloneModel, 10, 'shale'));
    assert.deepEqual(await shaleRows(db), sorted(cloneModel));
    await db.close();

    assert.deepEqual(
      sorted(await RemoteOracle.readAll(dir, 'parent')),
      sorted(parentModel),
      'the parent never saw the clone',
    );
  });
});

test('ShaleDB writes a parent and clones it at a checkpoint; SlateDB reads the clone', async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  await withTempDir(async (dir) => {
    const url = `file://${dir}`;
    const parentModel: Model = new Map();
    const parent = await Db.open('parent', url, { settings: QUIET });
    for (let r = 0; r < 3; r++) {
      await shaleWrite(parent, batch(rand, parentModel, 30, `p${r}`));
      await parent.flush({ type: 'memtable' });
    }
    await shaleWrite(parent, batch(rand, parentModel, 20, 'p-wal'));
    const cp = await parent.createCheckpoint({ scope: 'all' });
    const atCheckpoint = new Map(parentModel);
    await shaleWrite(parent, batch(rand, parentModel, 30, 'p-after'));
    await parent.flush({ type: 'memtable' });
    await shaleWrite(parent, batch(rand, parentModel, 10, 'p-after-wal'));
    await parent.close();

    await createClone('clone', 'parent', url, { parentCheckpoint: cp.id });
    const parentOwned = new Set(
      latestManifest(dir, 'clone')
        .value.externalDbs.at(-1)!
        .sstIds.map((id) => id.toString()),
    );
    // 0.12.1's DbReader resolves every SST under the clone's own path (its table store has no external SSTs), so it
    // cannot read a clone that still shares SSTs; its writer can.
    await assert.rejects(RemoteOracle.readAll(dir, 'clone'), /clone\/compacted\/.*not found/);
    const cloneModel: Model = new Map(atCheckpoint);
    await slateCheck(dir, cloneModel, "SlateDB's writer sees the parent at the checkpoint");

    // ShaleDB writes the clone: flushed L0s (under the clone) and WAL-only writes.
    let clone = await Db.open('clone', url, { settings: QUIET });
    for (let r = 0; r < 2; r++) {
      await shaleWrite(clone, batch(rand, cloneModel, 30, `c${r}`));
      await clone.flush({ type: 'memtable' });
    }
    await shaleWrite(clone, batch(rand, cloneModel, 15, 'c-wal'));
    await clone.close();
    await slateCheck(dir, cloneModel, "SlateDB's writer reads ShaleDB's clone writes");

    // ShaleDB compacts the shared SSTs away; now SlateDB's reader can read the clone too.
    clone = await Db.open('clone', url, {
      settings: { ...QUIET, compactorOptions: { pollInterval: '50ms', schedulerOptions: {} } },
    });
    await waitFor(
      () => {
        const m = latestManifest(dir, 'clone').value;
        return m.compacted.length > 0 && referencedSstIds(m).every((id) => !parentOwned.has(id.toString()));
      },
      "ShaleDB to compact the clone's shared SSTs",
      INTEROP_WAIT,
    );
    await clone.close();
    assert.deepEqual(
      sorted(await RemoteOracle.readAll(dir, 'clone')),
      sorted(cloneModel),
      'after compaction',
    );

    const slateClone = await RemoteOracle.open({ dir, path: 'clone' });
    try {
      assert.deepEqual(
        rowsOf(await slateClone.scan()),
        sorted(cloneModel),
        "SlateDB's writer reads the clone",
      );
      await slateClone.write(batch(rand, cloneModel, 10, 'slate'));
    } finally {
      await slateClone.close('shutdown');
    }
    const reader = await DbReader.open('clone', url);
    assert.deepEqual(await shaleRows(reader), sorted(cloneModel), 'ShaleDB reads what SlateDB wrote last');
    await reader.close();
    assert.deepEqual(
      sorted(await RemoteOracle.readAll(dir, 'parent')),
      sorted(parentModel),
      'parent unchanged',
    );
  });
});
