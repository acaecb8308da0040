/**
 * GcReport: what one garbage-collection task or pass did (or, in a dry run, would do), and the running totals a
 * collector keeps (docs/gc.md#reports).
 *
 * Invariants: a task that failed (`error` set) deleted nothing and lists no paths; `deleted` holds object paths
 * relative to the store root, in the order they were chosen; totals only grow.
 * Concurrency: plain values; the collector mutates its own GcStats in synchronous stretches only.
 */
import type { ShaleDBError } from '../util/errors.js';

/** The four kinds of object the collector removes, in the order SlateDB 0.12.1 runs them. */
export type GcResource = 'manifest' | 'wal' | 'compacted' | 'compactions';

/** Every resource, in run order. */
export const GC_RESOURCES: readonly GcResource[] = ['manifest', 'wal', 'compacted', 'compactions'];

/** A delete that failed; the task went on with the others. */
export interface GcDeleteFailure {
  readonly path: string;
  readonly error: ShaleDBError;
}

/** One resource's task. */
export interface GcResourceReport {
  readonly resource: GcResource;
  readonly dryRun: boolean;
  /** Expired checkpoints removed from the latest manifest before the task (in a dry run: that would be). */
  readonly expiredCheckpoints: number;
  /** Objects of this kind that were listed. */
  readonly listed: number;
  /** Paths deleted (dry run: paths that would be deleted). */
  readonly deleted: readonly string[];
  /** Deletes that failed. */
  readonly failed: readonly GcDeleteFailure[];
  /** For 'compacted': the ULID-time cutoff in Unix ms (only older SSTs may go). */
  readonly cutoffMs?: number;
  /** Set when the task could not read what it needed; nothing was deleted. */
  readonly error?: ShaleDBError;
}

/** One pass over every configured resource. */
export interface GcPassReport {
  readonly dryRun: boolean;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly resources: readonly GcResourceReport[];
}

/** Running totals of a collector. */
export interface GcStats {
  /** Completed `runOnce` passes. */
  passes: number;
  /** Resource tasks run (by passes and by tickers). */
  tasks: number;
  /** Tasks that failed (could not read what they needed). */
  failedTasks: number;
  /** Objects deleted, by resource (dry runs excluded). */
  readonly deleted: Record<GcResource, number>;
  /** Deletes that failed. */
  failedDeletes: number;
  /** Expired checkpoints removed (dry runs excluded). */
  expiredCheckpointsRemoved: number;
  /** The latest task error, if any. */
  lastError: ShaleDBError | undefined;
}

/** Fresh, zeroed totals. */
export function emptyGcStats(): GcStats {
  return {
    passes: 0,
    tasks: 0,
    failedTasks: 0,
    deleted: { manifest: 0, wal: 0, compacted: 0, compactions: 0 },
    failedDeletes: 0,
    expiredCheckpointsRemoved: 0,
    lastError: undefined,
  };
}

/** Deletions of a pass, by resource. */
export function deletedCounts(report: GcPassReport): Record<GcResource, number> {
  const out: Record<GcResource, number> = { manifest: 0, wal: 0, compacted: 0, compactions: 0 };
  for (const r of report.resources) out[r.resource] += r.deleted.length;
  return out;
}

/** Expired checkpoints a pass removed (or, in a dry run, would remove). */
export function expiredCheckpointCount(report: GcPassReport): number {
  let n = 0;
  for (const r of report.resources) {
    // A real pass removes them before its first task; later tasks find none. A dry run sees them every time.
    n = report.dryRun ? Math.max(n, r.expiredCheckpoints) : n + r.expiredCheckpoints;
  }
  return n;
}

/** True when some task of the pass failed. */
export function passFailed(report: GcPassReport): boolean {
  return report.resources.some((r) => r.error !== undefined);
}
