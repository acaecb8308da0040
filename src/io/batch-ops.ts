/**
 * Batch operations for the batch lane: write, delete and copy, their validation, and BatchError, which says
 * which op failed, how many completed before it, and why.
 *
 * Invariants: a batch that fails validation is rejected whole before anything runs. A BatchError's `completed`
 * equals its `failedIndex`: ops before it are applied and durable, the failed op and those after it are not
 * applied. Its kind and code are the cause's, so callers can treat it like the underlying error.
 * Concurrency: plain values.
 */
import { dirname, isAbsolute } from 'node:path';
import { invalidError, ShaleDBError } from '../util/errors.js';
import { validateFinalPath } from './temp-file.js';

/** Replace any existing file, or create only if absent (ALREADY_EXISTS otherwise). Default 'replace'. */
export type WriteMode = 'replace' | 'create';

/** One operation of a batch. */
export type BatchOp =
  | {
      readonly op: 'write';
      readonly path: string;
      readonly data: Uint8Array | readonly Uint8Array[];
      readonly mode?: WriteMode;
    }
  | { readonly op: 'delete'; readonly path: string }
  | { readonly op: 'copy'; readonly from: string; readonly to: string; readonly mode?: WriteMode };

/** What a successful batch reports. */
export interface BatchResult {
  /** Number of ops applied (all of them). */
  readonly completed: number;
}

/** A batch stopped at `failedIndex`; the `completed` ops before it are applied and durable. */
export class BatchError extends ShaleDBError {
  readonly failedIndex: number;
  readonly completed: number;
  /** The op that failed. */
  readonly failedOp: BatchOp;

  constructor(failedIndex: number, failedOp: BatchOp, cause: ShaleDBError) {
    super(
      cause.kind,
      cause.code,
      `batch op ${failedIndex} (${describeOp(failedOp)}) failed after ${failedIndex} completed: ${cause.message}`,
      { cause, closeReason: cause.closeReason },
    );
    this.name = 'BatchError';
    this.failedIndex = failedIndex;
    this.completed = failedIndex;
    this.failedOp = failedOp;
  }
}

/** "write /a", "copy /a -> /b". */
export function describeOp(op: BatchOp): string {
  return op.op === 'copy' ? `copy ${op.from} -> ${op.to}` : `${op.op} ${op.path}`;
}

/** The path an op changes. */
export function targetOf(op: BatchOp): string {
  return op.op === 'copy' ? op.to : op.path;
}

/** Every path an op reads or changes. */
export function pathsOf(op: BatchOp): string[] {
  return op.op === 'copy' ? [op.from, op.to] : [op.path];
}

/** The directory whose entries an op changes. */
export function directoryOf(op: BatchOp): string {
  return dirname(targetOf(op));
}

/** Bytes a write op carries (0 for others): for queue limits. */
export function bytesOf(op: BatchOp): number {
  if (op.op !== 'write') return 0;
  if (op.data instanceof Uint8Array) return op.data.length;
  let n = 0;
  for (const c of op.data) n += c.length;
  return n;
}

/** Throws an 'invalid' error naming the first malformed op. */
export function validateBatch(ops: readonly BatchOp[]): void {
  if (!Array.isArray(ops)) throw invalidError('INVALID_ARGUMENT', 'a batch must be an array of ops');
  ops.forEach((op, i) => {
    const where = `batch op ${i}`;
    if (op === null || typeof op !== 'object') throw invalidError('INVALID_ARGUMENT', `${where}: not an op`);
    if (op.op === 'write') {
      validateFinalPath(op.path, where);
      validateMode(op.mode, where);
      const chunks = op.data instanceof Uint8Array ? [op.data] : op.data;
      if (!Array.isArray(chunks) || !chunks.every((c) => c instanceof Uint8Array)) {
        throw invalidError('INVALID_ARGUMENT', `${where}: data must be a Uint8Array or an array of them`);
      }
    } else if (op.op === 'copy') {
      validateAbsolute(op.from, where);
      validateFinalPath(op.to, where);
      validateMode(op.mode, where);
    } else if (op.op === 'delete') {
      validateAbsolute(op.path, where);
    } else {
      throw invalidError(
        'INVALID_ARGUMENT',
        `${where}: unknown op ${JSON.stringify((op as { op: unknown }).op)}`,
      );
    }
  });
}

function validateAbsolute(path: unknown, where: string): void {
  if (typeof path !== 'string' || !isAbsolute(path) || path.endsWith('/')) {
    throw invalidError('INVALID_ARGUMENT', `${where}: not an absolute file path: ${JSON.stringify(path)}`);
  }
}

function validateMode(mode: unknown, where: string): void {
  if (mode !== undefined && mode !== 'replace' && mode !== 'create') {
    throw invalidError('INVALID_ARGUMENT', `${where}: mode must be 'replace' or 'create'`);
  }
}
