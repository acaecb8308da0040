/**
 * Option validation and the options added with it: unknown option keys are 'invalid' errors naming the key
 * (open, writes, reads, scans, scan bounds, flush), scans take a `limit`, a URL object opens a database, a
 * relative `file:` URL is refused, and Db, iterators and snapshots close through `Symbol.asyncDispose`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { fromUtf8 } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';
import { WriteBatch } from './write-batch.js';

const settings = { compactorOptions: null, garbageCollectorOptions: null } as const;

function unknownKey(key: string) {
  return (e: unknown) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT') && e.message.includes(JSON.stringify(key));
}

async function keys(it: AsyncIterable<{ key: Uint8Array }>): Promise<string[]> {
  const out: string[] = [];
  for await (const kv of it) out.push(fromUtf8(kv.key));
  return out;
}

test('unknown option keys are invalid errors naming the key', async () => {
  const store = new MemoryObjectStore();
  await assert.rejects(
    Db.open('db', store, { settings, mergeOperater: () => new Uint8Array() } as never),
    unknownKey('mergeOperater'),
  );
  const db = await Db.open('db', store, { settings });
  try {
    const any = db as unknown as Record<string, (...a: unknown[]) => unknown>;
    await assert.rejects(db.put('a', '1', { sync: true } as never), unknownKey('sync'));
    await assert.rejects(db.delete('a', { ttl: 5 } as never), unknownKey('ttl'));
    await assert.rejects(db.write(new WriteBatch().put('a', '1'), { ttl: 5 } as never), unknownKey('ttl'));
    await assert.rejects(db.merge('a', '1', { await: false } as never), unknownKey('await'));
    await assert.rejects(db.get('a', { fillCache: false } as never), unknownKey('fillCache'));
    await assert.rejects(db.getMany(['a'], { snapshot: 1 } as never), unknownKey('snapshot'));
    assert.throws(() => any['scan']!({ reverse: true, limit: 1 }), unknownKey('reverse'));
    assert.throws(() => db.scan({}, { reverse: true } as never), unknownKey('reverse'));
    assert.throws(() => db.scanPrefix('a', { lt: 'b' } as never), unknownKey('lt'));
    await assert.rejects(db.flush({ kind: 'wal' } as never), unknownKey('kind'));
    // Known keys still work, and nothing was written by the refused calls.
    await db.put('a', '1', { awaitDurable: true, ttl: 'noExpiry' });
    await db.delete('b', { awaitDurable: true });
    assert.deepEqual(await keys(db.scan({}, { order: 'desc', durabilityFilter: 'memory', dirty: false })), [
      'a',
    ]);
  } finally {
    await db.close();
  }
});

test('scan limit: at most `limit` key-values in either order, on the db and on snapshots', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings });
  try {
    const batch = new WriteBatch();
    for (const k of ['a', 'b', 'c', 'd', 'e']) batch.put(k, k);
    await db.write(batch);
    await db.delete('b');
    assert.deepEqual(await keys(db.scan({}, { limit: 2 })), ['a', 'c']);
    assert.deepEqual(await keys(db.scan({ lt: 'e' }, { limit: 2, order: 'desc' })), ['d', 'c']);
    assert.deepEqual(await keys(db.scan({}, { limit: 0 })), []);
    assert.deepEqual(await keys(db.scan({}, { limit: 10 })), ['a', 'c', 'd', 'e']);
    assert.deepEqual(await keys(db.scanPrefix('d', { limit: 1 })), ['d']);
    const it = db.scan({}, { limit: 3 });
    assert.equal(fromUtf8((await it.next())!.key), 'a');
    assert.deepEqual(
      (await it.nextBatch(10)).map((kv) => fromUtf8(kv.key)),
      ['c', 'd'],
    );
    assert.equal(await it.next(), undefined);
    it.close();
    const snap = await db.snapshot();
    await db.put('f', 'f');
    assert.deepEqual(await keys(snap.scan({}, { limit: 2, order: 'desc' })), ['e', 'd']);
    snap.close();
    for (const bad of [-1, 1.5, Number.NaN, '2']) {
      assert.throws(
        () => db.scan({}, { limit: bad as number }),
        (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT') && /limit/.test(e.message),
      );
    }
  } finally {
    await db.close();
  }
});

test('a URL object opens a database; a relative file: URL is refused, never written at the root', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shaledb-url-'));
  try {
    const db = await Db.open('db', pathToFileURL(dir), { settings });
    await db.put('k', 'v');
    await db.close();
    assert.ok(readdirSync(join(dir, 'db')).length > 0, 'the database is under the given directory');
    const rel = `file:shaledb-relative-${process.pid}/x`;
    await assert.rejects(
      Db.open('db', rel, { settings }),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT') && e.message.includes('relative file URL'),
    );
    assert.ok(!readdirSync('/').includes(`shaledb-relative-${process.pid}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Symbol.asyncDispose closes the Db, iterators and snapshots', async () => {
  const store = new MemoryObjectStore();
  let leakedIt: ReturnType<Db['scan']> | undefined;
  let leakedSnap: Awaited<ReturnType<Db['snapshot']>> | undefined;
  let leakedDb: Db | undefined;
  {
    const db = await Db.open('db', store, { settings });
    leakedDb = db;
    await db.put('a', '1');
    const it = db.scan();
    leakedIt = it;
    await it[Symbol.asyncDispose]();
    const snap = await db.snapshot();
    leakedSnap = snap;
    await snap[Symbol.asyncDispose]();
    await db[Symbol.asyncDispose]();
  }
  await assert.rejects(leakedIt!.next(), (e) => isShaleDBError(e, 'closed'));
  await assert.rejects(leakedSnap!.get('a'), (e) => isShaleDBError(e, 'closed'));
  await assert.rejects(leakedDb!.get('a'), (e) => isShaleDBError(e, 'closed'));
  const again = await Db.open('db', store, { settings });
  assert.equal(fromUtf8((await again.get('a'))!), '1');
  await again.close();
});
