/**
 * Workload 2: batched puts, `batchSize` (1 000) keys per atomic batch, each batch awaited before the next, in the
 * non-durable mode, into a fresh database. Throughput is in keys per second; latency is per batch.
 *
 * Invariants: batch b holds keys b*size .. (b+1)*size - 1; batches are built before their timer starts; warm-up
 * batches use their own key range and are drained before the window, which ends with the engine's drain.
 * Concurrency: one batch in flight.
 */
import type { CellResult } from '../lib/result.js';
import { WARMUP_KEY_BASE } from './put-single.js';
import { cellFromLoop, measuredPhase, type Workload, withEngine } from './workload.js';

/** Keys and values of batch `b`. */
export function makeBatch(
  data: { key(i: number): Buffer; value(i: number, size: number): Buffer },
  base: number,
  b: number,
  size: number,
  valueBytes: number,
): { keys: Buffer[]; values: Buffer[] } {
  const keys: Buffer[] = new Array(size);
  const values: Buffer[] = new Array(size);
  for (let j = 0; j < size; j++) {
    const i = base + b * size + j;
    keys[j] = data.key(i);
    values[j] = data.value(i, valueBytes);
  }
  return { keys, values };
}

/** Workload 2. */
export const putBatchWorkload: Workload = {
  ids: ['batch'],
  title: 'Batched puts (1 000 keys per batch)',
  appliesTo: () => true,
  async run(ctx): Promise<CellResult[]> {
    const { data, scale, valueBytes: vb, progress } = ctx;
    const size = scale.batchSize;
    const cell = await withEngine(ctx, 'batch', { durable: false }, async (engine) => {
      const warm = {
        op: (b: number) => {
          const { keys, values } = makeBatch(data, WARMUP_KEY_BASE, b, size, vb);
          return engine.putBatch(keys, values, false);
        },
        maxOps: Math.max(1, Math.floor(scale.warmupOps / size)),
        capMs: scale.warmupMs,
      };
      const { loop, requests } = await measuredPhase(engine, `batches of ${size}`, warm, {
        concurrency: 1,
        maxOps: Math.max(1, Math.floor(scale.batchKeys / size)),
        capMs: scale.batchCapMs,
        prepare: (b) => makeBatch(data, 0, b, size, vb),
        op: (_b, { keys, values }) => engine.putBatch(keys, values, false),
        itemsPerOp: size,
        progress,
      });
      return cellFromLoop(ctx, loop, {
        workload: 'batch',
        phase: `batch${size}`,
        unit: 'key',
        concurrency: 1,
        unitsPerOp: size,
        requests,
      });
    });
    return [cell];
  },
};
