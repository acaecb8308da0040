/**
 * Compaction in worker threads: for the same inputs, a compaction run by workers writes exactly the SST bytes the
 * in-thread executor writes (every codec, one range and several), its rows are the in-thread rows (tombstones,
 * TTL expiry, versions kept for snapshots), a crashed worker fails the job with a typed error and the next job
 * runs on a fresh worker, aborted jobs stop, and closing the pool terminates its workers. Reads a store hands over
 * whole (`GetResult.owned`) move to the worker without a copy; other reads are copied, so the store's memory stays
 * intact.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CompactedSsTable, SortedRun } from '../format/manifest.js';
import { compactedSstPath } from '../format/object-paths.js';
import { makeRow, type RowEntry } from '../format/row.js';
import { collectRows, type RowIterator } from '../format/row-iterator.js';
import { SstReader } from '../format/sst-reader.js';
import { LocalObjectStore } from '../object-store/local-store.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { GetOptions, GetResult, ObjectStore } from '../object-store/object-store.js';
import type { CompressionCodec } from '../store/settings.js';
import { TableStore } from '../store/table-store.js';
import { ManualClock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import { SeededRand } from '../util/random.js';
import { type CompactionJob, type ExecutorOptions, executeCompaction } from './executor.js';
import { CompactionWorkerPool } from './worker-pool.js';

const enc = (s: string) => new TextEncoder().encode(s);

function arrayRows(rows: RowEntry[]): RowIterator {
  let i = 0;
  return { next: () => rows[i++], seek: () => {}, close: () => {} };
}

function tableStore(store: ObjectStore, codec: CompressionCodec): TableStore {
  return new TableStore(store, 'db', {
    codec,
    blockSize: 1024,
    minFilterKeys: 10,
    filterBitsPerKey: 10,
    blockCacheBytes: 0,
  });
}

/**
 * Four L0s of overlapping keys: several versions per key, tombstones, rows with expiry before and after the job's
 * tick; seqs ascend with the L0 (the newest L0 is first in the job).
 */
async function inputs(ts: TableStore, seed: number): Promise<CompactedSsTable[]> {
  const rand = new SeededRand(seed);
  const l0: CompactedSsTable[] = [];
  let seq = 1;
  for (let n = 0; n < 4; n++) {
    const rows: RowEntry[] = [];
    for (let i = 0; i < 1500; i++) {
      const key = enc(`k${String((i * 7 + n * 13) % 2000).padStart(5, '0')}`);
      const r = rand.nextU32() % 10;
      const value = enc(`v${n}-${i}-${'x'.repeat(r * 9)}`);
      if (r === 0) rows.push(makeRow(key, seq++, 'tombstone', undefined, 1000));
      else if (r === 1) rows.push(makeRow(key, seq++, 'value', value, 1000, 5000));
      else if (r === 2) rows.push(makeRow(key, seq++, 'value', value, 1000, 50_000));
      else rows.push(makeRow(key, seq++, 'value', value, 1000));
    }
    rows.sort((a, b) => Buffer.compare(a.key, b.key) || b.seq - a.seq);
    const dedup = rows.filter((r, i) => i === 0 || Buffer.compare(r.key, rows[i - 1]!.key) !== 0);
    const id = Ulid.generate(1_000_000 + n, rand);
    l0.unshift(await ts.writeL0(id, arrayRows(dedup)));
  }
  return l0;
}

function job(l0: CompactedSsTable[], retentionMinSeq: number): CompactionJob {
  return {
    id: Ulid.generate(2_000_000, new SeededRand(9)),
    destination: 0,
    l0,
    sortedRuns: [],
    retentionMinSeq,
    isDestLastRun: true,
    expiryTickMs: 10_000,
  };
}

function options(ts: TableStore, extra: Partial<ExecutorOptions> = {}): ExecutorOptions {
  return {
    tableStore: ts,
    clock: new ManualClock(3_000_000),
    rand: new SeededRand(5),
    mergeOperator: undefined,
    maxSstSize: 24 * 1024,
    subcompactions: 1,
    readAheadBytes: 16 * 1024,
    uploadChunkBytes: 8 * 1024,
    signal: new AbortController().signal,
    ...extra,
  };
}

async function outputBytes(store: ObjectStore, run: SortedRun): Promise<Uint8Array[]> {
  return Promise.all(run.ssts.map(async (s) => (await store.get(compactedSstPath('db', s.id))).bytes));
}

async function runRows(ts: TableStore, run: SortedRun): Promise<string[]> {
  const out: string[] = [];
  for (const s of run.ssts) {
    const r = await SstReader.open(ts.store, compactedSstPath('db', s.id), {
      formatVersion: s.formatVersion,
    });
    for (const row of await collectRows(r.iter()))
      out.push(`${Buffer.from(row.key)}@${row.seq}:${row.kind}:${Buffer.from(row.value)}:${row.expireTs}`);
  }
  return out;
}

test('workers write the same SST bytes as the in-thread executor, for every codec and subcompaction count', async () => {
  const pool = new CompactionWorkerPool(2);
  try {
    for (const codec of [null, 'snappy', 'lz4', 'zstd', 'zlib'] as CompressionCodec[]) {
      const store = new MemoryObjectStore();
      const ts = tableStore(store, codec);
      const l0 = await inputs(ts, 11);
      for (const subcompactions of [1, 3]) {
        // Half the versions stay for snapshots (retentionMinSeq), so older versions and tombstones are kept too.
        for (const retention of [Number.MAX_SAFE_INTEGER, 3000]) {
          const j = job(l0, retention);
          const inThread = await executeCompaction(j, options(ts, { subcompactions }));
          const inWorkers = await executeCompaction(
            j,
            options(ts, { subcompactions, workers: pool, rand: new SeededRand(6) }),
          );
          const what = `${codec} x${subcompactions} retention ${retention}`;
          assert.ok(inThread.run.ssts.length > 1, `${what}: several output SSTs`);
          assert.deepEqual(
            await outputBytes(store, inWorkers.run),
            await outputBytes(store, inThread.run),
            what,
          );
          assert.deepEqual(
            inWorkers.run.ssts.map((s) => [s.info, s.formatVersion]),
            inThread.run.ssts.map((s) => [s.info, s.formatVersion]),
            what,
          );
          assert.deepEqual(inWorkers.stats, inThread.stats, what);
          // Ids are fresh ULIDs from each executor's own rand (so the two runs' outputs are distinct objects).
          const ids = new Set([...inThread.run.ssts, ...inWorkers.run.ssts].map((s) => `${s.id}`));
          assert.equal(ids.size, inThread.run.ssts.length * 2, what);
        }
      }
    }
    assert.ok(pool.started >= 1 && pool.started <= 2, `${pool.started} workers started`);
  } finally {
    await pool.close();
  }
});

/** A memory store whose gets hand out fresh whole buffers, marked owned or not; it keeps every result it gave. */
class HandingOverStore extends MemoryObjectStore {
  readonly given: GetResult[] = [];
  constructor(readonly owned: boolean) {
    super();
  }
  override async get(path: string, options?: GetOptions): Promise<GetResult> {
    const r = await super.get(path, options);
    const bytes = new Uint8Array(r.bytes.length);
    bytes.set(r.bytes);
    const out = { ...r, bytes, ...(this.owned ? { owned: true } : {}) };
    this.given.push(out);
    return out;
  }
}

test('a read the store hands over whole (owned) moves to the worker without a copy; any other read is copied', async () => {
  const pool = new CompactionWorkerPool(1);
  try {
    for (const owned of [true, false]) {
      const store = new HandingOverStore(owned);
      const ts = tableStore(store, 'lz4');
      const l0 = await inputs(ts, 13);
      const inThread = await executeCompaction(job(l0, Number.MAX_SAFE_INTEGER), options(ts));
      const before = store.given.length;
      const inWorkers = await executeCompaction(
        job(l0, Number.MAX_SAFE_INTEGER),
        options(ts, { workers: pool, rand: new SeededRand(6) }),
      );
      const relayed = store.given.slice(before);
      assert.ok(relayed.length > 4, `${relayed.length} reads relayed`);
      // Transferred buffers are detached here (length 0); copied ones keep their bytes.
      const detached = relayed.filter((r) => r.bytes.byteLength === 0).length;
      assert.equal(detached, owned ? relayed.length : 0, `owned ${owned}`);
      assert.deepEqual(await outputBytes(store, inWorkers.run), await outputBytes(store, inThread.run));
    }
  } finally {
    await pool.close();
  }
});

test('the local store hands over large reads whole (owned), on the sync and the async path; small pooled ones not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'owned-'));
  try {
    const store = new LocalObjectStore(dir, { durability: 'none', syncReadBytesMax: 64 * 1024 });
    const data = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    await store.put('obj', data);
    // Whole object and 100 000 bytes: the async path; 20 000 bytes: the sync path; 100 bytes: a pooled buffer.
    const cases = [
      { range: undefined, owned: true },
      { range: { offset: 5, length: 100_000 }, owned: true },
      { range: { offset: 7, length: 20_000 }, owned: true },
      { range: { offset: 10, length: 100 }, owned: false },
    ];
    for (const { range, owned } of cases) {
      const r = await store.get('obj', range === undefined ? {} : { range });
      assert.equal(r.owned, owned, JSON.stringify(range));
      if (owned) assert.equal(r.bytes.byteLength, r.bytes.buffer.byteLength, 'the result spans its buffer');
      const from = range?.offset ?? 0;
      assert.ok(Buffer.from(data.subarray(from, from + r.bytes.length)).equals(r.bytes));
      assert.equal(r.bytes.length, range?.length ?? data.length);
    }
    const mem = new MemoryObjectStore();
    await mem.put('obj', data);
    assert.notEqual((await mem.get('obj')).owned, true, 'the memory store keeps its objects');
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('rows compacted by workers apply tombstones, expiry and snapshot retention', async () => {
  const store = new MemoryObjectStore();
  const ts = tableStore(store, 'lz4');
  const l0 = await inputs(ts, 12);
  const pool = new CompactionWorkerPool(1);
  try {
    const { run } = await executeCompaction(job(l0, Number.MAX_SAFE_INTEGER), options(ts, { workers: pool }));
    // The model: the newest version of each key, minus tombstones and rows expired at the job's tick.
    const newest = new Map<string, RowEntry>();
    for (const s of [...l0].reverse()) {
      const r = await SstReader.open(store, compactedSstPath('db', s.id), { formatVersion: s.formatVersion });
      for (const row of await collectRows(r.iter())) newest.set(Buffer.from(row.key).toString(), row);
    }
    const model = [...newest.entries()]
      .filter(([, r]) => r.kind === 'value' && (r.expireTs === undefined || r.expireTs > 10_000))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, r]) => `${k}@${r.seq}:value:${Buffer.from(r.value)}:${r.expireTs}`);
    assert.ok(model.length > 500);
    assert.deepEqual(await runRows(ts, run), model);
    // With every version retained for a snapshot, older versions survive too.
    const kept = await executeCompaction(job(l0, 0), options(ts, { workers: pool }));
    const keptRows = await runRows(ts, kept.run);
    assert.ok(keptRows.length > model.length);
    assert.ok(keptRows.some((r) => r.includes(':tombstone:')));
  } finally {
    await pool.close();
  }
});

/** A store whose gets wait at a gate while `gated` is set. */
class GatedStore extends MemoryObjectStore {
  gated = false;
  #arrived: (() => void) | undefined;
  #release: (() => void) | undefined;
  #gate: Promise<void> = Promise.resolve();

  arm(): Promise<void> {
    this.gated = true;
    this.#gate = new Promise((r) => {
      this.#release = r;
    });
    return new Promise((r) => {
      this.#arrived = r;
    });
  }

  open(): void {
    this.gated = false;
    this.#release?.();
  }

  override async get(path: string, options?: GetOptions): Promise<GetResult> {
    if (this.gated) {
      this.#arrived?.();
      await this.#gate;
    }
    return super.get(path, options);
  }
}

test('a crashed worker fails the job with COMPACTION_WORKER_FAILED; the next job runs on a new worker', async () => {
  const store = new GatedStore();
  const ts = tableStore(store, 'snappy');
  const l0 = await inputs(ts, 13);
  const pool = new CompactionWorkerPool(1);
  try {
    const expected = await outputBytes(store, (await executeCompaction(job(l0, 0), options(ts))).run);
    const arrived = store.arm();
    const failing = executeCompaction(job(l0, 0), options(ts, { workers: pool }));
    await arrived;
    pool.crashWorkersForTesting();
    await assert.rejects(failing, (e) => isShaleDBError(e, 'unavailable', 'COMPACTION_WORKER_FAILED'));
    store.open();
    assert.equal(pool.workerCount, 0);
    const again = await executeCompaction(job(l0, 0), options(ts, { workers: pool }));
    assert.deepEqual(await outputBytes(store, again.run), expected);
    assert.equal(pool.started, 2);
  } finally {
    await pool.close();
  }
});

test('aborted jobs stop their worker tasks; close terminates the workers and rejects new tasks', async () => {
  const store = new GatedStore();
  const ts = tableStore(store, null);
  const l0 = await inputs(ts, 14);
  const pool = new CompactionWorkerPool(2);
  const ac = new AbortController();
  const arrived = store.arm();
  // Two jobs of one range each: one task per worker, both waiting for a read.
  const running = [1, 2].map((seed) =>
    executeCompaction(
      job(l0, 0),
      options(ts, { workers: pool, signal: ac.signal, rand: new SeededRand(seed) }),
    ),
  );
  await arrived;
  ac.abort(new Error('stop'));
  for (const r of running) await assert.rejects(r, /stop/);
  store.open();
  assert.equal(pool.workerCount, 2);
  await pool.close();
  assert.equal(pool.workerCount, 0);
  await assert.rejects(executeCompaction(job(l0, 0), options(ts, { workers: pool })), (e) =>
    isShaleDBError(e, 'closed'),
  );
});
