/**
 * The generic messages between the main thread and a worker of a {@link WorkerPool} (src/util/worker-pool.ts):
 * a task of some kind runs in a worker, which may send requests the main thread answers, and ends with a result
 * or an error. What a task's spec, requests and result hold is up to its kind (compaction ranges, L0 encoding).
 *
 * Invariants: every message is structured-clonable (no class instances: errors travel as plain records); byte
 * payloads travel in ArrayBuffers of their own, transferred, never as views of a buffer someone else still uses;
 * every worker request gets exactly one reply.
 * Concurrency: plain values.
 */

import { type CloseReason, type ErrorCode, type ErrorKind, ShaleDBError } from './errors.js';

/** An error as it crosses threads. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly kind?: ErrorKind;
  readonly code?: ErrorCode;
  readonly closeReason?: CloseReason;
  readonly reason?: string;
}

/** What a worker is started with (its `workerData`). */
export interface WorkerStartData {
  /** The nice value the worker gives its thread (thread-priority.ts); absent: unchanged. */
  readonly nice?: number;
}

/** Main thread -> worker. */
export type ToWorker =
  | { readonly type: 'run'; readonly task: number; readonly kind: string; readonly spec: unknown }
  | { readonly type: 'abort'; readonly task: number }
  | { readonly type: 'reply'; readonly req: number; readonly value?: unknown; readonly error?: WireError }
  /** Test hook: the worker throws an uncaught exception, as a crash would. */
  | { readonly type: 'crash' };

/** Worker -> main thread. */
export type FromWorker =
  /** The worker's entry module has loaded: it serves tasks without further start-up delay. */
  | { readonly type: 'ready' }
  | { readonly type: 'request'; readonly task: number; readonly req: number; readonly request: unknown }
  | { readonly type: 'done'; readonly task: number; readonly result: unknown }
  | { readonly type: 'failed'; readonly task: number; readonly error: WireError };

/** A copy of `b` in an ArrayBuffer of its own (to be transferred). */
export function ownedCopy(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** Any thrown value as a WireError (ShaleDBError's kind and code survive). */
export function toWireError(e: unknown): WireError {
  if (e instanceof ShaleDBError) {
    const reason = (e as { reason?: unknown }).reason;
    return {
      name: e.name,
      message: e.message,
      kind: e.kind,
      code: e.code,
      ...(e.closeReason === undefined ? {} : { closeReason: e.closeReason }),
      ...(typeof reason === 'string' ? { reason } : {}),
    };
  }
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/**
 * A WireError back as a ShaleDBError; one that was not a ShaleDBError becomes kind 'internal' with
 * `fallbackCode` (the pool's worker-failure code).
 */
export function fromWireError(w: WireError, fallbackCode: ErrorCode): ShaleDBError {
  if (w.kind === undefined || w.code === undefined) {
    return new ShaleDBError('internal', fallbackCode, `worker: ${w.name}: ${w.message}`);
  }
  const e = new ShaleDBError(
    w.kind,
    w.code,
    w.message,
    w.closeReason === undefined ? {} : { closeReason: w.closeReason },
  );
  if (w.reason !== undefined) Object.defineProperty(e, 'reason', { value: w.reason, enumerable: true });
  return e;
}

/** Collects the ArrayBuffers of the Uint8Array fields of a plain value (one level deep) for transfer. */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  if (value instanceof Uint8Array) return [value.buffer as ArrayBuffer];
  if (typeof value !== 'object' || value === null) return [];
  const out = new Set<ArrayBuffer>();
  for (const v of Object.values(value)) if (v instanceof Uint8Array) out.add(v.buffer as ArrayBuffer);
  return [...out];
}
