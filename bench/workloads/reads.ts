/**
 * Workloads 4-6 on one loaded data set per engine and value size: N keys written with 1 000-key non-durable
 * batches in random key order, then settled (flushed to the engine's sorted files and compacted), then:
 *   4. random gets from a cold start (the database reopened: empty caches; the OS page cache stays warm) and warm
 *      (after a warm-up), plus batched gets (`getMany`) where the engine has them;
 *   5. a full scan in key order (capped in time) and 100-key range scans from random start keys;
 *   6. a mix of 80% gets and 20% non-durable puts (overwrites of loaded keys, same values).
 * Loading is the expensive part, so the three workloads share the data set and always run in this order (mixed
 * last, as it writes). Every get is checked against the loaded value, and scans against key order.
 *
 * Every phase follows the one rule (workload.ts `measuredPhase`): a warm-up of the same operation on its own random
 * stream before the window (for cold gets, before the reopen, so the caches stay empty and only the code is warm),
 * and the engine's drain inside the window (mixed is the phase that has writes to drain; the load rate includes its
 * drain too).
 *
 * Invariants: only phases of selected workloads run; the same random key streams are used for every engine.
 * Concurrency: one operation in flight.
 */

import { compareBytes } from '../../src/util/bytes.js';
import type { BenchEngine, EngineOpenOptions } from '../engines/engine.js';
import { warmUp } from '../lib/driver.js';
import type { CellResult } from '../lib/result.js';
import { loadKeysFor } from '../lib/scale.js';
import { nowMs } from '../lib/timer.js';
import { makeBatch } from './put-batch.js';
import {
  cellFromLoop,
  measuredPhase,
  requestDelta,
  requestSnapshot,
  round,
  type Workload,
  type WorkloadContext,
  withEngine,
} from './workload.js';

/** Random-stream ids, so each phase (and each warm-up) draws its own keys. */
const STREAM = {
  cold: 1,
  warm: 2,
  warmup: 3,
  many: 4,
  range: 5,
  mixed: 6,
  coldWarmup: 7,
  manyWarmup: 8,
  fullWarmup: 9,
  rangeWarmup: 10,
  mixedWarmup: 11,
} as const;

/** Loads `n` keys with batches and returns the load rate. */
interface Setup {
  readonly extra: Record<string, number>;
  readonly notes: readonly string[];
}

async function load(ctx: WorkloadContext, engine: BenchEngine, n: number): Promise<Setup> {
  const size = 1000;
  ctx.progress.phase(`load ${n} keys`);
  const t0 = nowMs();
  for (let b = 0; b * size < n; b++) {
    const { keys, values } = makeBatch(ctx.data, 0, b, Math.min(size, n - b * size), ctx.valueBytes);
    await engine.putBatch(keys, values, false);
    ctx.progress.tick((b + 1) * size);
  }
  await engine.drain();
  const loadMs = nowMs() - t0;
  ctx.progress.phase('settle');
  const settled = await engine.settle(ctx.progress);
  return {
    extra: {
      keys: n,
      loadMs: round(loadMs),
      loadKeysPerSec: round((n * 1000) / loadMs),
      settleMs: round(settled.ms),
    },
    notes: settled.notes.map((x) => `settle: ${x}`),
  };
}

/** A get that checks the value; counts misses in `misses.n`. */
function checkedGet(ctx: WorkloadContext, engine: BenchEngine, misses: { n: number }) {
  return (i: number, key: Buffer): unknown => {
    const r = engine.get(key);
    const check = (v: Uint8Array | undefined): void => {
      if (!ctx.data.checkValue(i, ctx.valueBytes, v)) misses.n++;
    };
    if (r instanceof Promise) return r.then(check);
    check(r as Uint8Array | undefined);
    return undefined;
  };
}

async function coldGets(
  ctx: WorkloadContext,
  engine: BenchEngine,
  options: EngineOpenOptions,
  n: number,
  setup: Setup,
): Promise<CellResult> {
  const misses = { n: 0 };
  // The warm-up runs before the reopen: the code is warm, the reopened engine's caches are empty.
  ctx.progress.phase('warm-up: cold gets (before the reopen)');
  const wr = ctx.data.rand(STREAM.coldWarmup);
  const warmGet = checkedGet(ctx, engine, misses);
  await warmUp(
    () => {
      const idx = wr.nextInt(n);
      return warmGet(idx, ctx.data.key(idx));
    },
    ctx.scale.warmupOps,
    ctx.scale.warmupMs,
  );
  ctx.progress.phase('reopen (cold)');
  await engine.close();
  const t0 = nowMs();
  await engine.open(options);
  const openMs = nowMs() - t0;
  const rand = ctx.data.rand(STREAM.cold);
  const get = checkedGet(ctx, engine, misses);
  const { loop, requests } = await measuredPhase(engine, 'cold gets', undefined, {
    concurrency: 1,
    maxOps: ctx.scale.coldGetOps,
    capMs: ctx.scale.coldGetCapMs,
    prepare: () => rand.nextInt(n),
    op: (_i, idx) => get(idx, ctx.data.key(idx)),
    progress: ctx.progress,
  });
  return cellFromLoop(ctx, loop, {
    workload: 'get',
    phase: 'cold',
    unit: 'op',
    concurrency: 1,
    requests,
    extra: { ...setup.extra, openMs: round(openMs), misses: misses.n },
    notes: setup.notes,
  });
}

async function warmGets(ctx: WorkloadContext, engine: BenchEngine, n: number): Promise<CellResult[]> {
  const misses = { n: 0 };
  const get = checkedGet(ctx, engine, misses);
  const wr = ctx.data.rand(STREAM.warmup);
  const warm = {
    op: () => {
      const idx = wr.nextInt(n);
      return get(idx, ctx.data.key(idx));
    },
    maxOps: n,
    capMs: ctx.scale.getWarmupMs,
  };
  const rand = ctx.data.rand(STREAM.warm);
  const { loop, requests } = await measuredPhase(engine, 'warm gets', warm, {
    concurrency: 1,
    maxOps: ctx.scale.getOps,
    capMs: ctx.scale.getCapMs,
    prepare: () => rand.nextInt(n),
    op: (_i, idx) => get(idx, ctx.data.key(idx)),
    progress: ctx.progress,
  });
  const cells = [
    cellFromLoop(ctx, loop, {
      workload: 'get',
      phase: 'warm',
      unit: 'op',
      concurrency: 1,
      requests,
      extra: { misses: misses.n },
    }),
  ];
  if (engine.capabilities.getMany && engine.getMany !== undefined) cells.push(await manyGets(ctx, engine, n));
  return cells;
}

async function manyGets(ctx: WorkloadContext, engine: BenchEngine, n: number): Promise<CellResult> {
  const size = ctx.scale.getManySize;
  const rand = ctx.data.rand(STREAM.many);
  let misses = 0;
  const many = async (idxs: readonly number[]): Promise<void> => {
    const vals = await engine.getMany!(idxs.map((i) => ctx.data.key(i)));
    for (let j = 0; j < idxs.length; j++)
      if (!ctx.data.checkValue(idxs[j]!, ctx.valueBytes, vals[j])) misses++;
  };
  const wr = ctx.data.rand(STREAM.manyWarmup);
  const warm = {
    op: () => many(Array.from({ length: size }, () => wr.nextInt(n))),
    maxOps: Math.max(1, Math.floor(ctx.scale.warmupOps / size)),
    capMs: ctx.scale.warmupMs,
  };
  const { loop, requests } = await measuredPhase(engine, `getMany(${size})`, warm, {
    concurrency: 1,
    maxOps: Math.max(1, Math.floor(ctx.scale.getOps / size)),
    capMs: ctx.scale.getCapMs,
    prepare: () => Array.from({ length: size }, () => rand.nextInt(n)),
    op: (_i, idxs) => many(idxs),
    itemsPerOp: size,
    progress: ctx.progress,
  });
  return cellFromLoop(ctx, loop, {
    workload: 'get',
    phase: `many${size}`,
    unit: 'key',
    concurrency: 1,
    unitsPerOp: size,
    requests,
    extra: { misses },
  });
}

async function fullScan(ctx: WorkloadContext, engine: BenchEngine, n: number): Promise<CellResult> {
  const cap = ctx.scale.fullScanCapMs;
  let prev: Uint8Array | undefined;
  let disorder = 0;
  let badValues = 0;
  let seen = 0;
  // Warm-up: the same operation, a scan in key order, from a random start key for at most warmupOps rows.
  ctx.progress.phase('warm-up: full scan');
  const start = ctx.data.key(ctx.data.rand(STREAM.fullWarmup).nextInt(n));
  const warmDeadline = nowMs() + ctx.scale.warmupMs;
  await engine.scan({ gte: start, limit: ctx.scale.warmupOps }, () => nowMs() < warmDeadline);
  await engine.drain();
  const before = requestSnapshot(engine);
  ctx.progress.phase('full scan', cap);
  const t0 = nowMs();
  const deadline = t0 + cap;
  const rows = await engine.scan({}, (k, v) => {
    if (prev !== undefined && compareBytes(prev, k) >= 0) disorder++;
    if (v.length !== ctx.valueBytes) badValues++;
    prev = k;
    if ((++seen & 1023) !== 0) return true;
    ctx.progress.tick(seen);
    return nowMs() < deadline;
  });
  const drainStart = nowMs();
  await engine.drain();
  const drainMs = nowMs() - drainStart;
  const ms = nowMs() - t0;
  const complete = rows >= n ? 1 : 0;
  return {
    workload: 'scan',
    phase: 'full',
    engine: ctx.engine.id,
    valueBytes: ctx.valueBytes,
    unit: 'row',
    concurrency: 1,
    ops: rows,
    elapsedMs: round(ms),
    opsPerSec: round((rows * 1000) / ms),
    requests: requestDelta(engine, before),
    extra: { rows, keys: n, complete, disorder, badValues, drainMs: round(drainMs) },
    notes: complete ? [] : [`stopped at the ${cap} ms cap after ${rows} of ${n} rows`],
  };
}

async function rangeScans(ctx: WorkloadContext, engine: BenchEngine, n: number): Promise<CellResult> {
  const rows = ctx.scale.rangeRows;
  const rand = ctx.data.rand(STREAM.range);
  let total = 0;
  let short = 0;
  const wr = ctx.data.rand(STREAM.rangeWarmup);
  const warm = {
    op: () => engine.scan({ gte: ctx.data.key(wr.nextInt(n)), limit: rows }, () => undefined),
    maxOps: ctx.scale.warmupOps,
    capMs: ctx.scale.warmupMs,
  };
  const { loop, requests } = await measuredPhase(engine, `${rows}-key range scans`, warm, {
    concurrency: 1,
    maxOps: ctx.scale.rangeScanOps,
    capMs: ctx.scale.rangeScanCapMs,
    prepare: () => ctx.data.key(rand.nextInt(n)),
    op: async (_i, start) => {
      const got = await engine.scan({ gte: start, limit: rows }, () => undefined);
      total += got;
      if (got < rows) short++;
    },
    progress: ctx.progress,
  });
  return cellFromLoop(ctx, loop, {
    workload: 'scan',
    phase: `range${rows}`,
    unit: 'scan',
    concurrency: 1,
    requests,
    extra: { rowsPerSec: round((total * 1000) / loop.elapsedMs), shortScans: short },
  });
}

async function mixed(ctx: WorkloadContext, engine: BenchEngine, n: number): Promise<CellResult> {
  const rand = ctx.data.rand(STREAM.mixed);
  const misses = { n: 0 };
  const get = checkedGet(ctx, engine, misses);
  let puts = 0;
  /** One mixed operation: a checked get, or an overwrite of the key with its loaded value. */
  const op = (idx: number, isGet: boolean): unknown => {
    const key = ctx.data.key(idx);
    if (isGet) return get(idx, key);
    return engine.put(key, ctx.data.value(idx, ctx.valueBytes), false);
  };
  const wr = ctx.data.rand(STREAM.mixedWarmup);
  const warm = {
    op: () => op(wr.nextInt(n), wr.nextFloat() < 0.8),
    maxOps: ctx.scale.warmupOps,
    capMs: ctx.scale.warmupMs,
  };
  const { loop, requests } = await measuredPhase(engine, 'mixed 80/20', warm, {
    concurrency: 1,
    maxOps: ctx.scale.mixedOps,
    capMs: ctx.scale.mixedCapMs,
    prepare: () => ({ idx: rand.nextInt(n), isGet: rand.nextFloat() < 0.8 }),
    op: (_i, { idx, isGet }) => {
      if (!isGet) puts++;
      return op(idx, isGet);
    },
    progress: ctx.progress,
  });
  return cellFromLoop(ctx, loop, {
    workload: 'mixed',
    phase: '80/20',
    unit: 'op',
    concurrency: 1,
    requests,
    extra: { puts, misses: misses.n },
  });
}

/** Workloads 4, 5 and 6. */
export const readsWorkload: Workload = {
  ids: ['get', 'scan', 'mixed'],
  title: 'Reads over a loaded, settled data set',
  appliesTo: () => true,
  async run(ctx): Promise<CellResult[]> {
    const n = loadKeysFor(ctx.scale, ctx.valueBytes);
    return withEngine(ctx, 'reads', { durable: false }, async (engine, options) => {
      const setup = await load(ctx, engine, n);
      const cells: CellResult[] = [];
      const want = ctx.selected;
      if (want.has('get')) cells.push(await coldGets(ctx, engine, options, n, setup));
      if (want.has('get')) cells.push(...(await warmGets(ctx, engine, n)));
      if (want.has('scan')) cells.push(await fullScan(ctx, engine, n), await rangeScans(ctx, engine, n));
      if (want.has('mixed')) cells.push(await mixed(ctx, engine, n));
      return cells;
    });
  },
};
