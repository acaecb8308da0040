/**
 * Maps AWS SDK (S3) errors into ObjectStoreErrors, so no layer above the S3 adapter sees an SDK error.
 *
 * - conditional put: 412 PreconditionFailed and 304 → 'already-exists' (create) / 'precondition-failed' (ifMatch);
 *   404 on an ifMatch put (AWS answers NoSuchKey when the object is gone) → 'precondition-failed'; 409
 *   ConditionalRequestConflict (a concurrent conditional write is in progress) → 'transient';
 * - 404 NoSuchKey / NotFound / NoSuchUpload → 'not-found';
 * - 408, 429, 5xx (SlowDown, InternalError, ServiceUnavailable) and network errors → 'transient';
 * - 404 NoSuchBucket and every other 4xx (AccessDenied, InvalidArgument...) → 'permanent';
 * - an aborted call rethrows the abort reason unchanged.
 *
 * Invariants: the SDK error is kept as `cause`; `s3Status(cause)` recovers the HTTP status.
 * Concurrency: pure.
 */
import { conflictReason, httpError, isNetworkError, reasonForStatus } from './http-errors.js';
import type {
  ObjectStoreError,
  ObjectStoreErrorReason,
  ObjectStoreOperation,
  PutMode,
} from './object-store.js';
import { ObjectStoreError as StoreError } from './object-store.js';

/** The HTTP status of an SDK error, if it carries one. */
export function s3Status(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const status = (e as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Maps any error thrown by an S3 call. */
export function mapS3Error(
  e: unknown,
  operation: ObjectStoreOperation,
  path: string | undefined,
  mode: PutMode | undefined,
  signal: AbortSignal | undefined,
): unknown {
  if (signal?.aborted) return signal.reason;
  if (e instanceof StoreError) return e;
  const status = s3Status(e);
  const name = typeof (e as { name?: unknown })?.name === 'string' ? (e as { name: string }).name : undefined;
  const message = e instanceof Error ? e.message : String(e);
  if (status === undefined) {
    const reason: ObjectStoreErrorReason =
      isNetworkError(e) || name === 'AbortError' ? 'transient' : 'permanent';
    return httpError(reason, operation, path, { code: name, message }, e);
  }
  return httpError(
    reasonFor(status, name, operation, mode),
    operation,
    path,
    { status, code: name, message },
    e,
  );
}

function reasonFor(
  status: number,
  name: string | undefined,
  operation: ObjectStoreOperation,
  mode: PutMode | undefined,
): ObjectStoreErrorReason {
  const conditional = operation === 'put' && mode !== undefined && mode !== 'overwrite';
  if (conditional) {
    if (status === 412 || status === 304) return conflictReason(mode);
    if (status === 404 && typeof mode === 'object') return 'precondition-failed';
    if (status === 409) return 'transient';
  }
  if (status === 409 && name === 'OperationAborted') return 'transient';
  if (status === 404 && name === 'NoSuchBucket') return 'permanent';
  return reasonForStatus(status);
}

/** For tests and messages: true when `e` came from S3 with this status. */
export function hasS3Status(e: ObjectStoreError, status: number): boolean {
  return s3Status(e.cause) === status;
}
