/**
 * The workload registry: every workload in run order, and the mapping from user-selectable workload ids
 * (put, batch, durable, get, scan, mixed, s3, loop) to the workloads that produce them.
 *
 * Invariants: each workload id is produced by exactly one workload.
 * Concurrency: immutable.
 */
import type { WorkloadId } from '../lib/result.js';
import { loopDelayWorkload } from './loop-delay.js';
import { putBatchWorkload } from './put-batch.js';
import { putDurableWorkload } from './put-durable.js';
import { putSingleWorkload } from './put-single.js';
import { readsWorkload } from './reads.js';
import { s3ModelWorkload } from './s3-model.js';
import type { Workload } from './workload.js';

/** Every workload, in run order. */
export const WORKLOADS: readonly Workload[] = [
  putSingleWorkload,
  putBatchWorkload,
  putDurableWorkload,
  readsWorkload,
  s3ModelWorkload,
  loopDelayWorkload,
];

/** The workloads needed for the selected ids, in run order. */
export function workloadsFor(selected: ReadonlySet<WorkloadId>): Workload[] {
  return WORKLOADS.filter((w) => w.ids.some((id) => selected.has(id)));
}
