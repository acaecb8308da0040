/**
 * Compaction execution: merges a compaction's sources (L0 SSTs newest first, then sorted runs by descending id),
 * resolves merge operands (barrier = recent_snapshot_min_seq), applies retention and TTL expiry (against the
 * manifest's last_l0_clock_tick at job start), drops trailing tombstones when the destination is the last run, and
 * writes the output sorted run as SSTs that roll over after `maxSstSize` encoded block bytes (as 0.12.1 does,
 * regardless of key boundaries). Beyond 0.12.1, the key space can be split into `subcompactions` ranges compacted
 * in parallel (boundaries at source SST first keys, so no key is split).
 *
 * Invariants: memory stays bounded whatever the input size (inputs are streamed block batches; outputs are
 * uploaded as a stream of finished blocks); outputs are written with plain overwrite PUTs under fresh ULIDs and are
 * referenced by nothing until the result manifest; output SSTs are in key order with disjoint ranges (except that
 * one key's versions may continue into the next SST).
 * Concurrency: one job runs as one async task (subcompactions as several); reads and writes overlap.
 */

import type { CompactedSsTable, SortedRun } from '../format/manifest.js';
import type { RowEntry } from '../format/row.js';
import type { KeyRange, MaybePromise, RowIterator } from '../format/row-iterator.js';
import type { SstBuilder } from '../format/sst-builder.js';
import { MergeIterator } from '../lsm/merge-iterator.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { retainedRows } from '../store/retained-rows.js';
import { tableIterators } from '../store/sorted-run.js';
import type { TableStore } from '../store/table-store.js';
import { compareBytes } from '../util/bytes.js';
import type { Clock } from '../util/clock.js';
import { Ulid } from '../util/ids.js';
import type { Rand } from '../util/random.js';
import { ROWS_PER_CHECK_MASK, TimeSlice } from '../util/time-slice.js';

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

/** How jobs run. */
export interface ExecutorOptions {
  readonly tableStore: TableStore;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly mergeOperator: MergeOperator | undefined;
  readonly maxSstSize: number;
  readonly subcompactions: number;
  /** Bytes per input GET. */
  readonly readAheadBytes: number;
  /** Upload a chunk once this many finished block bytes are buffered. */
  readonly uploadChunkBytes: number;
  readonly signal: AbortSignal;
  /** Called after each output SST is written (progress). */
  readonly onOutput?: (sst: CompactedSsTable) => void;
}

/** Progress counters of a job. */
export interface JobStats {
  bytesWritten: number;
  rowsWritten: number;
}

/** The merged, resolved row stream of a job within `range`. */
export function jobRows(job: CompactionJob, o: ExecutorOptions, range: KeyRange): RowIterator {
  const io = { cacheBlocks: false, readAheadBytes: o.readAheadBytes };
  const ts = o.tableStore;
  const iters = tableIterators(
    job.l0.map((s) => ts.sstRef(s)),
    job.sortedRuns.map((sr) => ts.sortedRunRef(sr)),
    range,
    'asc',
    io,
  );
  return retainedRows(new MergeIterator(iters, 'asc'), {
    mergeOperator: o.mergeOperator,
    retentionMinSeq: job.retentionMinSeq,
    filterTombstones: job.isDestLastRun,
    expiryTickMs: job.expiryTickMs,
  });
}

/** A RowIterator with one row of look-ahead. */
class Peekable {
  readonly #it: RowIterator;
  #peeked: RowEntry | undefined;
  #has = false;

  constructor(it: RowIterator) {
    this.#it = it;
  }

  peek(): MaybePromise<RowEntry | undefined> {
    if (this.#has) return this.#peeked;
    const r = this.#it.next();
    if (r instanceof Promise) {
      return r.then((row) => {
        this.#peeked = row;
        this.#has = true;
        return row;
      });
    }
    this.#peeked = r;
    this.#has = true;
    return r;
  }

  take(): void {
    this.#has = false;
    this.#peeked = undefined;
  }

  close(): void {
    this.#it.close();
  }
}

/** Writes one output SST from `rows` (which must not be exhausted); rolls after `maxSstSize` block bytes. */
async function writeOneSst(rows: Peekable, o: ExecutorOptions, stats: JobStats): Promise<CompactedSsTable> {
  const ts = o.tableStore;
  const id = Ulid.generate(o.clock.nowMs(), o.rand);
  const b = ts.sstBuilder();
  let result: ReturnType<SstBuilder['finish']> | undefined;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let pendingBytes = 0;
    const slice = new TimeSlice();
    for (let i = 1; ; i++) {
      o.signal.throwIfAborted();
      let r = rows.peek();
      if (r instanceof Promise) r = await r;
      if (r === undefined) break;
      rows.take();
      const finished = b.add(r);
      stats.rowsWritten++;
      if ((i & ROWS_PER_CHECK_MASK) === 0 && slice.due) await slice.next();
      if (finished !== undefined) pendingBytes += finished;
      if (b.finishedBlockBytes > o.maxSstSize) break;
      if (pendingBytes >= o.uploadChunkBytes) {
        for (const c of b.takeChunks()) yield c;
        pendingBytes = 0;
      }
    }
    result = await b.finishAsync(slice);
    for (const c of result.chunks) yield c;
  }
  await ts.writeCompactedStream(id, chunks(), o.signal);
  const sst = result!;
  stats.bytesWritten += sst.size;
  const out: CompactedSsTable = { id, info: sst.info, formatVersion: sst.formatVersion };
  o.onOutput?.(out);
  return out;
}

/** Compacts `range` into SSTs in key order. */
async function compactRange(
  job: CompactionJob,
  o: ExecutorOptions,
  range: KeyRange,
  stats: JobStats,
): Promise<CompactedSsTable[]> {
  const rows = new Peekable(jobRows(job, o, range));
  const out: CompactedSsTable[] = [];
  try {
    for (;;) {
      let first = rows.peek();
      if (first instanceof Promise) first = await first;
      if (first === undefined) return out;
      out.push(await writeOneSst(rows, o, stats));
    }
  } finally {
    rows.close();
  }
}

/**
 * Up to `n - 1` split keys for parallel subcompactions: first keys of the largest input's SSTs (sorted runs) or
 * L0 bounds, evenly spaced. Ranges are [k_i, k_{i+1}), so all versions of a key stay in one range.
 */
export function splitKeys(job: CompactionJob, n: number): Uint8Array[] {
  if (n <= 1) return [];
  const candidates: Uint8Array[] = [];
  for (const sr of job.sortedRuns)
    for (const s of sr.ssts) if (s.info.firstEntry !== undefined) candidates.push(s.info.firstEntry);
  for (const s of job.l0) {
    if (s.info.firstEntry !== undefined) candidates.push(s.info.firstEntry);
    if (s.info.lastEntry !== undefined) candidates.push(s.info.lastEntry);
  }
  candidates.sort(compareBytes);
  const uniq: Uint8Array[] = [];
  for (const c of candidates)
    if (uniq.length === 0 || compareBytes(uniq[uniq.length - 1]!, c) !== 0) uniq.push(c);
  if (uniq.length < 2) return [];
  const out: Uint8Array[] = [];
  for (let i = 1; i < n; i++) {
    const k = uniq[Math.floor((i * uniq.length) / n)]!;
    if (out.length === 0 || compareBytes(out[out.length - 1]!, k) < 0) out.push(k);
  }
  // The first key opens the first range; a split there would leave an empty range.
  return out.filter((k) => compareBytes(k, uniq[0]!) > 0);
}

/** Runs a job; returns the output sorted run. */
export async function executeCompaction(
  job: CompactionJob,
  o: ExecutorOptions,
): Promise<{ run: SortedRun; stats: JobStats }> {
  const stats: JobStats = { bytesWritten: 0, rowsWritten: 0 };
  const splits = splitKeys(job, o.subcompactions);
  if (splits.length === 0) {
    const ssts = await compactRange(job, o, {}, stats);
    return { run: { id: job.destination, ssts }, stats };
  }
  const ranges: KeyRange[] = [];
  let start: Uint8Array | undefined;
  for (const k of splits) {
    ranges.push({ start, startInclusive: true, end: k, endInclusive: false });
    start = k;
  }
  ranges.push({ start, startInclusive: true });
  const parts = await Promise.all(ranges.map((r) => compactRange(job, o, r, stats)));
  return { run: { id: job.destination, ssts: parts.flat() }, stats };
}
