/**
 * Behaviour of compactor options that had none: `subcompactions` splits one compaction's output into key ranges
 * (several SSTs where one would do), with the same rows; `manifestUpdateTimeout` bounds the compactor's epoch claim.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Db } from '../db/db.js';
import { resolveSettings } from '../db/settings.js';
import { TableStore } from '../db/table-store.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { ObjectStoreError, type PutOptions, type PutResult } from '../object-store/object-store.js';
import { compareBytes, fromUtf8 } from '../util/bytes.js';
import { ManualClock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { isShaleDBError } from '../util/errors.js';
import { SeededRand } from '../util/random.js';
import { Compactor } from './compactor.js';
import './register.js';

function settings(compactor: object | null) {
  return {
    flushInterval: '5ms',
    manifestPollInterval: '20ms',
    garbageCollectorOptions: null,
    compactorOptions:
      compactor === null ? null : { pollInterval: '20ms', schedulerOptions: {}, ...compactor },
  };
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('subcompactions splits a compaction into key ranges: more output SSTs, the same rows', async () => {
  const outputs = new Map<number, number>();
  for (const subcompactions of [1, 4]) {
    const db = await Db.open('db', new MemoryObjectStore(), {
      settings: settings({ subcompactions }),
    });
    try {
      // Four L0s (the scheduler's default minimum), each spanning the whole key space.
      for (let l0 = 0; l0 < 4; l0++) {
        for (let i = l0; i < 400; i += 4)
          await db.put(`k${String(i).padStart(4, '0')}`, `v${i}`, { awaitDurable: false });
        await db.flush({ type: 'memtable' });
      }
      await waitFor(() => db.status().sortedRunCount > 0 && db.status().l0Count === 0, 'the compaction');
      const run = db.inner.d.state.manifest.compacted[0]!;
      outputs.set(subcompactions, run.ssts.length);
      // The output SSTs are ordered and disjoint.
      for (let i = 1; i < run.ssts.length; i++) {
        const prevLast = run.ssts[i - 1]!.info.lastEntry!;
        assert.ok(compareBytes(prevLast, run.ssts[i]!.info.firstEntry!) < 0);
      }
      let n = 0;
      for await (const kv of db.scan()) {
        assert.equal(fromUtf8(kv.key), `k${String(n).padStart(4, '0')}`);
        assert.equal(fromUtf8(kv.value), `v${n}`);
        n++;
      }
      assert.equal(n, 400);
    } finally {
      await db.close();
    }
  }
  assert.equal(outputs.get(1), 1, 'one range, one SST (far below maxSstSize)');
  assert.ok(outputs.get(4)! >= 2, `4 subcompactions wrote ${outputs.get(4)} SSTs`);
});

class ConflictingStore extends MemoryObjectStore {
  refuse: ((path: string) => boolean) | undefined;
  onRefuse: (() => Promise<void>) | undefined;
  attempts = 0;

  override async put(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    if (options.mode === 'create' && this.refuse?.(path)) {
      this.attempts++;
      await this.onRefuse?.();
      throw new ObjectStoreError('already-exists', 'put', path, 'taken (test)');
    }
    return super.put(path, bytes, options);
  }
}

test('compactorOptions.manifestUpdateTimeout bounds the compactor epoch claim when every manifest write conflicts', async () => {
  const store = new ConflictingStore();
  const db = await Db.open('db', store, { settings: settings(null) });
  await db.close();
  const clock = new ManualClock();
  const s = resolveSettings(settings({ manifestUpdateTimeout: '200ms' }));
  const tableStore = new TableStore(store, 'db', {
    codec: null,
    blockSize: 4096,
    minFilterKeys: 1000,
    filterBitsPerKey: 10,
    blockCacheBytes: 1 << 20,
  });
  store.refuse = (path) => path.startsWith('db/manifest/');
  store.onRefuse = () => clock.advance(30); // each attempt takes 30 ms of the manual clock
  const exec = new TaskExecutor(clock, new SeededRand(1));
  await assert.rejects(
    Compactor.start({
      root: 'db',
      store,
      tableStore,
      options: s.compactorOptions!,
      clock,
      rand: new SeededRand(1),
      mergeOperator: undefined,
      executor: exec,
    }),
    (e) => isShaleDBError(e, 'unavailable', 'MANIFEST_UPDATE_TIMEOUT') && /200 ms/.test(e.message),
  );
  // 200 ms at 30 ms an attempt: the claim gave up after about seven attempts, not at the first or never.
  assert.ok(store.attempts >= 6 && store.attempts <= 9, `${store.attempts} attempts`);
  await exec.shutdown();
});
