/**
 * Db.subscribe and Db.manifest tests: statuses are published as the durable seq advances and the manifest changes,
 * the close reason is published on close ('clean') and on fencing ('fenced') and ends the channel, waitFor and
 * changed behave as 0.12.1's watch receiver, unsubscribe stops delivery; manifest() is the writer's current
 * manifest (equal to the one it last wrote) and the caller's own copy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Manifest } from '../format/manifest.js';
import { decodeManifest } from '../format/manifest-codec.js';
import { parseManifestId } from '../format/object-paths.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { isShaleDBError } from '../util/errors.js';
import { Db, type DbStatus } from './db.js';

const settings = { flushInterval: null, compactorOptions: null, garbageCollectorOptions: null } as const;

async function storedManifest(store: MemoryObjectStore, root: string): Promise<{ id: number; m: Manifest }> {
  let best = -1;
  let path = '';
  for await (const o of store.list(`${root}/manifest/`)) {
    const id = parseManifestId(o.path);
    if (id !== undefined && id > best) {
      best = id;
      path = o.path;
    }
  }
  return { id: best, m: decodeManifest((await store.get(path)).bytes) };
}

test('subscribe: durable seq advances are published; listener, changed() and waitFor() see them', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  const seen: DbStatus[] = [];
  const sub = db.subscribe((s) => seen.push(s));
  try {
    const start = sub.status.durableSeq;
    const w1 = await db.put('a', '1', { awaitDurable: false });
    assert.equal(sub.status.durableSeq, start, 'not durable before the WAL flush');
    const next = sub.changed();
    await db.flush();
    const s1 = await next;
    assert.equal(s1.durableSeq, w1.seq);
    // waitFor: resolves once the predicate holds, at once if it already does.
    const w2 = await db.put('b', '2', { awaitDurable: false });
    const waiting = sub.waitFor((s) => s.durableSeq >= w2.seq);
    await db.flush();
    assert.equal((await waiting).durableSeq, w2.seq);
    assert.equal((await sub.waitFor((s) => s.durableSeq >= w1.seq)).durableSeq, w2.seq);
    await new Promise((r) => setImmediate(r));
    const durables = seen.map((s) => s.durableSeq);
    assert.deepEqual(
      durables,
      [...durables].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      'never goes back',
    );
    assert.ok(durables.includes(w1.seq) && durables.includes(w2.seq));
    // A memtable flush changes the manifest: a status with the new L0 is published.
    const l0 = sub.waitFor((s) => s.l0Count === 1);
    await db.flush({ type: 'memtable' });
    assert.equal((await l0).l0Count, 1);
  } finally {
    await db.close();
  }
  // Close publishes the final status with its reason; the channel then ends.
  const last = sub.status;
  assert.equal(last.closeReason, 'clean');
  await new Promise((r) => setImmediate(r));
  assert.equal(seen[seen.length - 1]!.closeReason, 'clean');
  await sub.waitFor((s) => s.closeReason !== undefined);
  await assert.rejects(sub.changed(), (e) => isShaleDBError(e, 'closed'));
  // A subscription taken after close sees the closed status.
  assert.equal(db.subscribe().status.closeReason, 'clean');
});

test('subscribe: a fenced writer publishes closeReason fenced', async () => {
  const store = new MemoryObjectStore();
  const db1 = await Db.open('db', store, { settings });
  const sub = db1.subscribe();
  const fenced = sub.waitFor((s) => s.closeReason !== undefined);
  const db2 = await Db.open('db', store, { settings });
  try {
    await db1.put('k', 'v', { awaitDurable: false });
    await assert.rejects(db1.flush(), (e) => isShaleDBError(e, 'closed'));
    assert.equal((await fenced).closeReason, 'fenced');
    await assert.rejects(sub.changed(), (e) => isShaleDBError(e, 'closed') && e.closeReason === 'fenced');
  } finally {
    await db1.close().catch(() => {});
    await db2.close();
  }
});

test('unsubscribe: the listener is not called again and a pending changed() fails', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  try {
    let calls = 0;
    const sub = db.subscribe(() => calls++);
    await db.put('a', '1', { awaitDurable: false });
    await db.flush();
    await new Promise((r) => setImmediate(r));
    assert.ok(calls >= 1);
    await sub.changed(); // the flush's status, not yet seen through changed()
    const pending = sub.changed();
    sub.unsubscribe();
    assert.equal(sub.active, false);
    await assert.rejects(pending, (e) => isShaleDBError(e, 'closed'));
    const before = calls;
    await db.put('b', '2', { awaitDurable: false });
    await db.flush();
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, before);
    assert.throws(
      () => db.subscribe(3 as never),
      (e) => isShaleDBError(e, 'invalid'),
    );
  } finally {
    await db.close();
  }
});

test("manifest(): the current manifest, equal to the one last written, and the caller's own copy", async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('x/db', store, { settings });
  try {
    await db.put('a', '1', { awaitDurable: false });
    await db.flush({ type: 'memtable' });
    const m = db.manifest();
    assert.equal(m.l0.length, 1);
    assert.equal(m.l0.length, db.status().l0Count);
    assert.equal(BigInt(m.writerEpoch), db.status().writerEpoch);
    const stored = await storedManifest(store, 'x/db');
    assert.equal(BigInt(stored.id), db.status().manifestId);
    assert.deepEqual(m, stored.m);
    // Changing the copy changes nothing inside the database.
    m.l0[0]!.info.firstEntry?.fill(0);
    (m.l0 as unknown[]).length = 0;
    assert.equal(db.manifest().l0.length, 1);
    assert.deepEqual(db.manifest(), stored.m);
    assert.equal((await db.get('a'))?.length, 1);
  } finally {
    await db.close();
  }
});
