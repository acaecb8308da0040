/**
 * The read path: point gets and scans over a consistent view of the database's sources, newest first: the active
 * memtable, immutable memtables (newest first), L0 SSTs (manifest order, newest first) and sorted runs (descending
 * id). A point get stops at the first value or tombstone at or below the visible seq, folding merge operands on the
 * way; SSTs are probed through their bloom filters. Scans merge every source (MergeIterator) and resolve versions
 * per key (DbIterator).
 *
 * Invariants: a ReadView's arrays are never mutated after the view is taken (state changes replace them), so a read
 * that awaits IO still sees one consistent set of sources; versions of one key are consulted strictly newest
 * source first, and within a source newest seq first.
 * Concurrency: reads run concurrently with writes and flushes; synchronous while every needed block is cached.
 */

import type { RowEntry } from '../format/row.js';
import type { KeyRange, MaybePromise, RowIterator } from '../format/row-iterator.js';
import { MergeIterator } from '../lsm/merge-iterator.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { mayHoldKey, probeRun, type ReadView, tableIterators } from '../store/sorted-run.js';
import { resolveVersions } from './db-iterator.js';

/** Point lookup over a view; resolves merges and tombstones. Returns the visible row or undefined. */
export function getRow(
  view: ReadView,
  key: Uint8Array,
  maxSeq: number,
  mergeOperator: MergeOperator | undefined,
): MaybePromise<RowEntry | undefined> {
  const out: RowEntry[] = [];
  for (const mt of view.memtables) {
    if (mt.lookup(key, maxSeq, out)) return resolve(out, mergeOperator);
  }
  return probeTables(view, 0, key, maxSeq, out, mergeOperator);
}

function resolve(out: RowEntry[], mergeOperator: MergeOperator | undefined): RowEntry | undefined {
  if (out.length === 0) return undefined;
  const first = out[0]!;
  if (out.length === 1 && first.kind !== 'merge') return first.kind === 'tombstone' ? undefined : first;
  return resolveVersions(out, mergeOperator);
}

/**
 * Probes the view's tables newest first from position `from` (L0 SSTs, then sorted runs), stopping at the first
 * value or tombstone. Synchronous while every probe is; continues asynchronously from the first that is not.
 */
function probeTables(
  view: ReadView,
  from: number,
  key: Uint8Array,
  maxSeq: number,
  out: RowEntry[],
  mergeOperator: MergeOperator | undefined,
): MaybePromise<RowEntry | undefined> {
  const l0 = view.l0;
  const runs = view.sortedRuns;
  const n = l0.length + runs.length;
  for (let p = from; p < n; p++) {
    let r: MaybePromise<boolean>;
    if (p < l0.length) {
      const sst = l0[p]!;
      if (!mayHoldKey(sst, key)) continue;
      r = sst.view().lookup(key, maxSeq, out);
    } else {
      r = probeRun(runs[p - l0.length]!.ssts, -1, key, maxSeq, out);
    }
    if (r instanceof Promise) {
      const next = p + 1;
      return r.then((terminal) =>
        terminal ? resolve(out, mergeOperator) : probeTables(view, next, key, maxSeq, out, mergeOperator),
      );
    }
    if (r) break;
  }
  return resolve(out, mergeOperator);
}

/** The merged stream of every version in `range` across all sources. */
export function scanSources(view: ReadView, range: KeyRange, order: 'asc' | 'desc'): RowIterator {
  const iters: RowIterator[] = [];
  for (const mt of view.memtables) iters.push(mt.iterator(range, order));
  iters.push(...tableIterators(view.l0, view.sortedRuns, range, order));
  return new MergeIterator(iters, order);
}
