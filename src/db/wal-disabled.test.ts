/**
 * `walEnabled: false`, with 0.12.1's semantics: no WAL SST is written; a write is durable once its memtable is in
 * L0, so `awaitDurable` (the default) resolves only then (a flush, a full memtable, or close); a clean close flushes
 * the memtable, so every write survives it; a crash loses what was not flushed; `durabilityFilter: 'remote'` sees
 * only what is in L0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { fromUtf8 } from '../util/bytes.js';
import { Db } from './db.js';
import { WriteBatch } from './write-batch.js';

const settings = {
  walEnabled: false,
  flushInterval: '10ms',
  compactorOptions: null,
  garbageCollectorOptions: null,
} as const;

const str = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : fromUtf8(v));

async function count(store: ObjectStore, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of store.list(prefix)) n++;
  return n;
}

/** A pause in which a write that needed no flush would have resolved (nothing flushes a memtable on a timer). */
const settle = (): Promise<void> => sleep(50);

test('walEnabled false: put, clean close, reopen: the key is there (close flushes the memtable to L0)', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  const walBefore = await count(store, 'db/wal/');
  await db.put('a', '1', { awaitDurable: false });
  await db.write(new WriteBatch().put('b', '2').delete('c'), { awaitDurable: false });
  await db.delete('b', { awaitDurable: false });
  await db.put('c', '3', { awaitDurable: false });
  assert.equal(db.status().l0Count, 0);
  await db.close();
  assert.equal(await count(store, 'db/wal/'), walBefore, 'no WAL SST is written');
  const again = await Db.open('db', store, { settings });
  try {
    assert.equal(str(await again.get('a')), '1');
    assert.equal(await again.get('b'), undefined);
    assert.equal(str(await again.get('c')), '3');
    assert.equal(again.status().l0Count, 1);
  } finally {
    await again.close();
  }
  // Reopened with the WAL on, the data is the same.
  const withWal = await Db.open('db', store, { settings: { ...settings, walEnabled: true } });
  assert.equal(str(await withWal.get('c')), '3');
  await withWal.close();
});

test('walEnabled false: awaitDurable resolves only once the memtable is in L0, by flush, size or close', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: { ...settings, l0SstSizeBytes: 64 * 1024 } });
  let closed = false;
  try {
    let done = false;
    const put = db.put('k1', 'v1').then((h) => {
      done = true;
      return h;
    });
    await settle();
    assert.equal(done, false, 'a durable write waits for its memtable to reach L0');
    assert.equal(str(await db.get('k1')), 'v1', 'but it is visible at once');
    assert.equal(await db.get('k1', { durabilityFilter: 'remote' }), undefined);
    assert.ok(db.status().durableSeq < db.status().lastCommittedSeq);
    await db.flush({ type: 'memtable' });
    const h = await put;
    assert.equal(db.status().l0Count, 1);
    assert.equal(db.status().durableSeq, h.seq);
    assert.equal(str(await db.get('k1', { durabilityFilter: 'remote' })), 'v1');

    // flush() with the default type also writes the memtable when there is no WAL.
    done = false;
    const put2 = db.put('k2', 'v2').then(() => {
      done = true;
    });
    await settle();
    assert.equal(done, false);
    await db.flush();
    await put2;
    assert.equal(db.status().l0Count, 2);

    // A memtable that reaches l0SstSizeBytes is flushed by itself, and that makes the write durable.
    await db.put('big', 'x'.repeat(80 * 1024));
    assert.equal(db.status().l0Count, 3);
    assert.equal(str(await db.get('big', { durabilityFilter: 'remote' }))?.length, 80 * 1024);

    // close() flushes, so a write waiting for durability resolves with it.
    const put3 = db.put('k3', 'v3');
    await settle();
    await db.close();
    closed = true;
    await put3;
  } finally {
    if (!closed) await db.close();
  }
  const again = await Db.open('db', store, { settings });
  assert.equal(str(await again.get('k3')), 'v3');
  await again.close();
});

test('walEnabled false: a crash loses what was not flushed to L0, and nothing else', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  await db.put('kept', '1', { awaitDurable: false });
  await db.flush();
  await db.put('lost', '2', { awaitDurable: false });
  await db.inner.simulateCrash();
  const again = await Db.open('db', store, { settings });
  try {
    assert.equal(str(await again.get('kept')), '1');
    assert.equal(await again.get('lost'), undefined);
  } finally {
    await again.close();
  }
});
