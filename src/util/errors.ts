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

/**
 * Every `code` a ShaleDBError can carry (the README lists what each means). Adding a code means adding it here.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_SETTING'
  | 'INVALID_KEY'
  | 'INVALID_VALUE'
  | 'INVALID_TTL'
  | 'INVALID_RANGE'
  | 'INVALID_OBJECT_PATH'
  | 'INVALID_SEQUENCE_ORDER'
  | 'INVALID_DB_STATE'
  | 'EMPTY_BATCH'
  | 'SEEK_KEY_OUT_OF_RANGE'
  | 'SEEK_KEY_BEHIND'
  | 'MERGE_OPERATOR_MISSING'
  | 'CODEC_UNAVAILABLE'
  | 'PACKAGE_MISSING'
  | 'NOT_CACHED'
  | 'USAGE'
  | 'INVALID_FORMAT'
  | 'INVALID_UUID'
  | 'INVALID_ULID'
  | 'INVALID_COMPACTION'
  | 'DECOMPRESSION_FAILED'
  | 'CHECKSUM_MISMATCH'
  | 'JOURNAL_CORRUPT'
  | 'JOURNAL_STALE'
  | 'JOURNAL_MISMATCH'
  | 'JOURNAL_LOCKED'
  | 'MANIFEST_MISSING'
  | 'WAL_FILE_NOT_FOUND'
  | 'WAL_ROWS_LOST'
  | 'CHECKPOINT_MISSING'
  | 'CLONE_PATHS_IDENTICAL'
  | 'CLONE_PARENT_MISMATCH'
  | 'CLONE_FINAL_CHECKPOINT_MISSING'
  | 'SST_ID_COLLISION'
  | 'CLOSED'
  | 'FENCED'
  | 'OBJECT_NOT_FOUND'
  | 'OBJECT_ALREADY_EXISTS'
  | 'OBJECT_PRECONDITION_FAILED'
  | 'OBJECT_STORE_TRANSIENT'
  | 'OBJECT_STORE_PERMANENT'
  | 'OBJECT_STORE_NOT_SUPPORTED'
  | 'OBJECT_STORE_UNSTABLE'
  | 'ALREADY_EXISTS'
  | 'IO_ERROR'
  | `IO_${string}`
  | 'JOURNAL_GAP'
  | 'JOURNAL_BACKPRESSURE'
  | 'JOURNAL_POISONED'
  | 'MANIFEST_UPDATE_TIMEOUT'
  | 'EPOCH_REGRESSED'
  | 'INVALID_CLOCK_TICK'
  | 'WAL_STORE_RECONFIGURATION'
  | 'EPOCH_MISMATCH'
  | 'MERGE_OPERATOR_FAILED'
  | 'COMPACTION_WORKER_FAILED'
  | 'FLUSH_WORKER_FAILED'
  | 'TRANSACTION_CONFLICT'
  | 'TRANSACTION_COMPLETED'
  | 'MANIFEST_INVARIANT'
  | 'ASSERTION_FAILED'
  | 'UNEXPECTED';

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
  readonly code: ErrorCode;
  /** Set when `kind` is 'closed'. */
  readonly closeReason: CloseReason | undefined;

  constructor(kind: ErrorKind, code: ErrorCode, message: string, options: ShaleDBErrorOptions = {}) {
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
export function isShaleDBError(e: unknown, kind?: ErrorKind, code?: ErrorCode): e is ShaleDBError {
  if (!(e instanceof ShaleDBError)) return false;
  if (kind !== undefined && e.kind !== kind) return false;
  if (code !== undefined && e.code !== code) return false;
  return true;
}

/** Bad input from the caller. */
export function invalidError(code: ErrorCode, message: string, cause?: unknown): ShaleDBError {
  return new ShaleDBError('invalid', code, message, { cause });
}

/** Damaged stored data: checksum mismatch, bad format. `where` names the object and offset. */
export function dataError(code: ErrorCode, message: string, cause?: unknown): ShaleDBError {
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
export function unavailableError(code: ErrorCode, message: string, cause?: unknown): ShaleDBError {
  return new ShaleDBError('unavailable', code, message, { cause });
}

/** A bug. */
export function internalError(code: ErrorCode, message: string, cause?: unknown): ShaleDBError {
  return new ShaleDBError('internal', code, message, { cause });
}

/** Wraps anything thrown into a ShaleDBError (kind 'internal' unless it already is one). */
export function toShaleDBError(e: unknown): ShaleDBError {
  if (e instanceof ShaleDBError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return internalError('UNEXPECTED', message, e);
}
