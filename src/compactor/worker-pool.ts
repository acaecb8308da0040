/**
 * CompactionWorkerPool: a small pool of `node:worker_threads` workers that run compaction ranges
 * (compaction-worker.ts), and the main thread's side of their protocol: it routes each worker request (reads,
 * output bytes) to the task's {@link TaskIo}, which does the object-store IO on this thread.
 *
 * Invariants: workers start lazily (a task finds no idle worker and the pool is below its size); an idle worker
 * is unref'd, so it never keeps the process alive, and a busy one is ref'd, as in-flight work on this thread would
 * be; a worker that dies (uncaught exception, exit, unreadable message) fails its tasks with a ShaleDBError of
 * kind 'unavailable' and code COMPACTION_WORKER_FAILED, is dropped, and is replaced by the next task that needs
 * one; after close every worker is terminated and no task runs.
 * Concurrency: all methods run on the main thread; tasks of several jobs may share a worker.
 */

import nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { GetRange } from '../object-store/object-store.js';
import { closedError, ShaleDBError } from '../util/errors.js';
import nativeRequire from '../util/native-require.cjs';
import type { JobStats, SstOutputMeta } from './range-writer.js';
import entry from './worker-entry.cjs';
import {
  type FromWorker,
  fromWireError,
  type RangeTask,
  type ToWorker,
  toWireError,
  type WireGot,
  type WorkerRequest,
} from './worker-protocol.js';

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

interface TaskState {
  readonly io: TaskIo;
  readonly resolve: (stats: JobStats) => void;
  readonly reject: (e: unknown) => void;
}

interface PooledWorker {
  readonly worker: Worker;
  readonly tasks: Map<number, TaskState>;
  dead: boolean;
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

/**
 * Starts a worker running the compaction worker's entry module. It gets no Node flags: the process's own (such as
 * `--input-type` or test-runner flags) may be invalid in a worker, and the worker needs none.
 */
function spawnWorker(): Worker {
  if (!entry.fromSources) return new Worker(entry.file, { execArgv: [] });
  // From the TypeScript sources (tests, benchmarks): register tsx in the worker, then load the entry.
  const tsxApi = pathToFileURL(
    nodePath.join(nodePath.dirname(nativeRequire.resolve('tsx')), 'esm/api/index.mjs'),
  );
  const code = `import(${JSON.stringify(tsxApi.href)}).then((m) => { m.register(); return import(${JSON.stringify(
    pathToFileURL(entry.file).href,
  )}); });`;
  return new Worker(code, { eval: true, execArgv: [] });
}

/** A pool of compaction workers. */
export class CompactionWorkerPool {
  /** Workers at most. */
  readonly size: number;
  readonly #workers: PooledWorker[] = [];
  #nextTask = 1;
  #closed = false;
  /** Workers started since the pool was created (replacements included). */
  started = 0;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('pool size must be a positive integer');
    this.size = size;
  }

  /** Live workers. */
  get workerCount(): number {
    return this.#workers.length;
  }

  /** Runs one range task; rejects with the task's error, a COMPACTION_WORKER_FAILED error, or `signal`'s reason. */
  run(spec: RangeTask, io: TaskIo, signal: AbortSignal): Promise<JobStats> {
    if (this.#closed) return Promise.reject(closedError('clean', 'compaction worker pool is closed'));
    if (signal.aborted) return Promise.reject(signal.reason);
    const w = this.#pick();
    const task = this.#nextTask++;
    return new Promise<JobStats>((resolve, reject) => {
      const onAbort = (): void => {
        if (!w.tasks.delete(task)) return;
        this.#refresh(w);
        io.fail(signal.reason);
        if (!w.dead) this.#post(w, { type: 'abort', task });
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal.removeEventListener('abort', onAbort);
      w.tasks.set(task, {
        io,
        resolve: (stats) => {
          done();
          resolve(stats);
        },
        reject: (e) => {
          done();
          io.fail(e);
          reject(e);
        },
      });
      this.#refresh(w);
      this.#post(w, { type: 'run', task, spec });
    });
  }

  /** An idle worker, a new one while below size, else the least loaded. */
  #pick(): PooledWorker {
    const idle = this.#workers.find((w) => w.tasks.size === 0);
    if (idle !== undefined) return idle;
    if (this.#workers.length < this.size) return this.#start();
    let best = this.#workers[0]!;
    for (const w of this.#workers) if (w.tasks.size < best.tasks.size) best = w;
    return best;
  }

  #start(): PooledWorker {
    const worker = spawnWorker();
    this.started++;
    startedInProcess++;
    const w: PooledWorker = { worker, tasks: new Map(), dead: false };
    worker.unref();
    worker.on('message', (m: FromWorker) => this.#onMessage(w, m));
    worker.on('error', (e) => this.#onDeath(w, e));
    worker.on('messageerror', (e) => this.#onDeath(w, e));
    worker.on('exit', (code) => this.#onDeath(w, new Error(`exited with code ${code}`)));
    this.#workers.push(w);
    return w;
  }

  /** A busy worker keeps the process alive like in-flight work; an idle one does not. */
  #refresh(w: PooledWorker): void {
    if (w.dead) return;
    if (w.tasks.size > 0) w.worker.ref();
    else w.worker.unref();
  }

  #post(w: PooledWorker, m: ToWorker, transfer: ArrayBuffer[] = []): void {
    try {
      w.worker.postMessage(m, transfer);
    } catch (e) {
      this.#onDeath(w, e);
    }
  }

  #onDeath(w: PooledWorker, cause: unknown): void {
    if (w.dead) return;
    w.dead = true;
    const i = this.#workers.indexOf(w);
    if (i >= 0) this.#workers.splice(i, 1);
    const error = this.#closed
      ? closedError('clean', 'compaction worker pool is closed')
      : new ShaleDBError(
          'unavailable',
          'COMPACTION_WORKER_FAILED',
          `compaction worker failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          { cause },
        );
    const tasks = [...w.tasks.values()];
    w.tasks.clear();
    for (const t of tasks) t.reject(error);
    void w.worker.terminate().catch(() => {});
  }

  #onMessage(w: PooledWorker, m: FromWorker): void {
    const t = w.tasks.get(m.task);
    if (m.type === 'request') {
      if (t === undefined) {
        this.#reply(w, m.req, Promise.reject(closedError('clean', 'compaction task abandoned')));
        return;
      }
      this.#reply(w, m.req, this.#serve(t.io, m.request));
      return;
    }
    if (t === undefined) return;
    w.tasks.delete(m.task);
    this.#refresh(w);
    if (m.type === 'done') t.resolve(m.stats);
    else t.reject(fromWireError(m.error));
  }

  #serve(io: TaskIo, r: WorkerRequest): Promise<unknown> {
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

  #reply(w: PooledWorker, req: number, outcome: Promise<unknown>): void {
    outcome.then(
      (value) => {
        if (w.dead) return;
        const got = value as WireGot | undefined;
        const transfer = got?.bytes instanceof Uint8Array ? [got.bytes.buffer as ArrayBuffer] : [];
        this.#post(w, { type: 'reply', req, value }, transfer);
      },
      (e: unknown) => {
        if (!w.dead) this.#post(w, { type: 'reply', req, error: toWireError(e) });
      },
    );
  }

  /** Test hook: makes every live worker throw an uncaught exception (as a crash would). */
  crashWorkersForTesting(): void {
    for (const w of this.#workers) this.#post(w, { type: 'crash' });
  }

  /** Terminates every worker; running tasks fail with a closed error. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = [...this.#workers];
    for (const w of workers) this.#onDeath(w, new Error('closed'));
    await Promise.all(workers.map((w) => w.worker.terminate().catch(() => {})));
  }
}
