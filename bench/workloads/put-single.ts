/**
 * Workload 1: non-durable puts, one at a time: each put awaited before the next, in the engine's fastest mode that
 * still writes (see bench/README.md), into a fresh database.
 *
 * Invariants: keys 0.. in index order (random key order); warm-up keys come from a separate index range, so the
 * measured puts are all inserts of new keys; the window ends with the engine's drain (for ShaleDB and SlateDB the
 * WAL flush that puts the phase's writes in the store), and the warm-up's own writes are drained before it.
 * Concurrency: one operation in flight.
 */
import type { CellResult } from '../lib/result.js';
import { cellFromLoop, measuredPhase, type Workload, withEngine } from './workload.js';

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
      const warm = {
        op: (i: number) => engine.put(data.key(WARMUP_KEY_BASE + i), data.value(i, vb), false),
        maxOps: scale.warmupOps,
        capMs: scale.warmupMs,
      };
      const { loop, requests } = await measuredPhase(engine, 'single puts', warm, {
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
        requests,
      });
    });
    return [cell];
  },
};
