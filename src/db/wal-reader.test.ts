/**
 * WalReader tests over WAL SSTs written by ShaleDB: list (ranges, fences), rows in write order with every row kind
 * (values, tombstones, merge operands, TTLs) and their seqs and timestamps, metadata, missing files, corruption,
 * caller-owned bytes, and that reading never fences the writer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWalId, walSstPath } from '../format/object-paths.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { fromUtf8 } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';
import type { RowEntry } from './wal-files.js';
import { openWalReader, WalReader } from './wal-reader.js';
import { WriteBatch } from './write-batch.js';

const settings = { flushInterval: null, compactorOptions: null, garbageCollectorOptions: null } as const;
const concat = (_k: Uint8Array, existing: Uint8Array | undefined, ops: readonly Uint8Array[]) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...ops]);

function show(r: RowEntry): string {
  const v = r.value === undefined ? '-' : fromUtf8(r.value);
  return `${r.kind}:${fromUtf8(r.key)}=${v}@${r.seq}${r.expireTs === undefined ? '' : ' ttl'}`;
}

async function allRows(reader: WalReader): Promise<{ id: bigint; rows: RowEntry[] }[]> {
  const out: { id: bigint; rows: RowEntry[] }[] = [];
  for (const f of await reader.list()) {
    const rows: RowEntry[] = [];
    for await (const r of await f.iterator()) rows.push(r);
    out.push({ id: f.id, rows });
  }
  return out;
}

test('list and read: every row kind in write order (not key order), one WAL file per flush', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings, mergeOperator: concat });
  try {
    await db.put('k2', 'v2', { awaitDurable: false });
    await db.put('k1', 'v1', { awaitDurable: false, ttl: 60_000 });
    await db.flush();
    await db.delete('k2', { awaitDurable: false });
    await db.merge('m', 'a', { awaitDurable: false });
    await db.write(new WriteBatch().put('z', 'last').merge('m', 'b').delete('k1'), { awaitDurable: false });
    await db.flush();

    const reader = new WalReader('db', store);
    const files = await allRows(reader);
    const nonEmpty = files.filter((f) => f.rows.length > 0);
    assert.equal(nonEmpty.length, 2, 'two flushes, two WAL files with rows');
    assert.deepEqual(nonEmpty[0]!.rows.map(show), ['value:k2=v2@1', 'value:k1=v1@2 ttl']);
    // A batch's rows share one seq and are in key order (a batch holds one op per key, as in 0.12.1).
    assert.deepEqual(nonEmpty[1]!.rows.map(show), [
      'tombstone:k2=-@3',
      'merge:m=a@4',
      'tombstone:k1=-@5',
      'merge:m=b@5',
      'value:z=last@5',
    ]);
    const ttlRow = nonEmpty[0]!.rows[1]!;
    assert.ok(ttlRow.createTs !== undefined && ttlRow.expireTs === ttlRow.createTs + 60_000);
    for (const f of nonEmpty) for (const r of f.rows) assert.notEqual(r.createTs, undefined);
    // Ids ascend, and the files are exactly the WAL directory's.
    const ids = files.map((f) => f.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => (a < b ? -1 : 1)),
    );
    const listed: number[] = [];
    for await (const m of store.list('db/wal/')) listed.push(parseWalId(m.path)!);
    assert.deepEqual(
      ids.map(Number),
      listed.sort((a, b) => a - b),
    );
    // The writer's fence (written at open) is listed and reads as no rows.
    assert.equal(files[0]!.rows.length, 0);
    // Reading fenced nobody: the writer still writes.
    await db.put('after', 'x', { awaitDurable: false });
    await db.flush();
  } finally {
    await db.close();
  }
});

test('list(startId, endId): start inclusive, end exclusive, either omitted; get() and nextFile() do not check', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('p/q', store, { settings });
  for (let i = 0; i < 5; i++) {
    await db.put(`k${i}`, 'v', { awaitDurable: false });
    await db.flush();
  }
  await db.close();
  const reader = await openWalReader('/p/q/', store);
  const all = (await reader.list()).map((f) => Number(f.id));
  assert.ok(all.length >= 6);
  const [a, b] = [all[1]!, all[4]!];
  assert.deepEqual(
    (await reader.list(a, b)).map((f) => Number(f.id)),
    all.slice(1, 4),
  );
  assert.deepEqual(
    (await reader.list(BigInt(a))).map((f) => Number(f.id)),
    all.slice(1),
  );
  assert.deepEqual(
    (await reader.list(undefined, b)).map((f) => Number(f.id)),
    all.slice(0, 4),
  );
  assert.deepEqual(await reader.list(b, a), []);
  const f = reader.get(a);
  assert.equal(f.id, BigInt(a));
  assert.equal(f.nextId(), BigInt(a + 1));
  assert.equal(f.nextFile().id, BigInt(a + 1));
  assert.equal(f.location, walSstPath('p/q', a));
  // Beyond the end: the handle exists, its reads fail as data WAL_FILE_NOT_FOUND.
  const missing = reader.get(all[all.length - 1]! + 1);
  await assert.rejects(missing.iterator(), (e) => isShaleDBError(e, 'data', 'WAL_FILE_NOT_FOUND'));
  await assert.rejects(missing.metadata(), (e) => isShaleDBError(e, 'data', 'WAL_FILE_NOT_FOUND'));
  assert.throws(
    () => reader.get(-1),
    (e) => isShaleDBError(e, 'invalid'),
  );
  await assert.rejects(reader.list(1.5), (e) => isShaleDBError(e, 'invalid'));
  // A path without a database lists nothing.
  assert.deepEqual(await new WalReader('nothing-here', store).list(), []);
});

test('metadata: size and location of the object, last modified time', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  const before = Date.now();
  await db.put('k', 'v'.repeat(1000), { awaitDurable: false });
  await db.close();
  const reader = new WalReader('db', store);
  const files = await reader.list();
  const last = files[files.length - 1]!;
  const meta = await last.metadata();
  const head = await store.head(last.location);
  assert.equal(meta.location, last.location);
  assert.equal(meta.sizeBytes, head.size);
  assert.ok(meta.sizeBytes > 1000);
  assert.equal(meta.lastModifiedMs, head.lastModifiedMs);
  assert.ok(meta.lastModifiedMs >= before - 1000);
});

test('a corrupted WAL file is a data error, never a wrong row', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  await db.put('key', 'value-value-value', { awaitDurable: false });
  await db.close();
  const reader = new WalReader('db', store);
  const files = await reader.list();
  const last = files[files.length - 1]!;
  const bytes = new Uint8Array((await store.get(last.location)).bytes);
  // Flip one byte inside the first data block (the block starts at offset 0).
  bytes[6] = bytes[6]! ^ 0xff;
  await store.put(last.location, bytes);
  await assert.rejects(last.iterator(), (e) => isShaleDBError(e, 'data'));
});

test("rows are the caller's own copies", async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  await db.put('key', 'value', { awaitDurable: false });
  await db.close();
  const reader = new WalReader('db', store);
  const files = await reader.list();
  const f = files[files.length - 1]!;
  const first = (await (await f.iterator()).next())!;
  first.key.fill(0);
  first.value!.fill(0);
  const again = (await (await f.iterator()).next())!;
  assert.equal(fromUtf8(again.key), 'key');
  assert.equal(fromUtf8(again.value!), 'value');
});

test('WalReader.open with a URL owns its store; bad arguments are invalid', async () => {
  await assert.rejects(WalReader.open('db', 'nope://x'), (e) => isShaleDBError(e));
  assert.throws(
    () => new WalReader('db', 'memory:///' as never),
    (e) => isShaleDBError(e, 'invalid'),
  );
  const r = await WalReader.open('db', 'memory:///');
  assert.deepEqual(await r.list(), []);
  await r.close();
  const fromUrl = await WalReader.open('db', new URL('memory:///'));
  assert.deepEqual(await fromUrl.list(), [], 'a URL object is a store URL, as for Db.open');
  await fromUrl.close();
});
