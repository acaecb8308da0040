/**
 * The embedded compactor with compaction workers: a database compacts through workers and reads equal a model
 * (tombstones, TTL expiry, a snapshot's versions retained); a merge operator keeps compaction in-thread; a crashed
 * worker fails the compaction, which the compactor retries on a fresh worker; closing the database terminates the
 * workers, so a process that used them exits on its own (test/package-build.test.ts checks the same from the
 * installed ESM and CommonJS builds).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitFor } from '../../test/support/wait.js';
import { Compactor } from '../compactor/compactor.js';
import { CompactionWorkerPool, compactionWorkersStarted } from '../compactor/worker-pool.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { GetOptions, GetResult } from '../object-store/object-store.js';
import { resolveSettings } from '../store/settings.js';
import { TableStore } from '../store/table-store.js';
import { systemClock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { isShaleDBError } from '../util/errors.js';
import { SeededRand } from '../util/random.js';
import { Db } from './open.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function settings(extra: object = {}) {
  return {
    flushInterval: '5ms',
    l0SstSizeBytes: 4096,
    manifestPollInterval: '20ms',
    garbageCollectorOptions: null,
    compressionCodec: 'lz4' as const,
    compactorOptions: {
      pollInterval: '20ms',
      maxSstSize: 16 * 1024,
      subcompactions: 2,
      schedulerOptions: {},
    },
    ...extra,
  };
}

const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : Buffer.from(v).toString());

test('a database compacts through workers; reads equal a model with tombstones, TTL and a snapshot', async () => {
  const before = compactionWorkersStarted();
  const db = await Db.open('db', new MemoryObjectStore(), {
    settings: settings({ l0MaxSsts: 6 }),
    compactionWorkers: 2,
  });
  const model = new Map<string, string>();
  const key = (i: number) => `key${String(i).padStart(4, '0')}`;
  for (let i = 0; i < 400; i++) {
    const v = `first-${i}-${'y'.repeat(30)}`;
    await db.put(key(i), v, { awaitDurable: false });
    model.set(key(i), v);
  }
  await db.flush({ type: 'memtable' });
  const snap = await db.snapshot();
  const atSnapshot = new Map(model);
  for (let round = 0; round < 30; round++) {
    for (let j = 0; j < 50; j++) {
      const i = (round * 53 + j * 17) % 400;
      if (j % 9 === 0) {
        await db.delete(key(i), { awaitDurable: false });
        model.delete(key(i));
      } else if (j % 11 === 0) {
        await db.put(key(i), 'short-lived', { awaitDurable: false, ttl: 1 });
        model.delete(key(i));
      } else {
        const v = `r${round}-${j}-${'x'.repeat(40)}`;
        await db.put(key(i), v, { awaitDurable: false, ttl: 3_600_000 });
        model.set(key(i), v);
      }
    }
    // Expiry is applied against the clock tick of the latest write (reads do not filter, as in 0.12.1): a later
    // write moves the tick past this round's 1 ms TTLs before the flush.
    await new Promise((r) => setTimeout(r, 3));
    await db.put(`tick${round}`, 'later', { awaitDurable: false });
    model.set(`tick${round}`, 'later');
    await db.flush({ type: 'memtable' });
  }
  await waitFor(() => db.status().sortedRunCount > 0 && db.status().l0Count < 4, 'compacted sorted runs');
  assert.ok(compactionWorkersStarted() > before, 'compaction ran in workers');
  for (let i = 0; i < 400; i++) {
    assert.equal(text(await db.get(key(i))), model.get(key(i)), key(i));
    assert.equal(text(await snap.get(key(i))), atSnapshot.get(key(i)), `${key(i)} at the snapshot`);
  }
  const scanned = new Map<string, string>();
  for await (const kv of db.scan()) scanned.set(text(kv.key)!, text(kv.value)!);
  assert.deepEqual(scanned, model);
  snap.close();
  await db.close();
});

test('with a merge operator, compaction stays in-thread (no worker starts)', async () => {
  const concat: MergeOperator = (_k, existing, ops) =>
    Buffer.concat([...(existing === undefined ? [] : [existing]), ...ops]);
  const before = compactionWorkersStarted();
  const db = await Db.open('db', new MemoryObjectStore(), {
    settings: settings(),
    mergeOperator: concat,
    compactionWorkers: 2,
  });
  for (let round = 0; round < 8; round++) {
    for (let i = 0; i < 40; i++) await db.merge(`k${i}`, `+${round}`, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
  await waitFor(() => db.status().sortedRunCount > 0, 'a sorted run');
  const want = Array.from({ length: 8 }, (_, r) => `+${r}`).join('');
  for (let i = 0; i < 40; i++) assert.equal(text(await db.get(`k${i}`)), want);
  assert.equal(compactionWorkersStarted(), before);
  await db.close();
});

/** A store whose gets wait at a gate while armed. */
class GatedStore extends MemoryObjectStore {
  #armed = false;
  #arrived: (() => void) | undefined;
  #release: (() => void) | undefined;
  #gate: Promise<void> = Promise.resolve();

  arm(): Promise<void> {
    this.#armed = true;
    this.#gate = new Promise((r) => {
      this.#release = r;
    });
    return new Promise((r) => {
      this.#arrived = r;
    });
  }

  release(): void {
    this.#armed = false;
    this.#release?.();
  }

  override async get(path: string, options?: GetOptions): Promise<GetResult> {
    if (this.#armed && path.includes('/compacted/')) {
      this.#arrived?.();
      await this.#gate;
    }
    return super.get(path, options);
  }
}

test('a worker crash fails the compaction with COMPACTION_WORKER_FAILED; the compactor retries it and recovers', async () => {
  const store = new GatedStore();
  const db = await Db.open('db', store, { settings: settings({ compactorOptions: null }) });
  for (let n = 0; n < 4; n++) {
    for (let i = 0; i < 100; i++) await db.put(`k${i}`, `v${n}-${i}`, { awaitDurable: false });
    await db.delete(`gone${n}`, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
  await db.close();
  // One range per job: the first compacted-SST read is then the worker's (two would first read L0 indexes here).
  const s = resolveSettings(
    settings({ compactorOptions: { pollInterval: '20ms', maxSstSize: 16 * 1024, schedulerOptions: {} } }),
  );
  const tableStore = new TableStore(store, 'db', {
    codec: 'lz4',
    blockSize: 4096,
    minFilterKeys: 1000,
    filterBitsPerKey: 10,
    blockCacheBytes: 0,
  });
  const pool = new CompactionWorkerPool(1);
  const exec = new TaskExecutor(systemClock);
  const failures: unknown[] = [];
  let written = 0;
  const arrived = store.arm();
  const c = await Compactor.start({
    root: 'db',
    store,
    tableStore,
    options: s.compactorOptions!,
    clock: systemClock,
    rand: new SeededRand(3),
    mergeOperator: undefined,
    executor: exec,
    workers: pool,
    onManifestWritten: () => written++,
    onJobFailed: (_id, e) => failures.push(e),
  });
  c.poll();
  await arrived;
  pool.crashWorkersForTesting();
  await waitFor(() => failures.length > 0, 'the failed compaction');
  assert.ok(isShaleDBError(failures[0], 'unavailable', 'COMPACTION_WORKER_FAILED'), String(failures[0]));
  store.release();
  c.poll();
  await waitFor(() => written > 0, 'the retried compaction');
  assert.equal(c.stats.compactionsFailed, 1);
  assert.equal(pool.started, 2);
  await exec.shutdown();
  await c.stop();
  await pool.close();
  const again = await Db.open('db', store, { settings: settings({ compactorOptions: null }) });
  assert.equal(again.status().l0Count, 0);
  for (let i = 0; i < 100; i++) assert.equal(text(await again.get(`k${i}`)), `v3-${i}`);
  await again.close();
});

/** A script that compacts through workers, closes, and exits on its own (a leaked handle would hang it). */
function childScript(entry: string): string {
  return `
    const { Db } = await import(${JSON.stringify(entry)});
    const db = await Db.open('db', 'memory:///', {
      compactionWorkers: 2,
      settings: { flushInterval: '5ms', l0SstSizeBytes: 4096, garbageCollectorOptions: null,
        compactorOptions: { pollInterval: '20ms', subcompactions: 2, schedulerOptions: {} } },
    });
    for (let n = 0; n < 6; n++) {
      for (let i = 0; i < 200; i++) await db.put('k' + i, 'v' + n + '-' + i, { awaitDurable: false });
      await db.flush({ type: 'memtable' });
    }
    while (db.status().sortedRunCount === 0) await new Promise((r) => setTimeout(r, 10));
    const v = new TextDecoder().decode(await db.get('k7'));
    await db.close();
    console.log(JSON.stringify({ v }));
  `;
}

function runChild(args: string[]): { status: number | null; signal: string | null; out: string } {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

test('a process that compacted through workers exits after close', () => {
  const r = runChild([
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    childScript(pathToFileURL(join(root, 'src/index.ts')).href),
  ]);
  assert.equal(r.signal, null, `did not exit: ${r.out}`);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /"v":"v5-7"/);
});
