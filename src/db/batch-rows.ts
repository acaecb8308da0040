/**
 * Turns a WriteBatch into the rows it writes, as SlateDB 0.12.1 does: one seq and one createTs for the whole batch,
 * TTLs resolved to absolute expiry times, per key only the operations after (and including) the last put or
 * delete, merge operands folded within the batch (operands with different expiry times are not folded together),
 * and rows in ascending key order.
 *
 * Invariants: output is sorted by key and every row has seq = `seq` and createTs = `nowMs`; a merge without a
 * configured operator is an 'invalid' MERGE_OPERATOR_MISSING error (raised before anything is written). The rows
 * are the batch's op objects, stamped in place (see BatchOp), except folded merge results.
 * Concurrency: synchronous; owns `ops` (the caller passes a copy of the batch's list).
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

/** Fills an op's seq and timestamps in place: from here on it is a row. */
function stamp(op: BatchOp, seq: number, nowMs: number, defaultTtlMs: number | null): RowEntry {
  op.seq = seq;
  op.createTs = nowMs;
  op.expireTs = op.kind === 'tombstone' ? undefined : expireTsFor(op.ttl, nowMs, defaultTtlMs);
  return op;
}

function byKey(a: BatchOp, b: BatchOp): number {
  return compareBytes(a.key, b.key);
}

/** Batches up to this many ops sort natively (the op index fits in the low bits of a packed number). */
const PACKED_INDEX_BITS = 13;
const PACKED_INDEX = 2 ** PACKED_INDEX_BITS;

/** The first 5 bytes of `key` (zero-padded), which order like the key whenever they differ. */
function prefix40(key: Uint8Array): number {
  const n = key.length;
  let p = n > 0 ? key[0]! : 0;
  p = p * 256 + (n > 1 ? key[1]! : 0);
  p = p * 256 + (n > 2 ? key[2]! : 0);
  p = p * 256 + (n > 3 ? key[3]! : 0);
  return p * 256 + (n > 4 ? key[4]! : 0);
}

/**
 * `ops` sorted by key, stably. A comparator callback per comparison costs more than the rest of a write, so
 * (prefix, index) pairs are packed into exact doubles (40 + 13 bits) and sorted natively; only runs sharing a
 * 5-byte prefix are then ordered by whole keys.
 */
function sortedByKey(ops: BatchOp[]): BatchOp[] {
  const n = ops.length;
  if (n > PACKED_INDEX) return ops.sort(byKey);
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) packed[i] = prefix40(ops[i]!.key) * PACKED_INDEX + i;
  packed.sort();
  const out = new Array<BatchOp>(n);
  for (let i = 0; i < n; i++) out[i] = ops[packed[i]! % PACKED_INDEX]!;
  for (let i = 0; i < n; ) {
    const p = Math.floor(packed[i]! / PACKED_INDEX);
    let j = i + 1;
    while (j < n && Math.floor(packed[j]! / PACKED_INDEX) === p) j++;
    if (j - i > 1) {
      const run = out.slice(i, j).sort(byKey); // stable: equal keys stay in op order
      for (let k = i; k < j; k++) out[k] = run[k - i]!;
    }
    i = j;
  }
  return out;
}

/** The rows a batch writes (the ops themselves, stamped; see BatchOp). May reorder `ops`. */
export function batchRows(
  ops: BatchOp[],
  seq: number,
  nowMs: number,
  defaultTtlMs: number | null,
  mergeOperator: MergeOperator | undefined,
): RowEntry[] {
  let sorted = true;
  for (let i = 1; i < ops.length && sorted; i++) sorted = compareBytes(ops[i - 1]!.key, ops[i]!.key) < 0;
  let rows: BatchOp[];
  if (sorted) {
    rows = ops; // strictly ascending keys: nothing to order or drop
  } else {
    // Stable sort by key, then newest operation first within a key.
    ops = sortedByKey(ops);
    rows = [];
    let i = 0;
    while (i < ops.length) {
      const key = ops[i]!.key;
      let j = i + 1;
      while (j < ops.length && compareBytes(ops[j]!.key, key) === 0) j++;
      // ops[i, j) hold one key, oldest first: keep from the newest back to (and including) the last put or delete.
      for (let k = j - 1; k >= i; k--) {
        const op = ops[k]!;
        rows.push(op);
        if (op.kind !== 'merge') break;
      }
      i = j;
    }
  }
  let hasMerges = false;
  for (const r of rows) if (r.kind === 'merge') hasMerges = true;
  if (hasMerges && mergeOperator === undefined) throw mergeOperatorMissing();
  for (const r of rows) stamp(r, seq, nowMs, defaultTtlMs);
  if (!hasMerges || ops.length === 1) return rows; // a lone operand is written as it is
  const folded = new MergeOperatorIterator(mergeOperator!, new ArrayRowIterator(rows), {
    mergeDifferentExpireTs: false,
  });
  return collectRowsSync(folded);
}
