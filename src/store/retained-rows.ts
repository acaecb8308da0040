/**
 * The row pipeline every SST writer runs over merged sources before writing (memtable flush to L0, compaction):
 * fold merge operands (barrier = the retention min seq), then apply retention and TTL expiry.
 *
 * Invariants: without a merge operator a merge operand is an error (MergeOperatorRequiredIterator), never written
 * unresolved; versions at or above `retentionMinSeq` are kept for snapshots; tombstones are dropped only when
 * `filterTombstones` (the destination is the last sorted run).
 * Concurrency: single-consumer iterator.
 */
import type { RowIterator } from '../format/row-iterator.js';
import {
  type MergeOperator,
  MergeOperatorIterator,
  MergeOperatorRequiredIterator,
} from '../lsm/merge-operator.js';
import { RetentionIterator } from '../lsm/retention-iterator.js';

/** How a writer resolves and retains rows. */
export interface RetainedRowsOptions {
  readonly mergeOperator: MergeOperator | undefined;
  /** recent_snapshot_min_seq: the merge barrier and the retention bound. */
  readonly retentionMinSeq: number;
  /** Drop tombstones (only when writing the last sorted run). */
  readonly filterTombstones: boolean;
  /** The clock tick (ms) values expire against. */
  readonly expiryTickMs: number;
}

/** `rows` (merged, in LSM order) with merge operands folded and retention and expiry applied. */
export function retainedRows(rows: RowIterator, o: RetainedRowsOptions): RowIterator {
  const folded =
    o.mergeOperator === undefined
      ? new MergeOperatorRequiredIterator(rows)
      : new MergeOperatorIterator(o.mergeOperator, rows, {
          mergeDifferentExpireTs: false,
          barrierSeq: o.retentionMinSeq,
        });
  return new RetentionIterator(folded, {
    retentionMinSeq: o.retentionMinSeq,
    filterTombstones: o.filterTombstones,
    expiryTickMs: o.expiryTickMs,
  });
}
