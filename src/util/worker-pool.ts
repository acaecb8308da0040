/**
 * WorkerPool: a small pool of `node:worker_threads` workers running one entry module (which serves tasks with
 * worker-runtime.ts), and the main thread's side of their protocol. A task has a kind and a spec; while it runs,
 * the worker may send requests, which the task's `serve` function answers on this thread (object-store IO stays
 * here); it ends with a result or an error. Compaction ranges and L0 encoding are its task kinds.
 *
 * Invariants: workers start lazily (a task finds no idle worker and the pool is below its size); an idle worker
 * is unref'd, so it never keeps the process alive, and a busy one is ref'd, as in-flight work on this thread would
 * be; a worker that dies (uncaught exception, exit, unreadable message) fails its tasks with a ShaleDBError of
 * kind 'unavailable' and the pool's failure code, is dropped, and is replaced by the next task that needs one;
 * after close every worker is terminated and no task runs. Workers get no Node flags (`execArgv: []`): the
 * process's own (`--input-type`, test-runner flags) may be invalid in a worker, and the worker needs none.
 * Concurrency: all methods run on the main thread; several tasks may share a worker.
 */

import nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { closedError, type ErrorCode, ShaleDBError } from './errors.js';
import nativeRequire from './native-require.cjs';
import workerEntry from './worker-entry.cjs';
import {
  type FromWorker,
  fromWireError,
  type ToWorker,
  toWireError,
  transferablesOf,
  type WorkerStartData,
} from './worker-protocol.js';

/** Answers one worker request of a task (on the main thread); a Uint8Array in the value is transferred. */
export type ServeRequest = (request: unknown) => Promise<unknown>;

/** What a pool runs and how it names its failures. */
export interface WorkerPoolOptions {
  /** Workers at most. */
  readonly size: number;
  /** The entry module, relative to `src/` without extension (such as 'compactor/compaction-worker'). */
  readonly entry: string;
  /** The code of the error a dead worker fails its tasks with. */
  readonly failCode: ErrorCode;
  /** What the workers do, for messages ('compaction', 'flush'). */
  readonly name: string;
  /** Called each time a worker starts. */
  readonly onStart?: () => void;
  /**
   * The nice value each worker gives its own thread (Linux; see thread-priority.ts), so background work yields
   * the cores to the application's thread. Absent: the workers keep the process's priority.
   */
  readonly nice?: number;
}

interface TaskState {
  readonly serve: ServeRequest;
  readonly resolve: (result: unknown) => void;
  readonly reject: (e: unknown) => void;
}

interface PooledWorker {
  readonly worker: Worker;
  readonly tasks: Map<number, TaskState>;
  dead: boolean;
  /** Its entry module has loaded. */
  ready: boolean;
}

/** Starts a worker running `entry`; from the TypeScript sources it registers tsx first. */
function spawnWorker(entry: string, nice: number | undefined): Worker {
  const e = workerEntry.resolve(entry);
  const workerData: WorkerStartData = nice === undefined ? {} : { nice };
  if (!e.fromSources) return new Worker(e.file, { execArgv: [], workerData });
  // Node 20 does not apply the parent's `--import tsx` hooks to a worker: register tsx there, then load the entry.
  const tsxApi = pathToFileURL(
    nodePath.join(nodePath.dirname(nativeRequire.resolve('tsx')), 'esm/api/index.mjs'),
  );
  const code = `import(${JSON.stringify(tsxApi.href)}).then((m) => { m.register(); return import(${JSON.stringify(
    pathToFileURL(e.file).href,
  )}); });`;
  return new Worker(code, { eval: true, execArgv: [], workerData });
}

/** A pool of workers running tasks of the kinds its entry module serves. */
export class WorkerPool {
  readonly size: number;
  readonly #options: WorkerPoolOptions;
  readonly #workers: PooledWorker[] = [];
  #nextTask = 1;
  #closed = false;
  /** Workers started since the pool was created (replacements included). */
  started = 0;

  constructor(options: WorkerPoolOptions) {
    const size = options.size;
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('pool size must be a positive integer');
    this.size = size;
    this.#options = options;
  }

  /** Live workers. */
  get workerCount(): number {
    return this.#workers.length;
  }

  /**
   * Runs one task of `kind`; resolves with its result, rejects with the task's error, a worker-failure error, or
   * `signal`'s reason. `transfer` lists ArrayBuffers of `spec` to move to the worker (they become unusable here);
   * `onAbandon` runs when the task fails or is aborted, before the promise rejects.
   */
  run(
    kind: string,
    spec: unknown,
    serve: ServeRequest,
    opts: {
      readonly signal?: AbortSignal;
      readonly transfer?: ArrayBuffer[];
      readonly onAbandon?: (e: unknown) => void;
      /** Test hook: the worker crashes before it starts the task. */
      readonly crashFirst?: boolean;
    } = {},
  ): Promise<unknown> {
    const { signal, onAbandon } = opts;
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const w = this.#pick();
    const task = this.#nextTask++;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        if (!w.tasks.delete(task)) return;
        this.#refresh(w);
        onAbandon?.(signal!.reason);
        if (!w.dead) this.#post(w, { type: 'abort', task });
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      w.tasks.set(task, {
        serve,
        resolve: (result) => {
          done();
          resolve(result);
        },
        reject: (e) => {
          done();
          onAbandon?.(e);
          reject(e);
        },
      });
      this.#refresh(w);
      if (opts.crashFirst === true) this.#post(w, { type: 'crash' });
      this.#post(w, { type: 'run', task, kind, spec }, opts.transfer);
    });
  }

  #closedError(): ShaleDBError {
    return closedError('clean', `${this.#options.name} worker pool is closed`);
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
    const worker = spawnWorker(this.#options.entry, this.#options.nice);
    this.started++;
    this.#options.onStart?.();
    const w: PooledWorker = { worker, tasks: new Map(), dead: false, ready: false };
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
      ? this.#closedError()
      : new ShaleDBError(
          'unavailable',
          this.#options.failCode,
          `${this.#options.name} worker failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          { cause },
        );
    const tasks = [...w.tasks.values()];
    w.tasks.clear();
    for (const t of tasks) t.reject(error);
    void w.worker.terminate().catch(() => {});
  }

  #onMessage(w: PooledWorker, m: FromWorker): void {
    if (m.type === 'ready') {
      w.ready = true;
      return;
    }
    const t = w.tasks.get(m.task);
    if (m.type === 'request') {
      if (t === undefined) {
        this.#reply(w, m.req, Promise.reject(closedError('clean', 'worker task abandoned')));
        return;
      }
      let outcome: Promise<unknown>;
      try {
        outcome = t.serve(m.request);
      } catch (e) {
        outcome = Promise.reject(e);
      }
      this.#reply(w, m.req, outcome);
      return;
    }
    if (t === undefined) return;
    w.tasks.delete(m.task);
    this.#refresh(w);
    if (m.type === 'done') t.resolve(m.result);
    else t.reject(fromWireError(m.error, this.#options.failCode));
  }

  #reply(w: PooledWorker, req: number, outcome: Promise<unknown>): void {
    outcome.then(
      (value) => {
        if (!w.dead) this.#post(w, { type: 'reply', req, value }, transferablesOf(value));
      },
      (e: unknown) => {
        if (!w.dead) this.#post(w, { type: 'reply', req, error: toWireError(e) });
      },
    );
  }

  /**
   * True when an idle worker has finished starting, so a task would start at once; otherwise false, and a worker
   * is started (in the background) if the pool is below its size. For work that must not wait for a worker's
   * start-up (it runs on this thread meanwhile).
   */
  warm(): boolean {
    if (this.#closed) return false;
    if (this.#workers.some((w) => w.ready && w.tasks.size === 0)) return true;
    if (this.#workers.length < this.size) this.#start();
    return false;
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
