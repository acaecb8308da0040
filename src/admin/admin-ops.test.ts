/**
 * The admin API's long-running and destructive work against ShaleDB-written databases: runGcOnce (dry run, real,
 * only the resources named, progress), runGc until aborted, runCompactor (compacts the writer's L0s, stops on
 * abort, rejects when another compactor fences it), and deleteDb (dry run, confirm, idempotence, refusals, the
 * `.deleting` marker, a clone's parent checkpoint).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { compactionWorkersStarted } from '../compactor/worker-pool.js';
import { Db } from '../db/db.js';
import { newManifest } from '../format/manifest.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { ManualClock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import { Uuid } from '../util/ids.js';
import { SeededRand } from '../util/random.js';
import { openAdmin } from './admin.js';
import type { AdminProgress } from './admin-types.js';

const SETTINGS = { flushInterval: null, compactorOptions: null, garbageCollectorOptions: null } as const;

async function paths(store: MemoryObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const m of store.list(prefix)) out.push(m.path);
  return out.sort();
}

async function writeFlushes(db: Db, n: number, tag = 'k'): Promise<void> {
  for (let i = 0; i < n; i++) {
    await db.put(`${tag}${i}`, `v${i}`, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
}

test('runGcOnce: dry run reports, a real pass deletes only the resources named; progress per resource', async () => {
  const clock = new ManualClock();
  const store = new MemoryObjectStore({ clock });
  const db = await Db.open('db', store, { settings: SETTINGS, clock, rand: new SeededRand(2) });
  await writeFlushes(db, 3);
  await db.close();
  const manifestsBefore = await paths(store, 'db/manifest/');
  const walBefore = await paths(store, 'db/wal/');
  assert.ok(manifestsBefore.length >= 4 && walBefore.length >= 2);
  await clock.advance(10_000);
  const admin = await openAdmin('db', store, { clock });

  const progress: AdminProgress[] = [];
  const dry = await admin.runGcOnce({
    manifest: { minAge: '1s' },
    wal: { minAge: '1s' },
    dryRun: true,
    onProgress: (p) => progress.push(p),
  });
  assert.equal(dry.dryRun, true);
  assert.deepEqual(
    dry.resources.map((r) => r.resource),
    ['manifest', 'wal'],
  );
  const wouldManifests = dry.resources[0]!.deleted;
  assert.deepEqual(wouldManifests, manifestsBefore.slice(0, -1));
  assert.ok(dry.resources[1]!.deleted.length > 0);
  assert.deepEqual(await paths(store, 'db/manifest/'), manifestsBefore, 'a dry run deletes nothing');
  assert.deepEqual(progress, [
    { phase: 'manifest', done: 1, total: 2 },
    { phase: 'wal', done: 2, total: 2 },
  ]);

  // Only the manifest resource: WAL SSTs stay.
  const real = await admin.runGcOnce({ manifest: { minAge: '1s' } });
  assert.deepEqual(real.resources[0]!.deleted, wouldManifests);
  assert.deepEqual(await paths(store, 'db/manifest/'), manifestsBefore.slice(-1));
  assert.deepEqual(await paths(store, 'db/wal/'), walBefore);
  assert.deepEqual(
    (await admin.listManifests()).map((f) => `db/manifest/${f.location}`),
    manifestsBefore.slice(-1),
  );
  // A young minimum age keeps everything; no resource at all runs nothing.
  const young = await admin.runGcOnce({ wal: { minAge: '1h' } });
  assert.deepEqual(young.resources[0]!.deleted, []);
  assert.deepEqual((await admin.runGcOnce({})).resources, []);
  // No database at the path: the task reports the error, as the collector does, and deletes nothing.
  const none = await openAdmin('none', store, { clock });
  const missing = await none.runGcOnce({ wal: { minAge: 0 } });
  assert.ok(isShaleDBError(missing.resources[0]!.error, 'data', 'MANIFEST_MISSING'));
  await assert.rejects(
    admin.runGcOnce({ wal: { minAge: 'soon' } }),
    (e) =>
      isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT') || isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
  );
  await assert.rejects(admin.runGcOnce({ wal: {} as never }), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await assert.rejects(admin.runGcOnce({ manifests: { minAge: '1s' } } as never), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await admin.close();
});

test('runGc collects on its intervals until aborted, then returns the totals', async () => {
  const clock = new ManualClock();
  const store = new MemoryObjectStore({ clock });
  const db = await Db.open('db', store, { settings: SETTINGS, clock, rand: new SeededRand(3) });
  await writeFlushes(db, 2);
  const admin = await openAdmin('db', store, { clock });
  const ac = new AbortController();
  let reports = 0;
  let firstReport!: () => void;
  const first = new Promise<void>((r) => {
    firstReport = r;
  });
  const running = admin.runGc(
    {
      manifest: { minAge: '1s', interval: '10s' },
      onReport: () => {
        reports++;
        firstReport();
      },
    },
    ac.signal,
  );
  await first; // the first task runs at once: nothing is old enough yet
  assert.equal((await paths(store, 'db/manifest/')).length > 1, true);
  await clock.advance(10_000);
  for (let i = 0; i < 50 && reports < 2; i++) await new Promise<void>((r) => setImmediate(r));
  assert.equal(reports, 2);
  assert.equal((await paths(store, 'db/manifest/')).length, 1, 'all but the latest manifest collected');
  ac.abort();
  const stats = await running;
  assert.equal(stats.tasks, 2);
  assert.ok(stats.deleted.manifest > 0);
  await assert.rejects(admin.runGc({}, ac.signal), (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'));
  await db.close();
  assert.equal(clock.pendingSleeps, 0, 'no ticker left behind');
  await admin.close();
});

test('runCompactor compacts the L0s of a writer without a compactor; stops on abort; a second one fences it', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: { ...SETTINGS, flushInterval: '10ms' } });
  await writeFlushes(db, 4);
  const admin = await openAdmin('db', store);
  const ac = new AbortController();
  const progress: AdminProgress[] = [];
  const jobs: string[] = [];
  const rows: number[] = [];
  const running = admin.runCompactor(
    {
      compactorOptions: { pollInterval: '20ms' },
      onProgress: (p) => progress.push(p),
      onCompaction: (id, stats) => {
        rows.push(stats.rowsWritten);
        jobs.push(id);
      },
    },
    ac.signal,
  );
  await waitFor(async () => (await admin.readManifest())!.manifest.compacted.length > 0, 'a sorted run');
  const m = (await admin.readManifest())!.manifest;
  assert.equal(m.l0.length, 0);
  for (let i = 0; i < 4; i++) assert.equal(Buffer.from((await db.get(`k${i}`))!).toString(), `v${i}`);
  ac.abort();
  const result = await running;
  assert.ok(result.compactionsCompleted >= 1);
  assert.ok(result.bytesWritten > 0);
  assert.equal(result.epoch, m.compactorEpoch);
  assert.deepEqual(progress[0], { phase: 'compaction', done: 1, total: undefined });
  assert.equal(rows[0], 4, 'the four L0 rows were rewritten');
  const recorded = await admin.readCompaction(jobs[0]!);
  assert.equal(recorded?.status, 'completed');

  // A second compactor takes the epoch; the first one stops with a fenced error.
  const first = admin.runCompactor(
    { compactorOptions: { pollInterval: '20ms' } },
    new AbortController().signal,
  );
  const second = new AbortController();
  await waitFor(
    async () => (await admin.readManifest())!.manifest.compactorEpoch === result.epoch + 1,
    'epoch 2',
  );
  const secondRun = admin.runCompactor({ compactorOptions: { pollInterval: '20ms' } }, second.signal);
  await assert.rejects(first, (e) => isShaleDBError(e, 'closed', 'FENCED'));
  second.abort();
  assert.equal((await secondRun).epoch, result.epoch + 2);
  await assert.rejects(admin.runCompactor({ blockSize: 0 }, second.signal), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await assert.rejects(admin.runCompactor({ compactorOptions: { bogus: 1 } as never }, second.signal), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
  );
  await db.close();
  await admin.close();
});

test('runCompactor compacts in worker threads (subcompactions spread over them); 0 workers or a merge operator keep it on this thread', async () => {
  const runs: { readonly options: object; readonly inWorkers: boolean }[] = [
    { options: { compactionWorkers: 2 }, inWorkers: true },
    { options: { compactionWorkers: 0 }, inWorkers: false },
    {
      options: {
        compactionWorkers: 2,
        mergeOperator: (_k: Uint8Array, e: Uint8Array | undefined, ops: Uint8Array[]) =>
          Buffer.concat([...(e === undefined ? [] : [e]), ...ops]),
      },
      inWorkers: false,
    },
  ];
  for (const { options, inWorkers } of runs) {
    const store = new MemoryObjectStore();
    const db = await Db.open('db', store, { settings: SETTINGS });
    for (let f = 0; f < 4; f++) {
      for (let i = 0; i < 200; i++) await db.put(`key${i}`, `v${f}-${i}`, { awaitDurable: false });
      await db.flush({ type: 'memtable' });
    }
    const admin = await openAdmin('db', store);
    const before = compactionWorkersStarted();
    const ac = new AbortController();
    const running = admin.runCompactor(
      { compactorOptions: { pollInterval: '20ms', subcompactions: 2 }, ...options },
      ac.signal,
    );
    await waitFor(async () => (await admin.readManifest())!.manifest.compacted.length > 0, 'a sorted run');
    ac.abort();
    const result = await running;
    assert.ok(result.compactionsCompleted >= 1);
    assert.equal(compactionWorkersStarted() > before, inWorkers, JSON.stringify(options));
    for (let i = 0; i < 200; i++) assert.equal(Buffer.from((await db.get(`key${i}`))!).toString(), `v3-${i}`);
    await db.close();
    await admin.close();
  }
});

test('runCompactor rejects bad worker options as invalid settings before it starts', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: SETTINGS });
  const admin = await openAdmin('db', store);
  for (const bad of [
    { compactionWorkers: -1 },
    { compactionWorkers: 1.5 },
    { workerNice: 20 },
    { workerNice: -3 },
  ]) {
    await assert.rejects(admin.runCompactor(bad as never, new AbortController().signal), (e) =>
      isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
    );
  }
  assert.equal((await admin.readManifest())!.manifest.compactorEpoch, 0, 'no compactor started');
  await db.close();
  await admin.close();
});

test('deleteDb: dry run lists, confirm deletes everything under the path and nothing else; idempotent', async () => {
  const store = new MemoryObjectStore();
  for (const path of ['db', 'db2']) {
    const db = await Db.open(path, store, { settings: SETTINGS });
    await writeFlushes(db, 2);
    await db.close();
  }
  const other = await paths(store, 'db2/');
  const mine = await paths(store, 'db/');
  assert.ok(mine.length > 5);
  const admin = await openAdmin('db', store);
  const dry = await admin.deleteDb();
  assert.deepEqual(dry, { dryRun: true, paths: mine, parentCheckpoints: [] });
  assert.deepEqual(await paths(store, 'db/'), mine);
  const progress: AdminProgress[] = [];
  const done = await admin.deleteDb({ confirm: true, onProgress: (p) => progress.push(p) });
  assert.equal(done.dryRun, false);
  assert.deepEqual(done.paths, [...mine, 'db/.deleting'].sort());
  assert.deepEqual(await paths(store, 'db/'), []);
  assert.deepEqual(await paths(store, 'db2/'), other);
  assert.deepEqual(progress[0], { phase: 'delete', done: 0, total: mine.length + 1 });
  assert.deepEqual(progress[progress.length - 1], {
    phase: 'delete',
    done: mine.length + 1,
    total: mine.length + 1,
  });
  assert.ok(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done));
  assert.deepEqual((await admin.deleteDb({ confirm: true })).paths, [], 'already deleted: nothing to do');
  await admin.close();
});

test('deleteDb: refuses a non-database; finishes a half-done delete; strips a clone parent checkpoint', async () => {
  const store = new MemoryObjectStore();
  await store.put('notes/a.txt', new Uint8Array([1]));
  const notes = await openAdmin('notes', store);
  await assert.rejects(notes.deleteDb({ confirm: true }), (e) =>
    isShaleDBError(e, 'data', 'INVALID_DB_STATE'),
  );
  assert.deepEqual(await paths(store, 'notes/'), ['notes/a.txt']);
  // A marker left by an interrupted delete proves it was a database: the rest goes.
  await store.put('notes/.deleting', new Uint8Array(0));
  assert.deepEqual((await notes.deleteDb({ confirm: true })).paths, ['notes/.deleting', 'notes/a.txt']);
  assert.deepEqual(await paths(store, 'notes/'), []);
  await notes.close();
  const whole = await openAdmin('', store);
  await assert.rejects(whole.deleteDb(), (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'));
  await whole.close();

  // A clone's manifest names the checkpoint it pinned in its parent; deleting the clone removes it.
  const parentDb = await Db.open('parent', store, { settings: SETTINGS });
  await writeFlushes(parentDb, 1);
  await parentDb.close();
  const parent = await openAdmin('parent', store);
  const keep = await parent.createDetachedCheckpoint({ name: 'keep' });
  const pin = await parent.createDetachedCheckpoint({ name: 'clone-pin' });
  const pinId = Uuid.parse(pin.id);
  await manifestStore(store, 'clone').write(1, {
    ...newManifest(),
    externalDbs: [{ path: 'parent', sourceCheckpointId: pinId, finalCheckpointId: pinId, sstIds: [] }],
  });
  const clone = await openAdmin('clone', store);
  const dry = await clone.deleteDb();
  assert.deepEqual(dry.parentCheckpoints, [{ path: 'parent', checkpointId: pin.id }]);
  assert.equal((await parent.listCheckpoints()).length, 2);
  const done = await clone.deleteDb({ confirm: true });
  assert.deepEqual(done.parentCheckpoints, [{ path: 'parent', checkpointId: pin.id }]);
  assert.deepEqual(
    (await parent.listCheckpoints()).map((c) => c.id),
    [keep.id],
  );
  assert.deepEqual(await paths(store, 'clone/'), []);
  await assert.rejects(clone.deleteDb({ confirm: 'yes' } as never), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await clone.close();

  // A clone made by createClone: deleting it releases its final checkpoint on the parent.
  const made = await openAdmin('made', store);
  await made.createClone('parent', keep.id);
  const finals = (await made.readManifest())!.manifest.externalDbs.map((e) =>
    e.finalCheckpointId!.toString(),
  );
  assert.equal(finals.length, 1);
  assert.ok((await parent.listCheckpoints()).some((c) => c.id === finals[0]));
  assert.deepEqual((await made.deleteDb({ confirm: true })).parentCheckpoints, [
    { path: 'parent', checkpointId: finals[0]! },
  ]);
  assert.deepEqual(
    (await parent.listCheckpoints()).map((c) => c.id),
    [keep.id],
  );
  await made.close();
  await parent.close();
});

test('submitCompaction: the running compactor executes a submitted spec; full requests; refusals', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: { ...SETTINGS, flushInterval: '10ms' } });
  await writeFlushes(db, 2); // below the scheduler's threshold of four L0s: nothing compacts by itself
  const admin = await openAdmin('db', store);
  await assert.rejects(
    admin.submitCompaction({ sortedRuns: [0] }),
    (e) => isShaleDBError(e, 'data', 'INVALID_DB_STATE'),
    'no compactions file yet',
  );
  await assert.rejects(admin.submitCompaction('full'), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_COMPACTION'),
  );
  const ac = new AbortController();
  const running = admin.runCompactor({ compactorOptions: { pollInterval: '20ms' } }, ac.signal);
  await waitFor(async () => (await admin.readCompactions()) !== undefined, 'the compactor to start');
  const views = (await admin.readManifest())!.manifest.l0.map((s) => (s.viewId ?? s.id).toString());
  assert.equal(views.length, 2);
  const submitted = await admin.submitCompaction({ l0ViewIds: views });
  assert.equal(submitted.status, 'submitted');
  assert.deepEqual(
    submitted.spec.l0ViewIds.map((v) => v.toString()),
    views,
  );
  await waitFor(
    async () => (await admin.readManifest())!.manifest.compacted.length > 0,
    'the submitted compaction',
  );
  assert.equal((await admin.readManifest())!.manifest.l0.length, 0);
  await waitFor(
    async () => (await admin.readCompaction(submitted.id.toString()))?.status === 'completed',
    'the compaction to be recorded as completed',
  );
  const runs = (await admin.readManifest())!.manifest.compacted.map((sr) => sr.id);
  const full = await admin.submitCompaction('full');
  assert.deepEqual(full.spec, { l0ViewIds: [], sortedRuns: runs });
  await assert.rejects(admin.submitCompaction({}), (e) => isShaleDBError(e, 'invalid', 'INVALID_COMPACTION'));
  await assert.rejects(admin.submitCompaction({ l0ViewIds: ['x'] }), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ULID'),
  );
  await assert.rejects(admin.submitCompaction({ sortedRuns: [-1] }), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  ac.abort();
  assert.ok((await running).compactionsCompleted >= 1);
  for (let i = 0; i < 2; i++) assert.equal(Buffer.from((await db.get(`k${i}`))!).toString(), `v${i}`);
  await db.close();
  await admin.close();
});
