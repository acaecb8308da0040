/**
 * Turns a WriteBatch into the rows it writes, as SlateDB 0.12.1 does: one seq and one createTs for the whole batch,
 * TTLs resolved to absolute expiry times, per key only the operations after (and including) the last put or
 * delete, merge operands folded within the batch (operands with different expiry times are not folded together),
 * and rows in ascending key order.
 *
 * Invariants: output is sorted by key and every row has seq = `seq` and createTs = `nowMs`; a merge without a
 * configured operator is an 'invalid' MERGE_OPERATOR_MISSING error (raised before anything is written).
 * Concurrency: pure.
 */

import type { RowEntry } from '../format/row.js';
import { ArrayRowIterator, collectRowsSync } from '../lsm/array-iterator.js';
import { type MergeOperator, MergeOperatorIterator, mergeOperatorMissing } from '../lsm/merge-operator.js';
import { compareBytes } from '../util/bytes.js';
import type { BatchOp, Ttl } from './write-batch.js';

/** Absolute expiry for a TTL option, or undefined for none (overflow means none, as in 0.12.1). */
export function expireTsFor(
  ttl: Ttl | undefined,
  nowMs: number,
  defaultTtlMs: number | null,
): number | undefined {
  if (ttl === 'noExpiry') return undefined;
  if (typeof ttl === 'object') return ttl.expireAt;
  const after = ttl ?? defaultTtlMs;
  if (after === null) return undefined;
  const at = nowMs + after;
  return Number.isSafeInteger(at) ? at : undefined;
}

function toRow(op: BatchOp, seq: number, nowMs: number, defaultTtlMs: number | null): RowEntry {
  return {
    key: op.key,
    value: op.value,
    seq,
    kind: op.kind,
    createTs: nowMs,
    expireTs: op.kind === 'tombstone' ? undefined : expireTsFor(op.ttl, nowMs, defaultTtlMs),
  };
}

/** The rows a batch writes. */
export function batchRows(
  ops: readonly BatchOp[],
  seq: number,
  nowMs: number,
  defaultTtlMs: number | null,
  mergeOperator: MergeOperator | undefined,
): RowEntry[] {
  if (ops.length === 1) {
    const op = ops[0]!;
    if (op.kind === 'merge' && mergeOperator === undefined) throw mergeOperatorMissing();
    return [toRow(op, seq, nowMs, defaultTtlMs)];
  }
  // Newest operation first within a key.
  const order = ops.map((_, i) => i);
  order.sort((a, b) => compareBytes(ops[a]!.key, ops[b]!.key) || b - a);
  const rows: RowEntry[] = [];
  let hasMerges = false;
  let i = 0;
  while (i < order.length) {
    const key = ops[order[i]!]!.key;
    let j = i;
    let ended = false;
    for (; j < order.length && compareBytes(ops[order[j]!]!.key, key) === 0; j++) {
      if (ended) continue;
      const op = ops[order[j]!]!;
      rows.push(toRow(op, seq, nowMs, defaultTtlMs));
      if (op.kind === 'merge') hasMerges = true;
      else ended = true;
    }
    i = j;
  }
  if (!hasMerges) return rows;
  if (mergeOperator === undefined) throw mergeOperatorMissing();
  const folded = new MergeOperatorIterator(mergeOperator, new ArrayRowIterator(rows), {
    mergeDifferentExpireTs: false,
  });
  return collectRowsSync(folded);
}
