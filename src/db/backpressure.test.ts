/**
 * Backpressure tests: when unflushed bytes reach maxUnflushedBytes, writers wait (all of them on one shared wait,
 * so no listener or timer per writer) and proceed once the WAL catches up; nothing is lost or reordered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { fromUtf8 } from '../util/bytes.js';
import { Deferred } from '../util/deferred.js';
import { Db } from './db.js';

/** A memory store whose WAL PUTs can be held (`hold`) and let go (`release`). */
function gatedWalStore(): {
  store: ObjectStore;
  walPuts: () => number;
  hold: () => void;
  release: () => void;
} {
  const mem = new MemoryObjectStore();
  let walPuts = 0;
  let gate: Deferred<void> | undefined;
  const store = new Proxy(mem, {
    get(target, prop) {
      if (prop === 'put') {
        return async (path: string, ...rest: unknown[]) => {
          if (path.includes('/wal/')) {
            walPuts++;
            await gate?.promise;
          }
          return (target.put as (...a: unknown[]) => unknown).call(target, path, ...rest);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as ObjectStore;
  return {
    store,
    walPuts: () => walPuts,
    hold: () => {
      gate = new Deferred<void>();
    },
    release: () => gate?.resolve(),
  };
}

test('writers over maxUnflushedBytes wait on one shared wait and all land once the WAL drains', async () => {
  const { store, walPuts, hold, release } = gatedWalStore();
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(`${w.name}: ${w.message}`);
  };
  process.on('warning', onWarning);
  const db = await Db.open('db', store, {
    settings: {
      flushInterval: '5ms',
      maxUnflushedBytes: 64 * 1024,
      compactorOptions: null,
      garbageCollectorOptions: null,
    },
  });
  const before = walPuts();
  hold();

  const value = 'v'.repeat(4096);
  let landed = 0;
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 200; i++) {
    writes.push(
      db.put(`k${String(i).padStart(4, '0')}`, value, { awaitDurable: false }).then(() => landed++),
    );
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(walPuts() > before, 'a WAL flush started');
  assert.ok(landed < 200, `backpressure held some writers (${landed} of 200 landed)`);
  assert.ok(landed * 4096 < 4 * 64 * 1024, `at most a few limits' worth landed: ${landed}`);
  release();
  await Promise.all(writes);
  assert.equal(landed, 200);
  for (let i = 0; i < 200; i += 37) {
    assert.equal(fromUtf8((await db.get(`k${String(i).padStart(4, '0')}`))!), value);
  }
  await db.close();
  process.off('warning', onWarning);
  assert.deepEqual(
    warnings.filter((w) => w.includes('MaxListeners')),
    [],
  );
});
