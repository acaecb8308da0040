/**
 * Classifying failures of HTTP object-store requests, shared by the S3, Azure and GCS adapters: which statuses and
 * network errors are worth retrying, and how a failure of a conditional put maps to the contract's reasons.
 *
 * Invariants: 408, 429 and every 5xx are transient; other 4xx are permanent unless an adapter maps them (404,
 * 409, 412); network-level errors (resets, refused or timed-out connections, DNS failures) are transient.
 * Concurrency: pure.
 */
import type { PutMode } from './object-store.js';
import { ObjectStoreError, type ObjectStoreErrorReason, type ObjectStoreOperation } from './object-store.js';

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError', 'FetchError']);

/** The reason for a plain HTTP status (404 → not-found, 412 → precondition-failed, retryable → transient). */
export function reasonForStatus(status: number): ObjectStoreErrorReason {
  if (status === 404) return 'not-found';
  if (status === 412) return 'precondition-failed';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  return 'permanent';
}

/** True for errors raised below HTTP (the request may or may not have reached the server). */
export function isNetworkError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (typeof name === 'string' && NETWORK_NAMES.has(name)) return true;
  return typeof message === 'string' && /socket hang up|ECONNRESET|EPIPE|other side closed/i.test(message);
}

/**
 * Maps a conditional put's conflict to the contract: for `create`, "exists" (412, 409 BlobAlreadyExists, 304)
 * becomes 'already-exists'; for `ifMatch`, both a changed and a missing object become 'precondition-failed'.
 */
export function conflictReason(mode: PutMode | undefined): ObjectStoreErrorReason {
  return mode === 'create' ? 'already-exists' : 'precondition-failed';
}

/** An ObjectStoreError for a failed request, naming the status and service code when there are any. */
export function httpError(
  reason: ObjectStoreErrorReason,
  operation: ObjectStoreOperation,
  path: string | undefined,
  detail: {
    readonly status?: number | undefined;
    readonly code?: string | undefined;
    readonly message?: string;
  },
  cause: unknown,
): ObjectStoreError {
  const parts: string[] = [];
  if (detail.status !== undefined) parts.push(`HTTP ${detail.status}`);
  if (detail.code !== undefined && detail.code !== '') parts.push(detail.code);
  if (detail.message !== undefined && detail.message !== '') parts.push(detail.message);
  return new ObjectStoreError(reason, operation, path, parts.join(' ') || 'request failed', cause);
}
