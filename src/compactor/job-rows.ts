/**
 * What a compaction job is, and its merged, resolved row stream within a key range: sources merged in LSM order
 * (L0 SSTs newest first, then sorted runs by descending id), merge operands folded (barrier =
 * recent_snapshot_min_seq), retention and TTL expiry applied (against the manifest's last_l0_clock_tick at job
 * start), trailing tombstones dropped when the destination is the last run. Used in-thread and by compaction
 * workers alike.
 *
 * Invariants: input blocks are read without filling the block cache, `readAheadBytes` per GET; the stream is the
 * same wherever it is computed.
 * Concurrency: single-consumer iterator.
 */

import type { CompactedSsTable, SortedRun } from '../format/manifest.js';
import type { KeyRange, RowIterator } from '../format/row-iterator.js';
import { MergeIterator } from '../lsm/merge-iterator.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { retainedRows } from '../store/retained-rows.js';
import { tableIterators } from '../store/sorted-run.js';
import type { TableStore } from '../store/table-store.js';
import type { Ulid } from '../util/ids.js';

/** Everything a job needs. */
export interface CompactionJob {
  readonly id: Ulid;
  readonly destination: number;
  /** L0 sources, newest first. */
  readonly l0: readonly CompactedSsTable[];
  /** Sorted-run sources, highest id first. */
  readonly sortedRuns: readonly SortedRun[];
  readonly retentionMinSeq: number;
  readonly isDestLastRun: boolean;
  /** Expiry tick (ms): the manifest's last_l0_clock_tick at job start. */
  readonly expiryTickMs: number;
}

/** The job's inputs and row rules (what a range's row stream depends on). */
export type JobInputs = Pick<
  CompactionJob,
  'l0' | 'sortedRuns' | 'retentionMinSeq' | 'isDestLastRun' | 'expiryTickMs'
>;

/** The merged, resolved row stream of a job within `range`. */
export function jobRows(
  job: JobInputs,
  tableStore: TableStore,
  mergeOperator: MergeOperator | undefined,
  readAheadBytes: number,
  range: KeyRange,
): RowIterator {
  const io = { cacheBlocks: false, readAheadBytes };
  const iters = tableIterators(
    job.l0.map((s) => tableStore.sstRef(s)),
    job.sortedRuns.map((sr) => tableStore.sortedRunRef(sr)),
    range,
    'asc',
    io,
  );
  return retainedRows(new MergeIterator(iters, 'asc'), {
    mergeOperator,
    retentionMinSeq: job.retentionMinSeq,
    filterTombstones: job.isDestLastRun,
    expiryTickMs: job.expiryTickMs,
  });
}
