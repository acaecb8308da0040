/**
 * The worker side of a {@link WorkerPool}: an entry module calls {@link serveTasks} with a handler per task kind;
 * this module receives tasks, runs their handlers, relays their requests to the main thread and sends back their
 * results or errors.
 *
 * Invariants: an aborted task's pending requests fail at once and its later requests fail without being sent;
 * every request gets exactly one reply; a task's result is sent once, with the ArrayBuffers its handler names
 * transferred.
 * Concurrency: any number of tasks interleave on the worker's event loop.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { internalError } from './errors.js';
import { lowerThreadPriority } from './thread-priority.js';
import {
  type FromWorker,
  fromWireError,
  type ToWorker,
  toWireError,
  type WorkerStartData,
} from './worker-protocol.js';

/** What a task handler gets besides its spec. */
export interface TaskContext {
  readonly task: number;
  /** Aborted when the main thread abandons the task. */
  readonly signal: AbortSignal;
  /** Sends a request to the main thread; resolves with its reply. */
  request(r: unknown, transfer?: ArrayBuffer[]): Promise<unknown>;
}

/** A task kind's handler: its result, and the ArrayBuffers of the result to transfer. */
export type TaskHandler = (
  spec: unknown,
  ctx: TaskContext,
) => Promise<{ readonly result: unknown; readonly transfer?: ArrayBuffer[] }>;

interface Pending {
  readonly task: number;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/** Serves tasks of the given kinds on this worker thread (call once, from the worker's entry module). */
export function serveTasks(handlers: Readonly<Record<string, TaskHandler>>): void {
  const port = parentPort;
  if (port === null) throw new Error('a worker entry module must run in a worker thread');
  const start = (workerData ?? {}) as WorkerStartData;
  if (start.nice !== undefined) lowerThreadPriority(start.nice);
  let nextReq = 1;
  const pending = new Map<number, Pending>();
  const aborts = new Map<number, AbortController>();
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

  const contextOf = (task: number, signal: AbortSignal): TaskContext => ({
    task,
    signal,
    request(r, transfer = []) {
      if (signal.aborted) return Promise.reject(signal.reason);
      const req = nextReq++;
      return new Promise((resolve, reject) => {
        pending.set(req, { task, resolve, reject });
        post({ type: 'request', task, req, request: r }, transfer);
      });
    },
  });

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'run': {
        const ac = new AbortController();
        aborts.set(m.task, ac);
        const handler = handlers[m.kind];
        const run =
          handler === undefined
            ? Promise.reject(internalError('ASSERTION_FAILED', `unknown worker task kind ${m.kind}`))
            : handler(m.spec, contextOf(m.task, ac.signal));
        run.then(
          ({ result, transfer }) => {
            aborts.delete(m.task);
            post({ type: 'done', task: m.task, result }, transfer);
          },
          (e: unknown) => {
            aborts.delete(m.task);
            post({ type: 'failed', task: m.task, error: toWireError(e) });
          },
        );
        break;
      }
      case 'abort': {
        const ac = aborts.get(m.task);
        if (ac === undefined) return;
        aborts.delete(m.task);
        const reason = internalError('ASSERTION_FAILED', 'worker task aborted');
        ac.abort(reason);
        for (const [req, p] of pending) {
          if (p.task !== m.task) continue;
          pending.delete(req);
          p.reject(reason);
        }
        break;
      }
      case 'reply': {
        const p = pending.get(m.req);
        if (p === undefined) return;
        pending.delete(m.req);
        if (m.error !== undefined) p.reject(fromWireError(m.error, 'ASSERTION_FAILED'));
        else p.resolve(m.value);
        break;
      }
      case 'crash':
        // Thrown from the message handler: nothing after it on this thread runs.
        throw new Error('worker crash (test hook)');
    }
  });
  post({ type: 'ready' });
}
