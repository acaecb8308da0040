/**
 * Workload 8: ShaleDB alone on the object-store layer's S3 latency model (LatencyModelObjectStore over the local
 * store), against the bound the model implies. Each operation below needs at least one modelled request on its
 * critical path (a durable put: one WAL PUT; a cold get: one ranged GET of a block), so with `c` operations in
 * flight throughput cannot exceed c / floor, where floor = the request's modelled latency plus its transfer time.
 * A cold get waits for a GET only when its block is not cached yet, so its floor is one GET times the measured GETs
 * per get (at most 1). Phases: durable puts at concurrency 1 and 256; random gets right after reopening (cold
 * caches) at the configured concurrencies, over a loaded and settled data set. Requests are counted above the model.
 * Each phase follows the one rule (workload.ts `measuredPhase`): a warm-up of the same operation before the window
 * (durable puts on their own keys; cold gets before the reopen, so only the code is warm) and the engine's drain
 * inside it.
 *
 * Invariants: ShaleDB only; the bound uses the model's own figures, read from the model store.
 * Concurrency: up to `c` operations in flight.
 */
import { type LatencyModel, S3_STANDARD_MODEL } from '../../src/object-store/latency-model-store.js';
import { warmUp } from '../lib/driver.js';
import type { CellResult } from '../lib/result.js';
import { countFor } from '../lib/scale.js';
import { makeBatch } from './put-batch.js';
import { WARMUP_KEY_BASE } from './put-single.js';
import {
  cellFromLoop,
  measuredPhase,
  round,
  type Workload,
  type WorkloadContext,
  withEngine,
} from './workload.js';

/** The model's figures the report shows and the bound uses. */
export type S3ModelFigures = LatencyModel;

/** Block size assumed for a cold get's GET (the default SST block). */
const BLOCK_BYTES = 4096;

/** The S3 model the workload runs on (the object-store layer's default). */
export function s3Model(): S3ModelFigures {
  return S3_STANDARD_MODEL;
}

function boundExtra(floorMs: number, c: number, opsPerSec: number): Record<string, number> {
  const bound = (c * 1000) / floorMs;
  return {
    floorMs: round(floorMs),
    boundOpsPerSec: round(bound),
    ofBoundPct: round((100 * opsPerSec) / bound),
  };
}

async function durablePhases(ctx: WorkloadContext, model: S3ModelFigures): Promise<CellResult[]> {
  const { data, scale, valueBytes: vb, progress } = ctx;
  const cells: CellResult[] = [];
  for (const c of scale.durableConcurrency) {
    const cell = await withEngine(
      ctx,
      `s3-durable-c${c}`,
      { durable: true, s3Model: true },
      async (engine) => {
        const warm = {
          op: (i: number) => engine.put(data.key(WARMUP_KEY_BASE + i), data.value(i, vb), true),
          maxOps: scale.warmupOps,
          capMs: scale.warmupMs,
        };
        const { loop, requests } = await measuredPhase(engine, `s3 durable c${c}`, warm, {
          concurrency: c,
          maxOps: scale.durableOps,
          capMs: scale.s3CapMs,
          prepare: (i) => [data.key(i), data.value(i, vb)] as const,
          op: (_i, [k, v]) => engine.put(k, v, true),
          progress,
        });
        const floor = model.putMs + ((16 + vb) * 1000) / model.bandwidthBytesPerSec;
        const ops = loop.opsPerSec;
        return cellFromLoop(ctx, loop, {
          workload: 's3',
          phase: `durable c${c}`,
          unit: 'op',
          concurrency: c,
          requests,
          extra: boundExtra(floor, c, ops),
        });
      },
    );
    cells.push(cell);
  }
  return cells;
}

async function coldGetPhases(ctx: WorkloadContext, model: S3ModelFigures): Promise<CellResult[]> {
  const { data, scale, valueBytes: vb, progress } = ctx;
  const n = countFor(scale.s3LoadKeys, vb);
  return withEngine(ctx, 's3-get', { durable: false, s3Model: true }, async (engine, options) => {
    progress.phase(`s3 load ${n} keys`);
    for (let b = 0; b * 1000 < n; b++) {
      const { keys, values } = makeBatch(data, 0, b, Math.min(1000, n - b * 1000), vb);
      await engine.putBatch(keys, values, false);
      progress.tick((b + 1) * 1000);
    }
    await engine.drain();
    progress.phase('s3 settle');
    await engine.settle(progress);
    const cells: CellResult[] = [];
    for (const c of scale.s3ColdConcurrency) {
      let misses = 0;
      const get = async (idx: number): Promise<void> => {
        const v = await engine.get(data.key(idx));
        if (!data.checkValue(idx, vb, v)) misses++;
      };
      // The warm-up runs before the reopen: the code is warm, the reopened engine's caches are empty.
      progress.phase(`warm-up: s3 cold gets c${c} (before the reopen)`);
      const wr = data.rand(200 + c);
      await warmUp(() => get(wr.nextInt(n)), scale.warmupOps, scale.warmupMs, c);
      await engine.close();
      await engine.open(options);
      const rand = data.rand(100 + c);
      const measured = await measuredPhase(engine, `s3 cold gets c${c}`, undefined, {
        concurrency: c,
        maxOps: n,
        capMs: scale.s3CapMs,
        prepare: () => rand.nextInt(n),
        op: (_i, idx) => get(idx),
        progress,
      });
      const loop = measured.loop;
      // A get waits for a GET only when its block is not cached: the floor is one GET times the measured
      // GETs per get (at most 1, so the bound stays an upper bound).
      const requests = measured.requests ?? {};
      const gets = (requests['get'] ?? 0) + (requests['head'] ?? 0);
      const perOp = loop.ops > 0 ? Math.min(1, gets / loop.ops) : 1;
      const floor = (model.getMs + (BLOCK_BYTES * 1000) / model.bandwidthBytesPerSec) * perOp;
      const ops = loop.opsPerSec;
      cells.push(
        cellFromLoop(ctx, loop, {
          workload: 's3',
          phase: `cold get c${c}`,
          unit: 'op',
          concurrency: c,
          requests,
          extra: {
            ...(floor > 0 ? boundExtra(floor, c, ops) : {}),
            getsPerOp: round(gets / Math.max(1, loop.ops)),
            keys: n,
            misses,
          },
        }),
      );
    }
    return cells;
  });
}

/** Workload 8. */
export const s3ModelWorkload: Workload = {
  ids: ['s3'],
  title: 'ShaleDB on the S3 latency model',
  appliesTo: (engine) => engine.id === 'shaledb',
  async run(ctx): Promise<CellResult[]> {
    const model = s3Model();
    return [...(await durablePhases(ctx, model)), ...(await coldGetPhases(ctx, model))];
  },
};
