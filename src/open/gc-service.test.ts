/**
 * The embedded collector: a database opened with garbageCollectorOptions runs one (at open, then on its
 * intervals, on the database's clock), and closing the database stops it; with garbageCollectorOptions null no
 * collector runs. Method: a real Db on a memory store with a ManualClock, manifests made by memtable flushes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { manifestDir } from '../store/paths.js';
import { ManualClock } from '../util/clock.js';
import { SeededRand } from '../util/random.js';
import { Db } from './open.js';

async function manifests(store: MemoryObjectStore): Promise<number> {
  let n = 0;
  for await (const _ of store.list(`${manifestDir('db')}/`)) n++;
  return n;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise<void>((r) => setImmediate(r));
}

async function writeManifests(db: Db, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await db.put(`k${i}`, `v${i}`, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
}

for (const enabled of [true, false]) {
  test(`garbageCollectorOptions ${enabled ? 'set: old manifests are collected' : 'null: nothing is collected'}`, async () => {
    const clock = new ManualClock();
    const store = new MemoryObjectStore({ clock });
    const gc = { interval: '10s', minAge: '1s' };
    const db = await Db.open('db', store, {
      clock,
      rand: new SeededRand(1),
      settings: {
        flushInterval: null,
        compactorOptions: null,
        garbageCollectorOptions: enabled
          ? { manifestOptions: gc, walOptions: null, compactedOptions: null, compactionsOptions: null }
          : null,
      },
    });
    await writeManifests(db, 3);
    const before = await manifests(store);
    assert.ok(before >= 4);
    await clock.advance(10_000); // one interval: every manifest but the latest is now older than 1 s
    await settle();
    const after = await manifests(store);
    if (enabled) assert.equal(after, 1);
    else assert.equal(after, before);
    await db.close();
    const closed = await manifests(store);
    await clock.advance(60_000);
    await settle();
    assert.equal(await manifests(store), closed, 'no collection after close');
    assert.equal(clock.pendingSleeps, 0);
  });
}
