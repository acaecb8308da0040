/**
 * The messages between the compactor's thread and a compaction worker (docs/design/0006-background-workers.md).
 * A task is one key range of one compaction; the worker asks the main thread for every object-store read and
 * hands it every output byte, because object stores (including user-supplied ones) live on the main thread.
 *
 * Invariants: every message is structured-clonable (no class instances: ULIDs travel as strings, errors as
 * plain records); byte payloads travel in ArrayBuffers of their own (copied once, then transferred), never as
 * views of a buffer someone else still uses; every worker request gets exactly one reply.
 * Concurrency: plain values.
 */

import type { CompactedSsTable } from '../format/manifest.js';
import type { KeyRange } from '../format/row-iterator.js';
import type { GetRange } from '../object-store/object-store.js';
import type { CompressionCodec } from '../store/settings.js';
import { type CloseReason, type ErrorCode, type ErrorKind, ShaleDBError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import type { JobStats, SstOutputMeta } from './range-writer.js';

/** An input SST as it crosses threads. */
export interface WireSst {
  readonly id: string;
  readonly info: CompactedSsTable['info'];
  readonly formatVersion: number;
}

/** Everything a worker needs to compact one key range of one job. */
export interface RangeTask {
  readonly root: string;
  /** Input SSTs a clone shares with the databases it was cloned from: SST id text -> that database's root. */
  readonly externalRoots: readonly (readonly [string, string])[];
  readonly table: {
    readonly codec: CompressionCodec;
    readonly blockSize: number;
    readonly minFilterKeys: number;
    readonly filterBitsPerKey: number;
  };
  /** L0 sources, newest first. */
  readonly l0: readonly WireSst[];
  /** Sorted-run sources, highest id first. */
  readonly sortedRuns: readonly { readonly id: number; readonly ssts: readonly WireSst[] }[];
  readonly range: KeyRange;
  readonly retentionMinSeq: number;
  readonly isDestLastRun: boolean;
  readonly expiryTickMs: number;
  readonly maxSstSize: number;
  readonly readAheadBytes: number;
  readonly uploadChunkBytes: number;
}

/** An error as it crosses threads. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly kind?: ErrorKind;
  readonly code?: ErrorCode;
  readonly closeReason?: CloseReason;
  readonly reason?: string;
}

/** Main thread -> worker. */
export type ToWorker =
  | { readonly type: 'run'; readonly task: number; readonly spec: RangeTask }
  | { readonly type: 'abort'; readonly task: number }
  | { readonly type: 'reply'; readonly req: number; readonly value?: unknown; readonly error?: WireError }
  /** Test hook: the worker throws an uncaught exception, as a crash would. */
  | { readonly type: 'crash' };

/** A worker's request to the main thread (each answered by one 'reply'). */
export type WorkerRequest =
  /** Read `path` (range) from the store; the reply is {bytes, offset, size}. */
  | { readonly op: 'get'; readonly path: string; readonly range: GetRange }
  /** An output SST starts. */
  | { readonly op: 'begin' }
  /** The next bytes of the current output SST; replied once the upload took them. */
  | { readonly op: 'chunk'; readonly bytes: Uint8Array }
  /** The current output SST is complete; replied once it is stored. */
  | { readonly op: 'end'; readonly meta: SstOutputMeta };

/** Worker -> main thread. */
export type FromWorker =
  | { readonly type: 'request'; readonly task: number; readonly req: number; readonly request: WorkerRequest }
  | { readonly type: 'done'; readonly task: number; readonly stats: JobStats }
  | { readonly type: 'failed'; readonly task: number; readonly error: WireError };

/** The reply to a 'get'. */
export interface WireGot {
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly size: number;
}

/** An input SST for the wire. */
export function toWireSst(s: CompactedSsTable): WireSst {
  return { id: s.id.toString(), info: s.info, formatVersion: s.formatVersion };
}

/** An input SST from the wire. */
export function fromWireSst(s: WireSst): CompactedSsTable {
  return { id: Ulid.parse(s.id), info: s.info, formatVersion: s.formatVersion };
}

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

/** A WireError back as a ShaleDBError (kind 'internal' when it was not one). */
export function fromWireError(w: WireError): ShaleDBError {
  if (w.kind === undefined || w.code === undefined) {
    return new ShaleDBError(
      'internal',
      'COMPACTION_WORKER_FAILED',
      `compaction worker: ${w.name}: ${w.message}`,
    );
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
