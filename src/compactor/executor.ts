/**
 * Compaction execution: splits a job's key space into `subcompactions` ranges (boundaries at first keys of input
 * SSTs and L0 blocks, so no key is split; beyond 0.12.1, which has one range), and compacts each range (job-rows.ts for the row stream,
 * range-writer.ts for the output SSTs), in-thread or, when a worker pool is given and no merge operator is
 * configured, in compaction workers (worker-pool.ts), where this thread only serves the workers' object-store
 * reads and uploads their output bytes.
 *
 * Invariants: memory stays bounded whatever the input size (inputs are streamed block batches; outputs are
 * uploaded as a stream of finished blocks); outputs are written with plain overwrite PUTs under fresh ULIDs
 * (generated on this thread, with the executor's clock and rand) and are referenced by nothing until the result
 * manifest; output SSTs are in key order with disjoint ranges (except that one key's versions may continue into
 * the next SST); a range's output bytes are the same whether it ran in-thread or in a worker. A merge operator (a
 * JS function that cannot cross threads) always runs in-thread.
 * Concurrency: one job runs as one async task (subcompactions as several, spread over the workers); reads and
 * writes overlap.
 */

import type { CompactedSsTable, SortedRun } from '../format/manifest.js';
import type { KeyRange } from '../format/row-iterator.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import type { GetRange } from '../object-store/object-store.js';
import type { TableStore } from '../store/table-store.js';
import { compareBytes, spansBuffer } from '../util/bytes.js';
import type { Clock } from '../util/clock.js';
import { Ulid } from '../util/ids.js';
import type { Rand } from '../util/random.js';
import { type CompactionJob, jobRows } from './job-rows.js';
import { type JobStats, type SstOutputMeta, writeRange } from './range-writer.js';
import type { CompactionWorkerPool, TaskIo } from './worker-pool.js';
import { ownedCopy, type RangeTask, toWireSst, type WireGot } from './worker-protocol.js';

export type { CompactionJob } from './job-rows.js';
export type { JobStats } from './range-writer.js';

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
  /** Where ranges are compacted when there is no merge operator (absent: in-thread). */
  readonly workers?: CompactionWorkerPool;
}

/** Compacts `range` in-thread into SSTs in key order. */
function compactRange(
  job: CompactionJob,
  o: ExecutorOptions,
  range: KeyRange,
  stats: JobStats,
): Promise<CompactedSsTable[]> {
  const ts = o.tableStore;
  return writeRange(jobRows(job, ts, o.mergeOperator, o.readAheadBytes, range), {
    newBuilder: () => ts.sstBuilder(),
    maxSstSize: o.maxSstSize,
    uploadChunkBytes: o.uploadChunkBytes,
    signal: o.signal,
    stats,
    write: async (chunks) => {
      const id = Ulid.generate(o.clock.nowMs(), o.rand);
      await ts.writeCompactedStream(id, chunks, o.signal);
      return id;
    },
    written: (id, meta) => {
      const out: CompactedSsTable = { id, info: meta.info, formatVersion: meta.formatVersion };
      o.onOutput?.(out);
      return out;
    },
  });
}

/** Output chunks from a worker, handed to an upload's stream; each push resolves once the upload took it. */
class ChunkQueue {
  readonly #items: { bytes: Uint8Array; taken: () => void; failed: (e: unknown) => void }[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #error: unknown;

  push(bytes: Uint8Array): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((taken, failed) => {
      this.#items.push({ bytes, taken, failed });
      this.#wake?.();
    });
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** Fails the stream (the upload writes nothing) and every waiting push. */
  fail(e: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = e;
    for (const it of this.#items.splice(0)) it.failed(e);
    this.#wake?.();
  }

  async *stream(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      const it = this.#items.shift();
      if (it !== undefined) {
        yield it.bytes;
        it.taken();
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((r) => {
        this.#wake = r;
      });
      this.#wake = undefined;
    }
  }
}

/** The main thread's side of one range compacted by a worker: store reads, uploads, output ids. */
class RangeIo implements TaskIo {
  readonly outputs: CompactedSsTable[] = [];
  readonly #o: ExecutorOptions;
  #current: { id: Ulid; queue: ChunkQueue; upload: Promise<unknown> } | undefined;

  constructor(o: ExecutorOptions) {
    this.#o = o;
  }

  async get(path: string, range: GetRange): Promise<WireGot> {
    const r = await this.#o.tableStore.store.get(path, { range, signal: this.#o.signal });
    // Transferred to the worker: a buffer the store handed over whole moves as it is; anything else is copied.
    const bytes = r.owned === true && spansBuffer(r.bytes) ? r.bytes : ownedCopy(r.bytes);
    return { bytes, offset: r.offset, size: r.meta.size };
  }

  begin(): void {
    this.fail(new Error('an output SST was abandoned'));
    const id = Ulid.generate(this.#o.clock.nowMs(), this.#o.rand);
    const queue = new ChunkQueue();
    const upload = this.#o.tableStore.writeCompactedStream(id, queue.stream(), this.#o.signal);
    upload.catch((e: unknown) => queue.fail(e));
    this.#current = { id, queue, upload };
  }

  chunk(bytes: Uint8Array): Promise<void> {
    if (this.#current === undefined) return Promise.reject(new Error('no output SST is open'));
    return this.#current.queue.push(bytes);
  }

  async end(meta: SstOutputMeta): Promise<void> {
    const c = this.#current;
    if (c === undefined) throw new Error('no output SST is open');
    this.#current = undefined;
    c.queue.end();
    await c.upload;
    const out: CompactedSsTable = { id: c.id, info: meta.info, formatVersion: meta.formatVersion };
    this.outputs.push(out);
    this.#o.onOutput?.(out);
  }

  fail(error: unknown): void {
    const c = this.#current;
    if (c === undefined) return;
    this.#current = undefined;
    c.queue.fail(error);
  }
}

/** Compacts `range` in a worker; this thread does the IO. */
async function compactRangeInWorker(
  workers: CompactionWorkerPool,
  job: CompactionJob,
  o: ExecutorOptions,
  range: KeyRange,
  stats: JobStats,
): Promise<CompactedSsTable[]> {
  const t = o.tableStore.options;
  const paths = o.tableStore.paths;
  const externalRoots: [string, string][] = [];
  for (const s of [...job.l0, ...job.sortedRuns.flatMap((sr) => sr.ssts)]) {
    if (paths.isExternal(s.id)) externalRoots.push([s.id.toString(), paths.rootOf(s.id)]);
  }
  const spec: RangeTask = {
    root: o.tableStore.root,
    externalRoots,
    table: {
      codec: t.codec,
      blockSize: t.blockSize,
      minFilterKeys: t.minFilterKeys,
      filterBitsPerKey: t.filterBitsPerKey,
    },
    l0: job.l0.map(toWireSst),
    sortedRuns: job.sortedRuns.map((sr) => ({ id: sr.id, ssts: sr.ssts.map(toWireSst) })),
    range,
    retentionMinSeq: job.retentionMinSeq,
    isDestLastRun: job.isDestLastRun,
    expiryTickMs: job.expiryTickMs,
    maxSstSize: o.maxSstSize,
    readAheadBytes: o.readAheadBytes,
    uploadChunkBytes: o.uploadChunkBytes,
  };
  const io = new RangeIo(o);
  const s = await workers.run(spec, io, o.signal);
  stats.bytesWritten += s.bytesWritten;
  stats.rowsWritten += s.rowsWritten;
  return io.outputs;
}

/**
 * Up to `n - 1` split keys for parallel subcompactions, evenly spaced over `candidates` (keys the inputs hold:
 * block first keys of L0s, first keys of sorted-run SSTs). Ranges are [k_i, k_{i+1}), so all versions of a key
 * stay in one range.
 */
export function splitKeys(candidates: readonly Uint8Array[], n: number): Uint8Array[] {
  if (n <= 1) return [];
  const sorted = [...candidates].sort(compareBytes);
  const uniq: Uint8Array[] = [];
  for (const c of sorted)
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

/**
 * Split candidates of a job: first keys of sorted-run SSTs, L0 bounds, and the first key of every L0 data block
 * (an L0 usually spans the whole key space, so its bounds alone would put nearly every key in one range); an L0
 * whose index cannot be read here contributes only its bounds (the job itself will report the damage).
 */
async function splitCandidates(job: CompactionJob, ts: TableStore): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const sr of job.sortedRuns)
    for (const s of sr.ssts) if (s.info.firstEntry !== undefined) out.push(s.info.firstEntry);
  for (const s of job.l0) {
    if (s.info.firstEntry !== undefined) out.push(s.info.firstEntry);
    if (s.info.lastEntry !== undefined) out.push(s.info.lastEntry);
  }
  const l0Keys = await Promise.all(job.l0.map((s) => ts.blockFirstKeys(s).catch(() => [])));
  for (const keys of l0Keys) out.push(...keys);
  return out;
}

/** Runs a job; returns the output sorted run. */
export async function executeCompaction(
  job: CompactionJob,
  o: ExecutorOptions,
): Promise<{ run: SortedRun; stats: JobStats }> {
  const stats: JobStats = { bytesWritten: 0, rowsWritten: 0 };
  const workers = o.mergeOperator === undefined ? o.workers : undefined;
  const compact = (range: KeyRange): Promise<CompactedSsTable[]> =>
    workers === undefined
      ? compactRange(job, o, range, stats)
      : compactRangeInWorker(workers, job, o, range, stats);
  const splits =
    o.subcompactions <= 1 ? [] : splitKeys(await splitCandidates(job, o.tableStore), o.subcompactions);
  if (splits.length === 0) return { run: { id: job.destination, ssts: await compact({}) }, stats };
  const ranges: KeyRange[] = [];
  let start: Uint8Array | undefined;
  for (const k of splits) {
    ranges.push({ start, startInclusive: true, end: k, endInclusive: false });
    start = k;
  }
  ranges.push({ start, startInclusive: true });
  const parts = await Promise.all(ranges.map((r) => compact(r)));
  return { run: { id: job.destination, ssts: parts.flat() }, stats };
}
