/**
 * Workload 9: event-loop delay while ingesting at a fixed rate. Batches of 1 000 non-durable puts are issued on a
 * schedule (100 000 keys/s at 100 B, 25 000 keys/s at 1 KiB), with a turn of the event loop between batches, while
 * `monitorEventLoopDelay` records the gap between ticks of a 1 ms timer (about 1.1 ms when the loop is idle). An engine that encodes flushes on the JavaScript thread
 * shows it here; engines that work on their own threads show only their binding's cost. Throughput is what the engine
 * sustained (at most the target). As every phase: a warm-up (the same paced batches on the warm-up keys, then the
 * engine's drain) precedes the window, and the window ends with the engine's drain (for ShaleDB and SlateDB, the
 * WAL flush of the last batches), which the delay monitor and the elapsed time include.
 *
 * Invariants: batch b is due at start + b * interval and never issued earlier; a batch behind schedule is issued
 * after one setImmediate turn, so the harness itself never holds the loop; keys come from their own index range.
 * Concurrency: one batch in flight.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchEngine } from '../engines/engine.js';
import { LatencyHistogram } from '../lib/histogram.js';
import type { CellResult } from '../lib/result.js';
import { nowMs } from '../lib/timer.js';
import { makeBatch } from './put-batch.js';
import { WARMUP_KEY_BASE } from './put-single.js';
import {
  requestDelta,
  requestSnapshot,
  round,
  type Workload,
  type WorkloadContext,
  withEngine,
} from './workload.js';

/** Index offset of this workload's keys (disjoint from every other range). */
const LOOP_KEY_BASE = 4_000_000_000;

const NS_PER_US = 1000;

/**
 * Issues `size`-key batches from index `base` on the schedule (one every `intervalMs`) for `durationMs`; records
 * each batch's latency in `batches` when given. Returns the batches issued.
 */
async function paced(
  ctx: WorkloadContext,
  engine: BenchEngine,
  base: number,
  intervalMs: number,
  durationMs: number,
  batches?: LatencyHistogram,
): Promise<number> {
  const size = ctx.scale.batchSize;
  const start = nowMs();
  let b = 0;
  for (;;) {
    const now = nowMs();
    if (now - start >= durationMs) break;
    const due = start + b * intervalMs;
    if (due > now) await sleep(due - now);
    else await new Promise((resolve) => setImmediate(resolve));
    const { keys, values } = makeBatch(ctx.data, base, b, size, ctx.valueBytes);
    const t0 = nowMs();
    await engine.putBatch(keys, values, false);
    batches?.recordMs(nowMs() - t0);
    b++;
    if (batches !== undefined) ctx.progress.tick(b * size);
  }
  return b;
}

/** Workload 9. */
export const loopDelayWorkload: Workload = {
  ids: ['loop'],
  title: 'Event-loop delay while ingesting at a fixed rate',
  appliesTo: () => true,
  async run(ctx): Promise<CellResult[]> {
    const { scale, valueBytes: vb, progress } = ctx;
    const size = scale.batchSize;
    const target = scale.loopKeysPerSec[vb] ?? scale.loopKeysPerSec[100]!;
    const intervalMs = (size * 1000) / target;
    const cell = await withEngine(ctx, 'loop', { durable: false }, async (engine) => {
      progress.phase(`warm-up: batches at ${target} keys/s`);
      await paced(ctx, engine, WARMUP_KEY_BASE, intervalMs, scale.warmupMs);
      await engine.drain();
      const before = requestSnapshot(engine);
      progress.phase(`batches at ${target} keys/s`, scale.loopMs);
      const batches = new LatencyHistogram();
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const start = nowMs();
      const b = await paced(ctx, engine, LOOP_KEY_BASE, intervalMs, scale.loopMs, batches);
      const drainStart = nowMs();
      await engine.drain();
      const end = nowMs();
      const elapsedMs = end - start;
      loop.disable();
      const requests = requestDelta(engine, before);
      const keys = b * size;
      const perBatch = batches.summary();
      return {
        workload: 'loop',
        phase: 'paced',
        engine: ctx.engine.id,
        valueBytes: vb,
        unit: 'key',
        concurrency: 1,
        ops: keys,
        elapsedMs: Math.round(elapsedMs),
        opsPerSec: Math.round((keys * 1000) / elapsedMs),
        latency: {
          n: loop.count,
          minUs: loop.min / NS_PER_US,
          meanUs: loop.mean / NS_PER_US,
          p50Us: loop.percentile(50) / NS_PER_US,
          p99Us: loop.percentile(99) / NS_PER_US,
          p999Us: loop.percentile(99.9) / NS_PER_US,
          maxUs: loop.max / NS_PER_US,
        },
        requests,
        extra: {
          targetKeysPerSec: target,
          batchP99Us: perBatch?.p99Us ?? 0,
          batchMaxUs: perBatch?.maxUs ?? 0,
          drainMs: round(end - drainStart),
        },
      } satisfies CellResult;
    });
    return [cell];
  },
};
