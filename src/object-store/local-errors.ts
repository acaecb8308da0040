/**
 * Maps local file-system failures (Node system errors and src/io IoErrors) into ObjectStoreErrors for the local
 * store: ENOENT and EISDIR (and ENOTDIR on a read: a path below a file) are 'not-found'; running out of
 * descriptors, space or quota, EAGAIN, EBUSY and EINTR are 'transient' (the same call may succeed later);
 * everything else (EACCES, EROFS, EIO, ENAMETOOLONG...) is
 * 'permanent'. The original error is kept as `cause`.
 *
 * Invariants: an ObjectStoreError, or a ShaleDBError that is not an IoError (bad input), passes through unchanged;
 * the message names the errno.
 * Concurrency: pure.
 */
import { errnoOf, IoError } from '../io/io-error.js';
import { ShaleDBError } from '../util/errors.js';
import { ObjectStoreError, type ObjectStoreErrorReason, type ObjectStoreOperation } from './object-store.js';

const TRANSIENT = new Set(['EMFILE', 'ENFILE', 'ENOSPC', 'EDQUOT', 'EAGAIN', 'EBUSY', 'EINTR']);

/** Maps an error from a local file operation on object `path`. */
export function mapLocalError(e: unknown, operation: ObjectStoreOperation, path: string): ShaleDBError {
  if (e instanceof ObjectStoreError) return e;
  if (e instanceof ShaleDBError && !(e instanceof IoError)) return e;
  const errno = errnoOf(e) ?? (e as { errno?: unknown })?.errno;
  const name = typeof errno === 'string' ? errno : undefined;
  let reason: ObjectStoreErrorReason = 'permanent';
  const read = operation === 'get' || operation === 'head';
  if (name === 'ENOENT' || name === 'EISDIR' || (read && name === 'ENOTDIR')) reason = 'not-found';
  else if (name !== undefined && TRANSIENT.has(name)) reason = 'transient';
  const message = e instanceof Error ? e.message : String(e);
  return new ObjectStoreError(
    reason,
    operation,
    path,
    reason === 'not-found' ? 'no such object' : message,
    e,
  );
}
