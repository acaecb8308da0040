/**
 * A loop of awaited non-durable writes resolves through microtasks only; without the write path's starvation guard
 * it would hold the event loop for as long as it runs: no timer fires, so the WAL flush timer never writes the WAL
 * and no other callback of the application runs. These tests run such a loop for a fixed wall-clock stretch and
 * check that timers ran and WAL SSTs were written while it ran.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { Db } from './db.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

async function walObjects(store: MemoryObjectStore): Promise<number> {
  let n = 0;
  for await (const _ of store.list('db/wal/')) n++;
  return n;
}

test('a tight loop of awaited non-durable puts lets timers and the WAL flush run while it runs', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  try {
    const walAtStart = await walObjects(store);
    let ticks = 0;
    const interval = setInterval(() => ticks++, 1);
    const value = new Uint8Array(100);
    const end = performance.now() + 300;
    let i = 0;
    while (performance.now() < end) {
      await db.put(`k${i++}`, value, { awaitDurable: false });
    }
    const ticksInLoop = ticks;
    clearInterval(interval);
    // Counted before anything after the loop could flush: only flushes during the loop wrote these.
    const walInLoop = (await walObjects(store)) - walAtStart;
    assert.ok(ticksInLoop >= 5, `a 1 ms interval ticked ${ticksInLoop} times in a 300 ms write loop`);
    assert.ok(
      walInLoop >= 1,
      `${walInLoop} WAL SSTs were written during a 300 ms write loop with a 10 ms interval`,
    );
    assert.equal((await db.get('k0'))?.length, 100);
  } finally {
    await db.close();
  }
});

test('writes that yield still resolve in order with increasing seqs', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  try {
    let last = -1n;
    const end = performance.now() + 100;
    let i = 0;
    while (performance.now() < end) {
      const h = await db.put(`k${i++}`, 'v', { awaitDurable: false });
      assert.ok(h.seq > last);
      last = h.seq;
    }
    await db.flush();
    assert.equal(await db.get(`k${i - 1}`).then((v) => v?.length), 1);
  } finally {
    await db.close();
  }
});
