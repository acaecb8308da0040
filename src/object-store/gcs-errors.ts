/**
 * Maps Google Cloud Storage SDK errors (ApiError, GaxiosError) into ObjectStoreErrors, so no layer above the GCS
 * adapter sees an SDK error.
 *
 * - create (`ifGenerationMatch=0`) answered 412 → 'already-exists'; ifMatch (`ifGenerationMatch=N`) answered 412,
 *   or 404 because the object is gone → 'precondition-failed';
 * - 404 on a plain put, a stream or a listing (only the bucket can be missing) → 'permanent'; 404 on a read →
 *   'not-found';
 * - 408, 429, 5xx and network errors → 'transient'; other 4xx → 'permanent';
 * - an aborted call rethrows the abort reason unchanged.
 *
 * Invariants: the SDK error is kept as `cause`; `gcsStatus(cause)` recovers the HTTP status.
 * Concurrency: pure.
 */
import { conflictReason, httpError, isNetworkError, reasonForStatus } from './http-errors.js';
import { ObjectStoreError, type ObjectStoreOperation, type PutMode } from './object-store.js';

/** The HTTP status of a GCS SDK error, if it carries one. */
export function gcsStatus(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const status = (e as { response?: { status?: unknown } }).response?.status;
  return typeof status === 'number' ? status : undefined;
}

function gcsReason(e: unknown): string | undefined {
  const errors = (e as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const r = (errors[0] as { reason?: unknown }).reason;
  return typeof r === 'string' ? r : undefined;
}

/** Maps any error thrown by a GCS call. */
export function mapGcsError(
  e: unknown,
  operation: ObjectStoreOperation,
  path: string | undefined,
  mode: PutMode | undefined,
  signal: AbortSignal | undefined,
): unknown {
  if (signal?.aborted) return signal.reason;
  if (e instanceof ObjectStoreError) return e;
  const status = gcsStatus(e);
  const message = readableMessage(e);
  if (status === undefined) {
    const reason =
      isNetworkError(e) || (e as { name?: unknown })?.name === 'AbortError' ? 'transient' : 'permanent';
    return httpError(reason, operation, path, { message }, e);
  }
  const conditional =
    (operation === 'put' || operation === 'putStream') && mode !== undefined && mode !== 'overwrite';
  let reason = reasonForStatus(status);
  if (conditional && status === 412) reason = conflictReason(mode);
  else if (conditional && status === 404 && typeof mode === 'object') reason = 'precondition-failed';
  else if (status === 404 && (operation === 'put' || operation === 'putStream' || operation === 'list')) {
    reason = 'permanent'; // Only the bucket can be missing here.
  }
  return httpError(reason, operation, path, { status, code: gcsReason(e), message }, e);
}

/** The error's message; a JSON error body (as media downloads report it) is reduced to its message. */
function readableMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  if (raw.startsWith('{')) {
    try {
      const parsed = JSON.parse(raw) as { error?: { message?: unknown } };
      if (typeof parsed.error?.message === 'string') return parsed.error.message;
    } catch {
      // Not JSON after all: keep the raw text.
    }
  }
  return raw.split('\n')[0]!.slice(0, 300);
}
