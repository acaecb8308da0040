/**
 * Workload 3: durable puts at concurrency 1 and 256: each put resolves only once the engine's own durability
 * promise holds (SlateDB/ShaleDB: the WAL object is stored, flush interval 100 ms; LevelDB/RocksDB: sync:true;
 * LMDB: committed and flushed). Reports throughput and p50/p99/p99.9 latency; each concurrency gets a fresh
 * database.
 *
 * Invariants: operation i writes key i whichever worker issues it, so every concurrency writes the same keys;
 * the warm-up writes its own keys at the same concurrency; the window ends with the engine's drain (nothing is
 * left to drain after durable writes, but every phase follows the one rule).
 * Concurrency: up to `concurrency` puts in flight.
 */
import type { CellResult } from '../lib/result.js';
import { WARMUP_KEY_BASE } from './put-single.js';
import { cellFromLoop, measuredPhase, type Workload, withEngine } from './workload.js';

/** Workload 3. */
export const putDurableWorkload: Workload = {
  ids: ['durable'],
  title: 'Durable puts',
  appliesTo: () => true,
  async run(ctx): Promise<CellResult[]> {
    const { data, scale, valueBytes: vb, progress } = ctx;
    const cells: CellResult[] = [];
    for (const c of scale.durableConcurrency) {
      const cell = await withEngine(ctx, `durable-c${c}`, { durable: true }, async (engine) => {
        const warm = {
          op: (i: number) => engine.put(data.key(WARMUP_KEY_BASE + i), data.value(i, vb), true),
          maxOps: scale.warmupOps,
          capMs: scale.warmupMs,
        };
        const { loop, requests } = await measuredPhase(engine, `durable c${c}`, warm, {
          concurrency: c,
          maxOps: scale.durableOps,
          capMs: scale.durableCapMs,
          prepare: (i) => [data.key(i), data.value(i, vb)] as const,
          op: (_i, [k, v]) => engine.put(k, v, true),
          progress,
        });
        return cellFromLoop(ctx, loop, {
          workload: 'durable',
          phase: `c${c}`,
          unit: 'op',
          concurrency: c,
          requests,
        });
      });
      cells.push(cell);
    }
    return cells;
  },
};
