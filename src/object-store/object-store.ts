/**
 * ObjectStore: the contract every store (memory, local filesystem, S3, Azure Blob, GCS) and every wrapper (retry,
 * fault injection, latency model, counters) implements. Modelled on what SlateDB 0.12.1 needs from Rust's
 * object_store: whole-object puts with create-if-absent and compare-and-swap, ranged gets, ordered listings.
 *
 * Paths are relative, '/'-separated, with no leading '/', no empty segment, no '.' or '..' segment, and never end
 * in '/'. A store created with a prefix (a bucket prefix, a directory) puts every path under it.
 *
 * Semantics every implementation guarantees:
 * - A put is atomic: readers see the old object or the whole new one, never a part.
 * - `mode: 'create'` succeeds for exactly one of any number of concurrent creators of one path; the others get
 *   an ObjectStoreError with reason 'already-exists'.
 * - `mode: { ifMatch }` replaces the object only if its current etag equals `ifMatch`; otherwise (or if the
 *   object is missing) it fails with reason 'precondition-failed'. Exactly one of concurrent CAS writers wins.
 * - A put resolves only once the object is durable in the store.
 * - `list(prefix)` yields every object whose path starts with `prefix` (a plain string prefix), in ascending
 *   bytewise order of path, each once; `startAfter` skips paths <= it. Objects created or deleted during a listing
 *   may or may not appear. Listing is paged internally; the iterable can be abandoned at any point.
 * - `delete` is idempotent: deleting a missing object succeeds.
 * - A `get` of a missing object fails with reason 'not-found'. A range past the end is clamped to the object.
 *
 * Concurrency: every method may be called concurrently with any other.
 */
import { type ErrorCode, type ErrorKind, ShaleDBError } from '../util/errors.js';

/** How a put treats an existing object. */
export type PutMode =
  /** Replace unconditionally. */
  | 'overwrite'
  /** Create only if absent, else fail with 'already-exists'. */
  | 'create'
  /** Replace only if the current etag equals this one, else fail with 'precondition-failed'. */
  | { readonly ifMatch: string };

/** Options for {@link ObjectStore.put}. */
export interface PutOptions {
  /** Default 'overwrite'. */
  readonly mode?: PutMode;
  readonly signal?: AbortSignal;
}

/** What a successful put returns. */
export interface PutResult {
  /** The new object's etag, when the store reports one. */
  readonly etag: string | undefined;
}

/** Metadata of a stored object. */
export interface ObjectMeta {
  /** Path relative to the store's root (without the store's prefix). */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** Last modification, Unix ms. */
  readonly lastModifiedMs: number;
  /** Opaque version tag usable with `ifMatch`, when the store has one. */
  readonly etag: string | undefined;
}

/** A byte range: `[offset, offset + length)`, or the last `suffix` bytes. */
export type GetRange = { readonly offset: number; readonly length?: number } | { readonly suffix: number };

/** Options for {@link ObjectStore.get}. */
export interface GetOptions {
  readonly range?: GetRange;
  readonly signal?: AbortSignal;
}

/** What a get returns. */
export interface GetResult {
  /** The bytes of the requested range (the whole object when no range was given). */
  readonly bytes: Uint8Array;
  /** Metadata of the whole object. */
  readonly meta: ObjectMeta;
  /** Offset of `bytes[0]` within the object. */
  readonly offset: number;
  /**
   * True when `bytes` spans an ArrayBuffer of its own that neither the store nor any wrapper keeps a reference to
   * once the get resolved: the caller may then transfer it to another thread instead of copying it. Absent: the
   * bytes may be a view of memory the store keeps (the in-memory store's objects, a cache's blocks).
   */
  readonly owned?: boolean;
}

/** Options for {@link ObjectStore.list}. */
export interface ListOptions {
  /** Yield only paths strictly greater than this one. */
  readonly startAfter?: string;
  readonly signal?: AbortSignal;
}

/** Options for {@link ObjectStore.putStream}. */
export interface PutStreamOptions {
  readonly signal?: AbortSignal;
}

/** The store contract (see the file header for the guarantees). */
export interface ObjectStore {
  /** A short description such as `file:///data/db` or `s3://bucket/prefix`, for messages. */
  readonly description: string;
  /** Writes a whole object. */
  put(path: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult>;
  /**
   * Writes a large object from a stream of chunks (multipart where the store has it). Always overwrites. The
   * object becomes visible atomically when the stream ends; if the stream throws, nothing is written.
   */
  putStream(path: string, chunks: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<PutResult>;
  /** Reads an object or a range of it. */
  get(path: string, options?: GetOptions): Promise<GetResult>;
  /**
   * Optional: a get served synchronously, offered by stores whose small reads are local and take microseconds
   * (the local filesystem, from the page cache). Returns undefined when this read should go through `get`
   * instead (too large to block the event loop for, or nothing synchronous is possible now); throws as `get`
   * does otherwise.
   */
  tryGetSync?(path: string, range?: GetRange): GetResult | undefined;
  /** Reads an object's metadata. */
  head(path: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectMeta>;
  /** Lists objects under a string prefix in ascending path order. */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta>;
  /** Deletes an object; missing objects are fine. */
  delete(path: string, options?: { readonly signal?: AbortSignal }): Promise<void>;
  /** Releases clients and handles. Idempotent. */
  close(): Promise<void>;
}

/** The operations of the contract, as wrappers and counters name them. */
export type ObjectStoreOperation = 'put' | 'putStream' | 'get' | 'head' | 'list' | 'delete';

/** Every {@link ObjectStoreOperation}, in a fixed order. */
export const OBJECT_STORE_OPERATIONS: readonly ObjectStoreOperation[] = [
  'put',
  'putStream',
  'get',
  'head',
  'list',
  'delete',
];

/** Why an object-store call failed. */
export type ObjectStoreErrorReason =
  | 'not-found'
  | 'already-exists'
  | 'precondition-failed'
  /** Worth retrying: timeouts, throttling, 5xx, connection resets. */
  | 'transient'
  /** Not worth retrying: access denied, bad request, missing bucket. */
  | 'permanent'
  /** The store cannot do this (e.g. a mode it lacks). */
  | 'not-supported';

const KIND_OF: Record<ObjectStoreErrorReason, ErrorKind> = {
  'not-found': 'unavailable',
  'already-exists': 'unavailable',
  'precondition-failed': 'unavailable',
  transient: 'unavailable',
  permanent: 'unavailable',
  'not-supported': 'invalid',
};

const CODE_OF: Record<ObjectStoreErrorReason, ErrorCode> = {
  'not-found': 'OBJECT_NOT_FOUND',
  'already-exists': 'OBJECT_ALREADY_EXISTS',
  'precondition-failed': 'OBJECT_PRECONDITION_FAILED',
  transient: 'OBJECT_STORE_TRANSIENT',
  permanent: 'OBJECT_STORE_PERMANENT',
  'not-supported': 'OBJECT_STORE_NOT_SUPPORTED',
};

/** The typed error every store raises; adapters map SDK errors into it, so no code above sees SDK errors. */
export class ObjectStoreError extends ShaleDBError {
  readonly reason: ObjectStoreErrorReason;
  /** The path involved (relative to the store root), when there is one. */
  readonly path: string | undefined;
  /** The operation: 'put', 'get', 'head', 'list', 'delete', 'putStream'. */
  readonly operation: string;

  constructor(
    reason: ObjectStoreErrorReason,
    operation: string,
    path: string | undefined,
    message: string,
    cause?: unknown,
  ) {
    super(KIND_OF[reason], CODE_OF[reason], `${operation} ${path ?? ''}: ${message}`.replace('  ', ' '), {
      cause,
    });
    this.name = 'ObjectStoreError';
    this.reason = reason;
    this.path = path;
    this.operation = operation;
  }

  /** True when retrying the same call may succeed. */
  get retryable(): boolean {
    return this.reason === 'transient';
  }
}

/** True when `e` is an ObjectStoreError worth retrying (reason 'transient'). */
export function isRetryableObjectStoreError(e: unknown): e is ObjectStoreError {
  return e instanceof ObjectStoreError && e.reason === 'transient';
}

/** True for an ObjectStoreError with the given reason. */
export function isObjectStoreError(e: unknown, reason?: ObjectStoreErrorReason): e is ObjectStoreError {
  return e instanceof ObjectStoreError && (reason === undefined || e.reason === reason);
}

/** Throws an 'invalid' error unless `path` is a well-formed relative object path. */
export function validateObjectPath(path: string, operation: string): void {
  const bad =
    typeof path !== 'string' ||
    path === '' ||
    path.startsWith('/') ||
    path.endsWith('/') ||
    path.split('/').some((s) => s === '' || s === '.' || s === '..') ||
    path.includes('\0');
  if (bad) {
    throw new ShaleDBError(
      'invalid',
      'INVALID_OBJECT_PATH',
      `${operation}: invalid object path ${JSON.stringify(path)}`,
    );
  }
}
