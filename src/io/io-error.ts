/**
 * IoError: the typed error every local-disk operation raises, naming the step that failed, the path, and the
 * OS error (errno name and syscall). Faults are values: ENOSPC, EIO, EACCES, EMFILE and friends each get a stable
 * code (`IO_ENOSPC`, `IO_EIO`, ...), and a create-if-absent that loses the race gets `ALREADY_EXISTS`.
 *
 * Invariants: `code` is `ALREADY_EXISTS`, `JOURNAL_POISONED`, `IO_<ERRNO>` for a known errno, or `IO_ERROR`; the
 * message always contains the step and the path. A poisoned journal's error is kind 'closed' (reason 'panic').
 * Concurrency: plain values; safe anywhere.
 */
import { type ErrorCode, type ErrorKind, ShaleDBError } from '../util/errors.js';

/** The step of a multi-step IO operation that failed (for messages and for tests). */
export type IoStep =
  | 'create-temp'
  | 'open'
  | 'write'
  | 'read'
  | 'flush'
  | 'close'
  | 'rename'
  | 'link'
  | 'unlink'
  | 'mkdir'
  | 'fsync-dir'
  | 'readdir'
  | 'stat'
  | 'truncate'
  | 'source';

/** Errno names with their own stable code. Anything else becomes `IO_ERROR` (the errno is still on the error). */
const KNOWN_ERRNOS = new Set([
  'ENOSPC',
  'EIO',
  'EACCES',
  'EPERM',
  'EMFILE',
  'ENFILE',
  'ENOENT',
  'EEXIST',
  'EROFS',
  'EDQUOT',
  'EFBIG',
  'ENOTDIR',
  'EISDIR',
  'ENOTEMPTY',
  'EBUSY',
  'EAGAIN',
  'EINTR',
  'EXDEV',
  'ENAMETOOLONG',
  'EINVAL',
  'EBADF',
  'ELOOP',
  'ENOTSUP',
]);

/** Errnos that say the call itself was wrong (a bad path), not that the disk failed. */
const INVALID_ERRNOS = new Set(['ENAMETOOLONG', 'EINVAL', 'ELOOP']);

/** Errnos for which repeating the same call later may succeed. A failed flush is never among them. */
const RETRYABLE_ERRNOS = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EINTR', 'EBUSY', 'ENOSPC', 'EDQUOT']);

/** Options for {@link IoError}. */
export interface IoErrorOptions {
  /** Symbolic errno such as 'ENOSPC'. */
  readonly errno?: string | undefined;
  /** Numeric errno, when the OS reported one. */
  readonly errnoNumber?: number | undefined;
  /** The failing syscall, such as 'fdatasync'. */
  readonly syscall?: string | undefined;
  readonly cause?: unknown;
  /** Overrides the code derived from the errno. */
  readonly code?: ErrorCode;
  /** Overrides the kind derived from the errno. */
  readonly kind?: ErrorKind;
}

/** A failed local-disk operation. */
export class IoError extends ShaleDBError {
  /** Which step failed (`create-temp`, `write`, `flush`, `rename`, `link`, `fsync-dir`, ...). */
  readonly step: IoStep;
  /** The path the step worked on. */
  readonly path: string;
  /** Symbolic errno ('ENOSPC'), when the OS reported one. */
  readonly errno: string | undefined;
  /** Numeric errno, when the OS reported one. */
  readonly errnoNumber: number | undefined;
  /** The syscall that failed, when known. */
  readonly syscall: string | undefined;

  constructor(step: IoStep, path: string, detail: string, options: IoErrorOptions = {}) {
    const errno = options.errno;
    const code = options.code ?? codeForErrno(errno);
    const kind =
      options.kind ?? (errno !== undefined && INVALID_ERRNOS.has(errno) ? 'invalid' : 'unavailable');
    const what = errno === undefined ? detail : `${errno}${detail === '' ? '' : `: ${detail}`}`;
    super(kind, code, `${step} ${path}: ${what}`, {
      cause: options.cause,
      closeReason: kind === 'closed' ? 'panic' : undefined,
    });
    this.name = 'IoError';
    this.step = step;
    this.path = path;
    this.errno = errno;
    this.errnoNumber = options.errnoNumber;
    this.syscall = options.syscall;
  }

  /** True when the same call may succeed later (out of descriptors, out of space). Never for a failed flush. */
  get retryable(): boolean {
    if (this.step === 'flush' || this.step === 'fsync-dir') return false;
    return this.errno !== undefined && RETRYABLE_ERRNOS.has(this.errno);
  }
}

/** `IO_<ERRNO>` for known errnos, else `IO_ERROR`. */
export function codeForErrno(errno: string | undefined): ErrorCode {
  return errno !== undefined && KNOWN_ERRNOS.has(errno) ? `IO_${errno}` : 'IO_ERROR';
}

/** The errno name of a Node system error (or of an errno-shaped error from a simulated file system). */
export function errnoOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * Wraps whatever a file-system call threw into an IoError for `step` on `path`. An IoError passes through
 * unchanged, and so does any other ShaleDBError (it already says what went wrong).
 */
export function toIoError(step: IoStep, path: string, e: unknown): ShaleDBError {
  if (e instanceof ShaleDBError) return e;
  const errno = errnoOf(e);
  const raw = e as { errno?: unknown; syscall?: unknown; message?: unknown };
  const detail = errno === undefined ? (e instanceof Error ? e.message : String(e)) : syscallDetail(raw);
  return new IoError(step, path, detail, {
    errno,
    errnoNumber: typeof raw?.errno === 'number' ? raw.errno : undefined,
    syscall: typeof raw?.syscall === 'string' ? raw.syscall : undefined,
    cause: e,
  });
}

function syscallDetail(raw: { syscall?: unknown }): string {
  return typeof raw?.syscall === 'string' ? `${raw.syscall} failed` : '';
}

/** The create-if-absent conflict: `path` already exists. Kind 'unavailable', code `ALREADY_EXISTS`. */
export function alreadyExistsError(path: string, cause?: unknown): IoError {
  return new IoError('link', path, 'already exists', { errno: 'EEXIST', code: 'ALREADY_EXISTS', cause });
}

/** True for an IoError (with the given code, if given). */
export function isIoError(e: unknown, code?: ErrorCode): e is IoError {
  return e instanceof IoError && (code === undefined || e.code === code);
}

/** True for the create-if-absent conflict raised by a publish in mode 'create'. */
export function isAlreadyExists(e: unknown): e is IoError {
  return isIoError(e, 'ALREADY_EXISTS');
}

/** True when `e` (raw or wrapped) says the path does not exist. */
export function isNotFound(e: unknown): boolean {
  return errnoOf(e) === 'ENOENT' || (e instanceof IoError && e.errno === 'ENOENT');
}
