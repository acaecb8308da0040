/**
 * The root open: the package's Db.open starts the embedded compactor exactly when `compactorOptions` is set (its
 * first act is to take the compactions file and bump the compactor epoch), with nothing imported for side
 * effects; the writer's own open (db/db.ts) starts no service (test/entry-point.test.ts: the package exports it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Db as WriterDb } from '../db/db.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { compactionsDir } from '../store/paths.js';
import { ManualClock } from '../util/clock.js';
import { SeededRand } from '../util/random.js';
import { Db } from './open.js';

async function compactionsFiles(store: MemoryObjectStore): Promise<number> {
  let n = 0;
  for await (const _ of store.list(`${compactionsDir('db')}/`)) n++;
  return n;
}

function options(clock: ManualClock, compactor: boolean) {
  return {
    clock,
    rand: new SeededRand(3),
    settings: {
      flushInterval: null,
      compactorOptions: compactor ? { pollInterval: '1h' } : null,
      garbageCollectorOptions: null,
    },
  };
}

for (const compactor of [true, false]) {
  test(`Db.open with compactorOptions ${compactor ? 'set starts' : 'null starts no'} compactor`, async () => {
    const clock = new ManualClock();
    const store = new MemoryObjectStore({ clock });
    const db = await Db.open('db', store, options(clock, compactor));
    assert.ok(db instanceof Db);
    // Taking over: version 1 created, the epoch written, the (empty) compactions written out.
    assert.equal(await compactionsFiles(store), compactor ? 3 : 0);
    const latest = await manifestStore(store, 'db').tryReadLatest();
    assert.equal(latest?.value.compactorEpoch, compactor ? 1 : 0);
    await db.close();
    assert.equal(clock.pendingSleeps, 0);
  });
}

test("the writer's own open starts no compactor, whatever the settings", async () => {
  const clock = new ManualClock();
  const store = new MemoryObjectStore({ clock });
  const db = await WriterDb.open('db', store, options(clock, true));
  assert.equal(await compactionsFiles(store), 0);
  await db.close();
});
