/**
 * Maps Azure Blob SDK errors (RestError and friends) into ObjectStoreErrors, so no layer above the Azure adapter
 * sees an SDK error.
 *
 * - create (`If-None-Match: *`): 409 BlobAlreadyExists (Azure and Azurite) or 412 → 'already-exists';
 * - ifMatch: 412 ConditionNotMet, and 404 BlobNotFound (the blob is gone) → 'precondition-failed';
 * - 404 BlobNotFound elsewhere → 'not-found'; 404 ContainerNotFound → 'permanent' (a configuration error);
 * - 408, 429, 5xx (ServerBusy, OperationTimedOut, InternalError) and network errors → 'transient';
 * - other 4xx → 'permanent'; an aborted call rethrows the abort reason unchanged.
 *
 * Invariants: the SDK error is kept as `cause`; `azureStatus(cause)` recovers the HTTP status.
 * Concurrency: pure.
 */
import { conflictReason, httpError, isNetworkError, reasonForStatus } from './http-errors.js';
import {
  ObjectStoreError,
  type ObjectStoreErrorReason,
  type ObjectStoreOperation,
  type PutMode,
} from './object-store.js';

/** The HTTP status of an Azure SDK error, if it carries one. */
export function azureStatus(e: unknown): number | undefined {
  const status = typeof e === 'object' && e !== null ? (e as { statusCode?: unknown }).statusCode : undefined;
  return typeof status === 'number' ? status : undefined;
}

function azureCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown; details?: { errorCode?: unknown } }).code;
  const detail = (e as { details?: { errorCode?: unknown } }).details?.errorCode;
  if (typeof detail === 'string') return detail;
  return typeof code === 'string' ? code : undefined;
}

/** Maps any error thrown by an Azure call. */
export function mapAzureError(
  e: unknown,
  operation: ObjectStoreOperation,
  path: string | undefined,
  mode: PutMode | undefined,
  signal: AbortSignal | undefined,
): unknown {
  if (signal?.aborted) return signal.reason;
  if (e instanceof ObjectStoreError) return e;
  const status = azureStatus(e);
  const code = azureCode(e);
  const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  if (status === undefined) {
    const name = (e as { name?: unknown })?.name;
    const reason: ObjectStoreErrorReason =
      isNetworkError(e) || name === 'AbortError' || code === 'REQUEST_SEND_ERROR' ? 'transient' : 'permanent';
    return httpError(reason, operation, path, { code, message }, e);
  }
  return httpError(reasonFor(status, code, operation, mode), operation, path, { status, code, message }, e);
}

function reasonFor(
  status: number,
  code: string | undefined,
  operation: ObjectStoreOperation,
  mode: PutMode | undefined,
): ObjectStoreErrorReason {
  if (operation === 'put' && mode === 'create') {
    if (status === 412 || (status === 409 && code === 'BlobAlreadyExists')) return conflictReason(mode);
  }
  if (operation === 'put' && typeof mode === 'object') {
    if (status === 412 || (status === 404 && code === 'BlobNotFound')) return conflictReason(mode);
  }
  if (status === 404 && code === 'ContainerNotFound') return 'permanent';
  if (status === 409 && (code === 'LeaseIdMissing' || code === 'LeaseAlreadyPresent')) return 'permanent';
  return reasonForStatus(status);
}
