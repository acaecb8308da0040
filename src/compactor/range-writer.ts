/**
 * The output half of a compaction range, shared by the in-thread executor and the compaction worker: turns the
 * range's resolved row stream into SSTs that roll over after `maxSstSize` encoded block bytes (as 0.12.1 does,
 * regardless of key boundaries), streaming each SST's bytes to a caller-supplied writer in chunks of about
 * `uploadChunkBytes`.
 *
 * Invariants: the bytes produced depend only on the rows and the builder settings (never on where this runs), so
 * a range compacted in a worker yields the same SST bytes as one compacted in-thread; the next SST is started only
 * after the previous one was written; memory stays bounded by one SST's unflushed blocks plus one chunk.
 * Concurrency: one range is one async task; the abort signal is checked once per row.
 */

import type { RowEntry } from '../format/row.js';
import type { MaybePromise, RowIterator } from '../format/row-iterator.js';
import type { SstBuilder } from '../format/sst-builder.js';
import type { SsTableInfo } from '../format/sst-info.js';
import { ROWS_PER_CHECK_MASK, TimeSlice } from '../util/time-slice.js';

/** Progress counters of a job. */
export interface JobStats {
  bytesWritten: number;
  rowsWritten: number;
}

/** What is known of an output SST once its bytes are written. */
export interface SstOutputMeta {
  readonly info: SsTableInfo;
  readonly formatVersion: number;
  /** Encoded size in bytes. */
  readonly size: number;
}

/** How a range's SSTs are built and where their bytes go. */
export interface RangeWriterParams<T, R> {
  /** A builder with the table settings (one per output SST). */
  readonly newBuilder: () => SstBuilder;
  readonly maxSstSize: number;
  /** Hand bytes to `write` once this many finished block bytes are buffered. */
  readonly uploadChunkBytes: number;
  readonly signal: AbortSignal;
  readonly stats: JobStats;
  /** Stores one SST from the stream of its bytes; resolves (with a handle) once it is stored. */
  readonly write: (chunks: AsyncIterable<Uint8Array>) => Promise<T>;
  /** Called after each SST is stored, in key order; its result is collected. */
  readonly written: (handle: T, meta: SstOutputMeta) => MaybePromise<R>;
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

/** Writes one SST from `rows` (which must not be exhausted); rolls after `maxSstSize` block bytes. */
async function writeOneSst<T, R>(rows: Peekable, p: RangeWriterParams<T, R>): Promise<R> {
  const b = p.newBuilder();
  let result: ReturnType<SstBuilder['finish']> | undefined;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let pendingBytes = 0;
    const slice = new TimeSlice();
    for (let i = 1; ; i++) {
      p.signal.throwIfAborted();
      let r = rows.peek();
      if (r instanceof Promise) r = await r;
      if (r === undefined) break;
      rows.take();
      const finished = b.add(r);
      p.stats.rowsWritten++;
      if ((i & ROWS_PER_CHECK_MASK) === 0 && slice.due) await slice.next();
      if (finished !== undefined) pendingBytes += finished;
      if (b.finishedBlockBytes > p.maxSstSize) break;
      if (pendingBytes >= p.uploadChunkBytes) {
        for (const c of b.takeChunks()) yield c;
        pendingBytes = 0;
      }
    }
    result = await b.finishAsync(slice);
    for (const c of result.chunks) yield c;
  }
  const handle = await p.write(chunks());
  const sst = result!;
  p.stats.bytesWritten += sst.size;
  return p.written(handle, { info: sst.info, formatVersion: sst.formatVersion, size: sst.size });
}

/** Writes `rows` (a range's resolved stream, which this closes) as SSTs in key order. */
export async function writeRange<T, R>(rows: RowIterator, p: RangeWriterParams<T, R>): Promise<R[]> {
  const peek = new Peekable(rows);
  const out: R[] = [];
  try {
    for (;;) {
      let first = peek.peek();
      if (first instanceof Promise) first = await first;
      if (first === undefined) return out;
      out.push(await writeOneSst(peek, p));
    }
  } finally {
    peek.close();
  }
}
