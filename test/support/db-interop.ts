/**
 * Shared pieces of the database interop suites: the concatenating merge operator both engines use, ShaleDB scans
 * in the oracle's VisibleRow shape, row renderings for exact comparisons, and workload batches as WriteBatches.
 *
 * Invariants: `concat` is associative with merge(None, x) = x, matching the oracle's 'concat' operator.
 * Concurrency: pure helpers.
 */
import type { KeyValue } from '../../src/db/db-iterator.js';
import { WriteBatch } from '../../src/db/write-batch.js';
import type { MergeOperator } from '../../src/lsm/merge-operator.js';
import type { VisibleRow, WorkloadOp } from './slatedb-workload.js';

/** Appends operands, like the oracle's 'concat' merge operator. */
export const concat: MergeOperator = (_key, existing, operands) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...operands]);

/** Every visible row of a ShaleDB database or reader, as the oracle reports SlateDB's. */
export async function shaleScan(db: { scan(): AsyncIterable<KeyValue> }): Promise<VisibleRow[]> {
  const out: VisibleRow[] = [];
  for await (const kv of db.scan()) {
    out.push({
      key: kv.key,
      value: kv.value,
      seq: Number(kv.seq),
      createTs: kv.createTs,
      expireTs: kv.expireTs,
    });
  }
  return out;
}

/** Key=value renderings (plus seq and timestamps when `withMeta`) for exact comparisons. */
export function showRows(
  rows: ReadonlyArray<VisibleRow | { key: Uint8Array; value: Uint8Array }>,
  withMeta = false,
): string[] {
  return rows.map((r) => {
    const kv = `${Buffer.from(r.key).toString('hex')}=${Buffer.from(r.value).toString('hex')}`;
    if (!withMeta || !('seq' in r)) return kv;
    return `${kv}@${r.seq}/${r.createTs}/${r.expireTs}`;
  });
}

/** A workload batch as a WriteBatch; `minTtlMs` drops TTLs shorter than it (they would expire mid-test). */
export function toWriteBatch(ops: readonly WorkloadOp[], minTtlMs = 0): WriteBatch {
  const b = new WriteBatch();
  for (const op of ops) {
    if (op.type === 'delete') b.delete(op.key);
    else if (op.type === 'merge') b.merge(op.key, op.value);
    else
      b.put(op.key, op.value, op.ttlMs === undefined || op.ttlMs < minTtlMs ? undefined : { ttl: op.ttlMs });
  }
  return b;
}
