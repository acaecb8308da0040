/**
 * The compaction worker's entry module (runs in a `node:worker_threads` worker started by the worker pool). It
 * compacts key ranges of compaction jobs: decodes and decompresses input blocks, merges, applies retention, TTL
 * and tombstone rules, and encodes, compresses and filters the output SSTs, with the very code the in-thread
 * executor runs (job-rows.ts, range-writer.ts), so the output bytes are the same.
 *
 * Invariants: the worker never touches an object store: every read is a request answered by the main thread, and
 * every output byte is handed to the main thread, which uploads it; at most two output chunks per task are awaiting
 * the main thread at once (bounded memory whatever the upload speed); an aborted task's pending requests fail at
 * once (worker-runtime.ts). Tasks never carry a merge operator (the pool is not used when one is configured). It
 * also serves encode-l0 and encode-wal tasks (l0-encoding.ts).
 * Concurrency: any number of tasks interleave on this thread's event loop.
 */

import type {
  GetOptions,
  GetResult,
  ObjectMeta,
  ObjectStore,
  PutResult,
} from '../object-store/object-store.js';
import { encodeHandlers } from '../store/l0-encoding.js';
import { TableStore } from '../store/table-store.js';
import { internalError } from '../util/errors.js';
import { serveTasks, type TaskContext } from '../util/worker-runtime.js';
import { jobRows } from './job-rows.js';
import { type JobStats, writeRange } from './range-writer.js';
import {
  fromWireSst,
  RANGE_TASK,
  type RangeTask,
  type WireGot,
  type WorkerRequest,
} from './worker-protocol.js';

/** Output bytes are sent to the main thread in messages of about this size. */
const CHUNK_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Output chunks of one task awaiting the main thread at most. */
const CHUNK_WINDOW = 2;

/** Sends a request of `task` to the main thread; resolves with its reply. */
type Request = (r: WorkerRequest, transfer?: ArrayBuffer[]) => Promise<unknown>;

/** An object store whose reads the main thread serves; nothing else is possible from a worker. */
class RelayedStore implements ObjectStore {
  readonly description = 'compaction worker relay';
  readonly #request: Request;

  constructor(request: Request) {
    this.#request = request;
  }

  async get(path: string, options?: GetOptions): Promise<GetResult> {
    const range = options?.range ?? { offset: 0 };
    const got = (await this.#request({ op: 'get', path, range })) as WireGot;
    return {
      bytes: got.bytes,
      offset: got.offset,
      meta: { path, size: got.size, lastModifiedMs: 0, etag: undefined },
    };
  }

  #unsupported(op: string): never {
    throw internalError('ASSERTION_FAILED', `a compaction worker does not ${op} objects`);
  }

  put(): Promise<PutResult> {
    this.#unsupported('put');
  }

  putStream(): Promise<PutResult> {
    this.#unsupported('stream');
  }

  head(): Promise<ObjectMeta> {
    this.#unsupported('head');
  }

  list(): AsyncIterable<ObjectMeta> {
    this.#unsupported('list');
  }

  delete(): Promise<void> {
    this.#unsupported('delete');
  }

  async close(): Promise<void> {}
}

/** Sends one output SST's bytes to the main thread in large messages, with at most CHUNK_WINDOW unanswered. */
async function sendSst(request: Request, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  await request({ op: 'begin' });
  const inFlight: Promise<unknown>[] = [];
  let parts: Uint8Array[] = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (bytes === 0) return;
    const out = new Uint8Array(bytes);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    parts = [];
    bytes = 0;
    if (inFlight.length >= CHUNK_WINDOW) await inFlight.shift();
    const sent = request({ op: 'chunk', bytes: out }, [out.buffer as ArrayBuffer]);
    sent.catch(() => {});
    inFlight.push(sent);
  };
  for await (const c of chunks) {
    parts.push(c);
    bytes += c.length;
    if (bytes >= CHUNK_MESSAGE_BYTES) await flush();
  }
  await flush();
  await Promise.all(inFlight);
}

async function runTask(spec: RangeTask, ctx: TaskContext): Promise<JobStats> {
  const request: Request = (r, transfer) => ctx.request(r, transfer);
  const signal = ctx.signal;
  const tableStore = new TableStore(new RelayedStore(request), spec.root, {
    ...spec.table,
    blockCacheBytes: 0,
  });
  tableStore.paths.setExternalRoots(spec.externalRoots);
  const job = {
    l0: spec.l0.map(fromWireSst),
    sortedRuns: spec.sortedRuns.map((sr) => ({ id: sr.id, ssts: sr.ssts.map(fromWireSst) })),
    retentionMinSeq: spec.retentionMinSeq,
    isDestLastRun: spec.isDestLastRun,
    expiryTickMs: spec.expiryTickMs,
  };
  const stats: JobStats = { bytesWritten: 0, rowsWritten: 0 };
  try {
    await writeRange(jobRows(job, tableStore, undefined, spec.readAheadBytes, spec.range), {
      newBuilder: () => tableStore.sstBuilder(),
      maxSstSize: spec.maxSstSize,
      uploadChunkBytes: spec.uploadChunkBytes,
      signal,
      stats,
      write: (chunks) => sendSst(request, chunks),
      written: (_, meta) => request({ op: 'end', meta }),
    });
  } finally {
    tableStore.close();
  }
  return stats;
}

serveTasks({
  [RANGE_TASK]: async (spec, ctx) => ({ result: await runTask(spec as RangeTask, ctx) }),
  // A pool of compaction workers can encode L0 and WAL SSTs too (the same code as the flush workers).
  ...encodeHandlers,
});
