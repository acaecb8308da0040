/**
 * ShaleDBError: the one public error class, with a coarse `kind` users act on and a stable `code`.
 *
 * Invariants: `closeReason` is set exactly when `kind` is 'closed'. The message carries details (paths, offsets,
 * ids) and is not API; `kind` and `code` are. Corruption is always kind 'data'.
 * Concurrency: plain values; safe anywhere.
 */

/** What the caller should do about an error. Adding a kind needs a design note. */
export type ErrorKind =
  /** The caller passed something wrong (bad key, bad option). Fix the call; the database is unaffected. */
  | 'invalid'
  /** Stored data failed a check (checksum, format). Nothing wrong is returned; the object named is damaged. */
  | 'data'
  /** The database (or component) is closed; see `closeReason`. Open it again to continue. */
  | 'closed'
  /** A dependency (object store, disk) failed or timed out. The operation may be retried. */
  | 'unavailable'
  /** A transaction conflicted. Retry the transaction. */
  | 'transaction'
  /** A bug in ShaleDB (an assertion failed). Please report it. */
  | 'internal';

/** Why a database closed. */
export type CloseReason = 'clean' | 'fenced' | 'panic';

/** Options for {@link ShaleDBError}. */
export interface ShaleDBErrorOptions {
  readonly cause?: unknown;
  readonly closeReason?: CloseReason;
}

/** The error every public ShaleDB call throws. */
export class ShaleDBError extends Error {
  /** What to do about it; see {@link ErrorKind}. */
  readonly kind: ErrorKind;
  /** A stable, machine-readable code such as `CHECKSUM_MISMATCH` (listed in the README). */
  readonly code: string;
  /** Set when `kind` is 'closed'. */
  readonly closeReason: CloseReason | undefined;

  constructor(kind: ErrorKind, code: string, message: string, options: ShaleDBErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShaleDBError';
    this.kind = kind;
    this.code = code;
    this.closeReason = kind === 'closed' ? (options.closeReason ?? 'clean') : undefined;
  }
}

/** True for errors that say stored data is damaged. */
export function isDataError(e: unknown): e is ShaleDBError {
  return e instanceof ShaleDBError && e.kind === 'data';
}

/** True for a ShaleDBError of the given kind (and code, if given). */
export function isShaleDBError(e: unknown, kind?: ErrorKind, code?: string): e is ShaleDBError {
  if (!(e instanceof ShaleDBError)) return false;
  if (kind !== undefined && e.kind !== kind) return false;
  if (code !== undefined && e.code !== code) return false;
  return true;
}

/** Bad input from the caller. */
export function invalidError(code: string, message: string, cause?: unknown): ShaleDBError {
  return new ShaleDBError('invalid', code, message, { cause });
}

/** Damaged stored data: checksum mismatch, bad format. `where` names the object and offset. */
export function dataError(code: string, message: string, cause?: unknown): ShaleDBError {
  return new ShaleDBError('data', code, message, { cause });
}

/** A closed database or component. */
export function closedError(reason: CloseReason, message: string, cause?: unknown): ShaleDBError {
  return new ShaleDBError('closed', reason === 'fenced' ? 'FENCED' : 'CLOSED', message, {
    closeReason: reason,
    cause,
  });
}

/** A failed or unreachable dependency. */
export function unavailableError(code: string, message: string, cause?: unknown): ShaleDBError {
  return new ShaleDBError('unavailable', code, message, { cause });
}

/** A bug. */
export function internalError(code: string, message: string, cause?: unknown): ShaleDBError {
  return new ShaleDBError('internal', code, message, { cause });
}

/** Wraps anything thrown into a ShaleDBError (kind 'internal' unless it already is one). */
export function toShaleDBError(e: unknown): ShaleDBError {
  if (e instanceof ShaleDBError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return internalError('UNEXPECTED', message, e);
}
