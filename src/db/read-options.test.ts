/**
 * Read options and read calls that had no behavioural test: durabilityFilter ('memory' vs 'remote'), dirty, the Db
 * iterator's seek (both orders, in and out of range), scanPrefix with an empty prefix (the whole keyspace, as in
 * 0.12.1), Snapshot.scanPrefix, and the createTs of WriteHandle.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';
import type { DbIterator } from './db-iterator.js';
import { WriteBatch } from './write-batch.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

async function rows(it: DbIterator): Promise<string[]> {
  const out: string[] = [];
  for (let kv = await it.next(); kv !== undefined; kv = await it.next())
    out.push(`${fromUtf8(kv.key)}=${fromUtf8(kv.value)}`);
  it.close();
  return out;
}

const str = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : fromUtf8(v));

test("durabilityFilter 'remote' sees only writes durable in object storage; 'memory' (the default) sees all", async () => {
  // No flush timer: the WAL is written only by flush(), so un-durable writes stay un-durable.
  const db = await Db.open('db', new MemoryObjectStore(), { settings: { ...settings, flushInterval: null } });
  try {
    const remote = { durabilityFilter: 'remote' } as const;
    const memory = { durabilityFilter: 'memory' } as const;
    await db.put('a', 'old', { awaitDurable: false });
    await db.flush();
    await db.put('a', 'new', { awaitDurable: false });
    await db.put('b', 'fresh', { awaitDurable: false });
    assert.ok(db.status().durableSeq < db.status().lastCommittedSeq);
    for (const o of [undefined, memory]) {
      assert.equal(str(await db.get('a', o)), 'new');
      assert.equal(str(await db.get('b', o)), 'fresh');
      assert.deepEqual(await rows(db.scan(undefined, o)), ['a=new', 'b=fresh']);
    }
    assert.equal(str(await db.get('a', remote)), 'old');
    assert.equal(await db.get('b', remote), undefined);
    assert.equal(db.getSync('b', remote), undefined);
    assert.deepEqual((await db.getMany(['a', 'b'], remote)).map(str), ['old', undefined]);
    assert.equal((await db.getKeyValue('a', remote))!.seq, 1n);
    assert.deepEqual(await rows(db.scan(undefined, remote)), ['a=old']);
    assert.deepEqual(await rows(db.scan({ gte: 'a' }, { ...remote, order: 'desc' })), ['a=old']);
    assert.deepEqual(await rows(db.scanPrefix('b', remote)), []);
    const snap = await db.snapshot();
    assert.equal(str(await snap.get('a', remote)), 'old');
    assert.equal(str(await snap.get('a')), 'new');
    // Once the WAL is written, 'remote' sees everything.
    await db.flush();
    assert.equal(str(await db.get('a', remote)), 'new');
    assert.deepEqual(await rows(db.scan(undefined, remote)), ['a=new', 'b=fresh']);
    // A snapshot still caps at its own seq.
    await db.put('a', 'newer', { awaitDurable: false });
    await db.flush();
    assert.equal(str(await snap.get('a', remote)), 'new');
    snap.close();
    assert.throws(
      () => db.scan(undefined, { durabilityFilter: 'disk' as 'remote' }),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
    );
  } finally {
    await db.close();
  }
});

test('dirty reads also see rows whose seq is handed out but not yet committed', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings });
  try {
    await db.put('a', '1');
    // A write in progress, as 0.12.1's dirty option exists for: its seq is taken and its row is in the memtable,
    // but the seq is not committed yet.
    db.inner.insertUncommittedForTest((seq) => [
      {
        key: utf8('b'),
        value: utf8('pending'),
        seq,
        kind: 'value',
        createTs: Date.now(),
        expireTs: undefined,
      },
    ]);
    assert.equal(await db.get('b'), undefined);
    assert.equal(await db.get('b', { dirty: false }), undefined);
    assert.equal(str(await db.get('b', { dirty: true })), 'pending');
    assert.equal(str(db.getSync('b', { dirty: true })), 'pending');
    assert.deepEqual(await rows(db.scan()), ['a=1']);
    assert.deepEqual(await rows(db.scan(undefined, { dirty: true })), ['a=1', 'b=pending']);
    assert.deepEqual(await rows(db.scanPrefix('b', { dirty: true, order: 'desc' })), ['b=pending']);
    // durabilityFilter still applies on top of dirty.
    assert.equal(await db.get('b', { dirty: true, durabilityFilter: 'remote' }), undefined);
    assert.throws(
      () => db.getSync('b', { dirty: 'yes' as unknown as boolean }),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
    );
  } finally {
    await db.close();
  }
});

test('Db iterator seek, ascending and descending, from the memtable and from SSTs; out-of-range seeks are invalid', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings });
  try {
    for (const k of ['a', 'b', 'c', 'e', 'f', 'g']) await db.put(k, k.toUpperCase(), { awaitDurable: false });
    for (const where of ['memtable', 'sst']) {
      if (where === 'sst') await db.flush({ type: 'memtable' });
      // Ascending over [b, f).
      let it = db.scan({ gte: 'b', lt: 'f' });
      assert.equal(fromUtf8((await it.next())!.key), 'b', where);
      await it.seek('d'); // absent: lands on the next key
      assert.deepEqual(await rows(it), ['e=E'], where);
      it = db.scan({ gte: 'b', lt: 'f' });
      await it.seek('b');
      assert.deepEqual(await rows(it), ['b=B', 'c=C', 'e=E'], where);
      it = db.scan({ gte: 'b', lt: 'f' });
      for (const k of ['a', 'f', 'g']) {
        await assert.rejects(
          it.seek(k),
          (e) => isShaleDBError(e, 'invalid', 'SEEK_KEY_OUT_OF_RANGE'),
          `${where} ${k}`,
        );
      }
      await it.next();
      await it.next(); // returned c
      await assert.rejects(it.seek('c'), (e) => isShaleDBError(e, 'invalid', 'SEEK_KEY_BEHIND'), where);
      await it.seek('e');
      assert.deepEqual(await rows(it), ['e=E'], where);
      // Descending over (b, f].
      it = db.scan({ gt: 'b', lte: 'f' }, { order: 'desc' });
      assert.equal(fromUtf8((await it.next())!.key), 'f', where);
      await it.seek('d');
      assert.deepEqual(await rows(it), ['c=C'], where);
      it = db.scan({ gt: 'b', lte: 'f' }, { order: 'desc' });
      await it.seek('f');
      assert.deepEqual(await rows(it), ['f=F', 'e=E', 'c=C'], where);
      it = db.scan({ gt: 'b', lte: 'f' }, { order: 'desc' });
      for (const k of ['a', 'b', 'g']) {
        await assert.rejects(
          it.seek(k),
          (e) => isShaleDBError(e, 'invalid', 'SEEK_KEY_OUT_OF_RANGE'),
          `${where} ${k}`,
        );
      }
      await it.next(); // returned f
      await assert.rejects(it.seek('f'), (e) => isShaleDBError(e, 'invalid', 'SEEK_KEY_BEHIND'), where);
      // Unbounded scans accept any key.
      it = db.scan(undefined, { order: 'desc' });
      await it.seek('zz');
      assert.equal(fromUtf8((await it.next())!.key), 'g', where);
      it.close();
      await assert.rejects(it.seek('a'), (e) => isShaleDBError(e, 'closed'), where);
    }
  } finally {
    await db.close();
  }
});

test('scanPrefix with an empty prefix scans the whole keyspace, in both orders, on Db and Snapshot', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings });
  try {
    await db.put(Uint8Array.of(0x00), 'low', { awaitDurable: false });
    await db.put('m', 'mid', { awaitDurable: false });
    await db.put(Uint8Array.of(0xff, 0xff), 'high', { awaitDurable: false });
    const all = ['\u0000=low', 'm=mid', '\ufffd\ufffd=high'];
    for (const empty of ['', new Uint8Array(0), Buffer.alloc(0)]) {
      assert.deepEqual(await rows(db.scanPrefix(empty)), all);
      assert.deepEqual(await rows(db.scanPrefix(empty, { order: 'desc' })), [...all].reverse());
    }
    const snap = await db.snapshot();
    await db.put('n', 'later');
    assert.deepEqual(await rows(snap.scanPrefix('')), all);
    // An all-0xff prefix has no upper bound.
    assert.deepEqual(await rows(snap.scanPrefix(Uint8Array.of(0xff))), ['\ufffd\ufffd=high']);
    snap.close();
    assert.deepEqual(await rows(db.scanPrefix('')), [...all.slice(0, 2), 'n=later', all[2]!]);
  } finally {
    await db.close();
  }
});

test('Snapshot has the read API of Db: get, getKeyValue, scan and scanPrefix, all at its seq', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings });
  try {
    await db.put('p/1', 'a');
    await db.put('p/2', 'b');
    await db.put('q/1', 'c');
    const snap = await db.snapshot();
    await db.put('p/3', 'late');
    await db.delete('p/1');
    await db.flush({ type: 'memtable' });
    assert.deepEqual(await rows(snap.scanPrefix('p/')), ['p/1=a', 'p/2=b']);
    assert.deepEqual(await rows(snap.scanPrefix('p/', { order: 'desc' })), ['p/2=b', 'p/1=a']);
    assert.deepEqual(await rows(db.scanPrefix('p/')), ['p/2=b', 'p/3=late']);
    assert.equal(str(await snap.get('p/1')), 'a');
    assert.equal((await snap.getKeyValue('p/2'))!.seq, 2n);
    assert.deepEqual(await rows(snap.scan({ gt: 'p/1' })), ['p/2=b', 'q/1=c']);
    snap.close();
    assert.throws(
      () => snap.scanPrefix('p/'),
      (e) => isShaleDBError(e, 'closed'),
    );
  } finally {
    await db.close();
  }
});

test('WriteHandle carries the seq and the createTs recorded on the rows of its write', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings });
  try {
    const t0 = Date.now();
    const put = await db.put('a', '1');
    assert.equal((await db.getKeyValue('a'))!.createTs, put.createTs);
    const batch = await db.write(new WriteBatch().put('b', '2').put('c', '3'));
    const nonDurable = await db.put('d', '4', { awaitDurable: false });
    const del = await db.delete('a');
    const t1 = Date.now();
    for (const [h, key] of [
      [put, undefined],
      [batch, 'b'],
      [batch, 'c'],
      [nonDurable, 'd'],
    ] as const) {
      assert.equal(typeof h.createTs, 'number');
      assert.ok(h.createTs >= t0 - 1 && h.createTs <= t1 + 1, `createTs ${h.createTs} within [${t0}, ${t1}]`);
      if (key !== undefined) {
        const kv = (await db.getKeyValue(key))!;
        assert.equal(kv.createTs, h.createTs, key);
        assert.equal(kv.seq, h.seq, key);
      }
    }
    assert.ok(put.seq < batch.seq && batch.seq < nonDurable.seq && nonDurable.seq < del.seq);
    assert.ok(put.createTs <= batch.createTs && batch.createTs <= del.createTs);
    // The same createTs is what the row keeps in an SST.
    await db.flush({ type: 'memtable' });
    assert.equal((await db.getKeyValue('b'))!.createTs, batch.createTs);
  } finally {
    await db.close();
  }
});
