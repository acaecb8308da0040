/**
 * CompactionWorkerPool: the compactor's view of a {@link WorkerPool} (src/util/worker-pool.ts) running
 * compaction-worker.ts: it runs compaction ranges and routes each worker request (reads, output bytes) to the
 * task's {@link TaskIo}, which does the object-store IO on this thread.
 *
 * Invariants: as WorkerPool's (lazy start, idle workers unref'd, a dead worker fails its tasks with kind
 * 'unavailable', here with code COMPACTION_WORKER_FAILED, close terminates every worker); a failed or aborted
 * task's TaskIo is told (`fail`) before its promise rejects, so no upload of it completes.
 * Concurrency: all methods run on the main thread; tasks of several jobs may share a worker.
 */

import type { GetRange } from '../object-store/object-store.js';
import { WorkerPool } from '../util/worker-pool.js';
import type { JobStats, SstOutputMeta } from './range-writer.js';
import { RANGE_TASK, type RangeTask, type WireGot, type WorkerRequest } from './worker-protocol.js';

/** What the main thread does for one task (object-store IO and output bookkeeping). */
export interface TaskIo {
  /** Reads a range; the bytes must be in an ArrayBuffer of their own (they are transferred). */
  get(path: string, range: GetRange): Promise<WireGot>;
  /** An output SST starts. */
  begin(): void;
  /** The next bytes of the current output SST; resolves once the upload took them. */
  chunk(bytes: Uint8Array): Promise<void>;
  /** The current output SST is complete; resolves once it is stored. */
  end(meta: SstOutputMeta): Promise<void>;
  /** The task failed or was abandoned: an upload in progress must not complete. */
  fail(error: unknown): void;
}

let startedInProcess = 0;

/** @internal Compaction workers this process has started (tests). */
export function compactionWorkersStarted(): number {
  return startedInProcess;
}

/** The default pool size: two workers, or one on a single-core machine. */
export function defaultCompactionWorkers(cores: number): number {
  return Math.max(1, Math.min(2, cores));
}

function serveRange(io: TaskIo, r: WorkerRequest): Promise<unknown> {
  switch (r.op) {
    case 'get':
      return io.get(r.path, r.range);
    case 'begin':
      io.begin();
      return Promise.resolve(undefined);
    case 'chunk':
      return io.chunk(r.bytes);
    case 'end':
      return io.end(r.meta);
  }
}

/** A pool of compaction workers. */
export class CompactionWorkerPool {
  readonly #pool: WorkerPool;

  /** `nice`: the workers' thread nice value (WorkerPoolOptions.nice); absent: the process's priority. */
  constructor(size: number, options: { readonly nice?: number | undefined } = {}) {
    this.#pool = new WorkerPool({
      size,
      ...(options.nice === undefined ? {} : { nice: options.nice }),
      entry: 'compactor/compaction-worker',
      failCode: 'COMPACTION_WORKER_FAILED',
      name: 'compaction',
      onStart: () => {
        startedInProcess++;
      },
    });
  }

  /** Workers at most. */
  get size(): number {
    return this.#pool.size;
  }

  /** Live workers. */
  get workerCount(): number {
    return this.#pool.workerCount;
  }

  /** Workers started since the pool was created (replacements included). */
  get started(): number {
    return this.#pool.started;
  }

  /** Runs one range task; rejects with the task's error, a COMPACTION_WORKER_FAILED error, or `signal`'s reason. */
  async run(spec: RangeTask, io: TaskIo, signal: AbortSignal): Promise<JobStats> {
    const stats = await this.#pool.run(RANGE_TASK, spec, (r) => serveRange(io, r as WorkerRequest), {
      signal,
      onAbandon: (e) => io.fail(e),
    });
    return stats as JobStats;
  }

  /** Test hook: makes every live worker throw an uncaught exception (as a crash would). */
  crashWorkersForTesting(): void {
    this.#pool.crashWorkersForTesting();
  }

  /** Terminates every worker; running tasks fail with a closed error. Idempotent. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
