/**
 * Behaviour of compactor options that had none: `subcompactions` splits one compaction's output into key ranges
 * (several SSTs where one would do), with the same rows; `maxConcurrentCompactions` bounds the jobs running at once
 * (checked with a scheduler that always has more work than allowed); `manifestUpdateTimeout` bounds the compactor's
 * epoch claim.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { Compactor } from '../compactor/compactor.js';
import type { CompactionScheduler, PlannedCompaction } from '../compactor/scheduler.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import {
  ObjectStoreError,
  type PutOptions,
  type PutResult,
  type PutStreamOptions,
} from '../object-store/object-store.js';
import { resolveSettings } from '../store/settings.js';
import { TableStore } from '../store/table-store.js';
import { compareBytes, fromUtf8 } from '../util/bytes.js';
import { ManualClock, systemClock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { isShaleDBError } from '../util/errors.js';
import { SeededRand } from '../util/random.js';
import { Db } from './open.js';

function settings(compactor: object | null) {
  return {
    flushInterval: '5ms',
    manifestPollInterval: '20ms',
    garbageCollectorOptions: null,
    compactorOptions:
      compactor === null ? null : { pollInterval: '20ms', schedulerOptions: {}, ...compactor },
  };
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
      const run = db.inner.manifest.compacted[0]!;
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

/** Compacts the oldest L0 into a new sorted run (phase 1), or each idle sorted run into itself (phase 2). */
function testScheduler(phase: 1 | 2): CompactionScheduler {
  return {
    propose(view, maxConcurrent) {
      const m = view.manifest;
      const busy = new Set(view.active.flatMap((a) => [a.destination, ...a.compaction.spec.sortedRuns]));
      const out: PlannedCompaction[] = [];
      if (phase === 1) {
        const oldest = m.l0[m.l0.length - 1];
        const top = m.compacted.length === 0 ? 0 : m.compacted[0]!.id + 1;
        if (oldest !== undefined && view.active.length === 0)
          out.push({ l0: [oldest.id], sortedRuns: [], destination: top });
        return out;
      }
      for (const sr of m.compacted) {
        if (view.active.length + out.length >= maxConcurrent) break;
        if (!busy.has(sr.id)) out.push({ l0: [], sortedRuns: [sr.id], destination: sr.id });
      }
      return out;
    },
    validate() {},
  };
}

/** Counts compaction outputs being uploaded at once (each upload held for a while). */
class SlowOutputStore extends MemoryObjectStore {
  inFlight = 0;
  most = 0;
  uploads = 0;

  override async putStream(
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<PutResult> {
    if (!path.startsWith('db/compacted/')) return super.putStream(path, chunks, options);
    this.uploads++;
    this.most = Math.max(this.most, ++this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 40));
      return await super.putStream(path, chunks, options);
    } finally {
      this.inFlight--;
    }
  }
}

test('maxConcurrentCompactions bounds the compactions running at once', async () => {
  for (const max of [1, 3]) {
    const store = new SlowOutputStore();
    const db = await Db.open('db', store, { settings: settings(null) });
    for (let l0 = 0; l0 < 5; l0++) {
      for (let i = 0; i < 50; i++) await db.put(`k${l0}-${i}`, `v${i}`, { awaitDurable: false });
      await db.flush({ type: 'memtable' });
    }
    await db.close();
    const tableStore = new TableStore(store, 'db', {
      codec: null,
      blockSize: 4096,
      minFilterKeys: 1000,
      filterBitsPerKey: 10,
      blockCacheBytes: 1 << 20,
    });
    const run = async (phase: 1 | 2, until: (c: Compactor) => boolean): Promise<void> => {
      const rand = new SeededRand(phase);
      const exec = new TaskExecutor(systemClock, rand);
      const c = await Compactor.start({
        root: 'db',
        store,
        tableStore,
        options: resolveSettings(settings({ maxConcurrentCompactions: max })).compactorOptions!,
        clock: systemClock,
        rand,
        mergeOperator: undefined,
        executor: exec,
        scheduler: testScheduler(phase),
      });
      c.poll();
      await waitFor(() => until(c), `phase ${phase}`);
      await exec.shutdown();
      await c.stop();
    };
    // Phase 1: five sorted runs, one compaction at a time (L0 compactions never overlap).
    await run(1, (c) => c.stats.compactionsCompleted === 5);
    store.most = 0;
    store.uploads = 0;
    // Phase 2: five independent sorted-run compactions are always on offer.
    await run(2, (c) => c.stats.compactionsCompleted >= 5);
    assert.ok(store.uploads >= 5);
    if (max === 1) assert.equal(store.most, 1);
    else assert.ok(store.most >= 2 && store.most <= max, `${store.most} compactions at once with max ${max}`);
    const again = await Db.open('db', store, { settings: settings(null) });
    try {
      assert.equal(again.status().l0Count, 0);
      assert.equal(again.status().sortedRunCount, 5);
      let n = 0;
      for await (const _ of again.scan()) n++;
      assert.equal(n, 250);
    } finally {
      await again.close();
    }
  }
});
