/**
 * L0EncoderPool: the flush workers, a {@link WorkerPool} running l0-encode-worker.ts, which encode L0 SSTs (memtable
 * flushes) and WAL SSTs from packed rows (l0-encoding.ts) so that the application's thread only packs rows and does
 * the IO.
 *
 * Invariants: as WorkerPool's (lazy start, idle workers unref'd, close terminates every worker); a worker that
 * dies fails its tasks with kind 'unavailable', code FLUSH_WORKER_FAILED (the flusher retries those, as it does
 * an unavailable store; the WAL writer fails the write, as for any failed WAL PUT).
 * Concurrency: main thread only.
 */

import { WorkerPool } from '../util/worker-pool.js';
import { ENCODE_L0_TASK, ENCODE_WAL_TASK, type EncodedL0, type EncodeL0Task } from './l0-encoding.js';

/** Encodes L0 SSTs from packed rows somewhere else than this thread. */
export interface L0Encoder {
  /** Encodes the task's rows as an L0 SST; the task's packed buffer is transferred (unusable afterwards). */
  encode(task: EncodeL0Task): Promise<EncodedL0>;
  /** Encodes the task's rows (commit order) as a WAL SST; the packed buffer is transferred. */
  encodeWal(task: EncodeL0Task): Promise<EncodedL0>;
  /** True when a started, idle worker would take a task at once (else one is started in the background). */
  warm(): boolean;
}

let startedInProcess = 0;

/** @internal Flush workers this process has started (tests). */
export function flushWorkersStarted(): number {
  return startedInProcess;
}

let crashNext = 0;

/** @internal Test hook: the next `n` encodings (in any pool of this process) crash their worker first. */
export function crashNextFlushTasksForTesting(n: number): void {
  crashNext = n;
}

/** A pool of L0-encoding workers. */
export class L0EncoderPool implements L0Encoder {
  readonly #pool: WorkerPool;

  /** `nice`: the workers' thread nice value (WorkerPoolOptions.nice); absent: the process's priority. */
  constructor(size: number, options: { readonly nice?: number | undefined } = {}) {
    this.#pool = new WorkerPool({
      size,
      ...(options.nice === undefined ? {} : { nice: options.nice }),
      entry: 'store/l0-encode-worker',
      failCode: 'FLUSH_WORKER_FAILED',
      name: 'flush',
      onStart: () => {
        startedInProcess++;
      },
    });
  }

  /** Live workers. */
  get workerCount(): number {
    return this.#pool.workerCount;
  }

  encode(task: EncodeL0Task): Promise<EncodedL0> {
    return this.#run(ENCODE_L0_TASK, task);
  }

  encodeWal(task: EncodeL0Task): Promise<EncodedL0> {
    return this.#run(ENCODE_WAL_TASK, task);
  }

  warm(): boolean {
    return this.#pool.warm();
  }

  async #run(kind: string, task: EncodeL0Task): Promise<EncodedL0> {
    const noRequests = (): Promise<unknown> => Promise.reject(new Error('encode-l0 sends no requests'));
    const crashFirst = crashNext > 0;
    if (crashFirst) crashNext--;
    const out = await this.#pool.run(kind, task, noRequests, {
      transfer: [task.rows.bytes.buffer as ArrayBuffer],
      crashFirst,
    });
    return out as EncodedL0;
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
