/**
 * LocalObjectStore and the real SlateDB 0.12.1 (`@slatedb/uniffi`) on one `file://` directory:
 * 1. SlateDB writes a database (WAL SSTs, an L0 flush, manifests, compactor state); our store lists exactly the
 *    files on disk (names, sizes, Rust-format etags), reads each one byte for byte, and its create-if-absent on
 *    SlateDB's first manifest fails with AlreadyExists, leaving the file unchanged;
 * 2. while SlateDB keeps writing, our store lists and reads its objects again and again (every listed object
 *    reads whole) and runs its own creates and compare-and-swaps beside them;
 * 3. after our store has published objects beside SlateDB's, and left staging and lock names of the kind a
 *    crashed writer leaves (for manifest and WAL ids above SlateDB's own), SlateDB reopens the database, reads
 *    every value, writes more and closes: our names stay invisible to it.
 * The oracle package is a devDependency: if it cannot load, this suite fails (it never skips).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, it } from 'node:test';
import type * as Slate from '@slatedb/uniffi';
import { decodeSegment, isHiddenFileName } from '../../src/object-store/local-paths.js';
import { LocalObjectStore } from '../../src/object-store/local-store.js';
import { bytesOf, collect, rejectsWith, textOf } from '../support/object-store-contract-basic.js';

let slate: typeof Slate;
try {
  slate = await import('@slatedb/uniffi');
} catch (e) {
  throw new Error(`@slatedb/uniffi@0.12.1 could not be loaded, so this suite cannot run (it never skips): ${e}
Install: npm ci`);
}

const root = fs.mkdtempSync(join(tmpdir(), 'shaledb-slatedb-interop-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const ours = new LocalObjectStore(root);

function key(i: number): Uint8Array {
  return bytesOf(`key-${String(i).padStart(5, '0')}`);
}
function value(i: number, round: number): Uint8Array {
  return bytesOf(`value-${i}-round-${round}-${'x'.repeat(i % 50)}`);
}

async function openSlate(): Promise<Slate.Db> {
  const settings = slate.Settings.default();
  settings.set('flush_interval', '"10ms"');
  settings.set('garbage_collector_options', 'null');
  const builder = new slate.DbBuilder('db', slate.ObjectStore.resolve(`file://${root}`));
  try {
    builder.with_settings(settings);
    return await builder.build();
  } finally {
    builder.dispose();
    settings.dispose();
  }
}

/** Puts keys [from, to) concurrently (SlateDB groups them into few WAL writes). */
async function putRange(db: Slate.Db, from: number, to: number, round: number): Promise<void> {
  const writes: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) writes.push(db.put(key(i), value(i, round)));
  await Promise.all(writes);
}

async function closeSlate(db: Slate.Db): Promise<void> {
  await db.shutdown();
  db.dispose();
}

/** Every regular file under `dir` that Rust's listing would report, as object paths relative to `root`. */
function filesOnDisk(dir: string): Map<string, fs.BigIntStats> {
  const out = new Map<string, fs.BigIntStats>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !isHiddenFileName(e.name)) {
        const path = relative(root, p).split('/').map(decodeSegment).join('/');
        out.set(path, fs.statSync(p, { bigint: true }));
      }
    }
  };
  walk(dir);
  return out;
}

it('our store lists and reads everything SlateDB wrote, and cannot re-create its manifest', async () => {
  const db = await openSlate();
  await putRange(db, 0, 300, 0);
  await db.flush_with_options({ flush_type: slate.FlushType.MemTable });
  await putRange(db, 300, 400, 0);
  await closeSlate(db);

  const listed = await collect(ours.list('db/'));
  const disk = filesOnDisk(join(root, 'db'));
  assert.deepEqual(
    listed.map((m) => m.path),
    [...disk.keys()].sort(),
  );
  const dirs = new Set(listed.map((m) => m.path.split('/')[1]));
  for (const d of ['manifest', 'wal', 'compacted', 'compactions'])
    assert.ok(dirs.has(d), `SlateDB wrote ${d}/`);
  for (const m of listed) {
    const st = disk.get(m.path)!;
    assert.equal(m.size, Number(st.size));
    assert.equal(
      m.etag,
      `${st.ino.toString(16)}-${(st.mtimeNs / 1000n).toString(16)}-${st.size.toString(16)}`,
    );
    const g = await ours.get(m.path);
    assert.ok(
      Buffer.from(g.bytes).equals(fs.readFileSync(join(root, m.path))),
      `${m.path} reads byte for byte`,
    );
  }
  const first = 'db/manifest/00000000000000000001.manifest';
  const before = fs.readFileSync(join(root, first));
  await rejectsWith(ours.put(first, bytesOf('not a manifest'), { mode: 'create' }), 'already-exists');
  assert.ok(fs.readFileSync(join(root, first)).equals(before));
});

it('while SlateDB writes, every object our store lists reads whole, and our own writes proceed beside it', async () => {
  const db = await openSlate();
  let writing = true;
  const writer = (async () => {
    for (let round = 1; writing && round < 200; round++) {
      await putRange(db, 0, 50, round);
      if (round % 5 === 0) await db.flush_with_options({ flush_type: slate.FlushType.MemTable });
    }
  })();
  await ours.put('db/shaledb/counter', bytesOf('0'));
  let reads = 0;
  for (let pass = 0; pass < 10; pass++) {
    for (const m of await collect(ours.list('db/'))) {
      const g = await ours.get(m.path);
      assert.ok(
        g.bytes.length > 0 || m.path.startsWith('db/shaledb/'),
        `${m.path} is never seen half-written`,
      );
      reads++;
    }
    const c = await ours.get('db/shaledb/counter');
    await ours.put('db/shaledb/counter', bytesOf(String(Number(textOf(c.bytes)) + 1)), {
      mode: { ifMatch: c.meta.etag! },
    });
    await ours.put(`db/shaledb/created-${pass}`, bytesOf(`pass ${pass}`), { mode: 'create' });
  }
  writing = false;
  await writer;
  await closeSlate(db);
  assert.ok(reads > 50, `${reads} objects read during the writes`);
  assert.equal(textOf((await ours.get('db/shaledb/counter')).bytes), '10');
});

it('SlateDB reopens, reads and writes after our store published beside it and left staging and lock names', async () => {
  const manifests = (await collect(ours.list('db/manifest/'))).map((m) => m.path);
  const wals = (await collect(ours.list('db/wal/'))).map((m) => m.path);
  const lastManifest = Number(/(\d+)\.manifest$/.exec(manifests.at(-1)!)![1]);
  const lastWal = Number(/(\d+)\.sst$/.exec(wals.at(-1)!)![1]);
  const pad = (n: number): string => String(n).padStart(20, '0');
  // Names a crashed ShaleDB writer could leave: staging files and a lock, for ids above SlateDB's own.
  const leftovers = [
    `db/manifest/${pad(lastManifest + 5)}.manifest#31415926535897`,
    `db/manifest/${pad(lastManifest)}.manifest#0`,
    `db/wal/${pad(lastWal + 7)}.sst#27182818284590`,
    `db/wal/${pad(lastWal + 8)}.sst#0`,
    `db/compacted/01ARZ3NDEKTSV4RRFFQ69G5FAV.sst#16180339887498`,
  ];
  for (const l of leftovers) fs.writeFileSync(join(root, l), 'garbage that must stay invisible');
  await ours.put('db/shaledb/published.bin', bytesOf('ours'));
  await ours.putStream(
    'db/shaledb/streamed.bin',
    (async function* () {
      yield bytesOf('streamed');
    })(),
  );

  const db = await openSlate();
  for (let i = 0; i < 400; i++) {
    const got = await db.get(key(i));
    assert.ok(got !== undefined, `key ${i} is readable`);
  }
  await putRange(db, 0, 50, 999);
  await db.flush_with_options({ flush_type: slate.FlushType.MemTable });
  assert.deepEqual(Buffer.from((await db.get(key(7)))!), Buffer.from(value(7, 999)));
  await closeSlate(db);

  for (const l of leftovers)
    assert.equal(fs.readFileSync(join(root, l), 'utf8'), 'garbage that must stay invisible');
  assert.equal(textOf((await ours.get('db/shaledb/published.bin')).bytes), 'ours');
  const listed = (await collect(ours.list('db/'))).map((m) => m.path);
  for (const l of leftovers) assert.ok(!listed.includes(l));
  const newManifests = (await collect(ours.list('db/manifest/'))).map((m) => m.path);
  assert.ok(newManifests.length > manifests.length, 'SlateDB wrote new manifests');
});
