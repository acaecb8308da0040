/**
 * Workload 1: non-durable puts, one at a time: each put awaited before the next, in the engine's fastest mode that
 * still writes (see bench/README.md), into a fresh database.
 *
 * Invariants: keys 0.. in index order (random key order); warm-up keys come from a separate index range, so the
 * measured puts are all inserts of new keys.
 * Concurrency: one operation in flight.
 */
import { runLoop, warmUp } from '../lib/driver.js';
import type { CellResult } from '../lib/result.js';
import { cellFromLoop, requestDelta, requestSnapshot, type Workload, withEngine } from './workload.js';

/** Index offset of warm-up keys (disjoint from every measured range). */
export const WARMUP_KEY_BASE = 3_000_000_000;

/** Workload 1. */
export const putSingleWorkload: Workload = {
  ids: ['put'],
  title: 'Non-durable puts, one at a time',
  appliesTo: () => true,
  async run(ctx): Promise<CellResult[]> {
    const { data, scale, valueBytes: vb, progress } = ctx;
    const cell = await withEngine(ctx, 'put', { durable: false }, async (engine) => {
      progress.phase('warm-up');
      await warmUp(
        (i) => engine.put(data.key(WARMUP_KEY_BASE + i), data.value(i, vb), false),
        scale.warmupOps,
        scale.warmupMs,
      );
      const before = requestSnapshot(engine);
      progress.phase('single puts', scale.putCapMs);
      const loop = await runLoop({
        concurrency: 1,
        maxOps: scale.putOps,
        capMs: scale.putCapMs,
        prepare: (i) => [data.key(i), data.value(i, vb)] as const,
        op: (_i, [k, v]) => engine.put(k, v, false),
        progress,
      });
      return cellFromLoop(ctx, loop, {
        workload: 'put',
        phase: 'single',
        unit: 'op',
        concurrency: 1,
        requests: requestDelta(engine, before),
      });
    });
    return [cell];
  },
};
