/**
 * LocalKeyLock: the cross-process lock that makes the local store's overwrite, compare-and-swap and delete of one
 * object atomic with respect to each other (in any number of processes on the same file system). The lock is a
 * file `<final>#0` created with O_CREAT|O_EXCL and holding `{pid, host, token, acquiredAtMs}`; its name is one
 * Rust's LocalFileSystem and our listing skip, and one Rust never creates (its staging suffixes start at 1).
 *
 * Holder protocol: acquire (exclusive create); do the check; `verify()` (the lock file still holds our token and
 * we are within the lease, `staleMs`) immediately before the commit rename; release by renaming the lock to a
 * private trash name, checking the token there (restoring it with link() if it was not ours) and unlinking it.
 * Stale-lock recovery: a lock is stale when its holder is a dead process on this host, or its file is older
 * than `staleMs`. A waiter breaks a stale lock the same way (rename away, check it is the stale token it saw,
 * else put it back with link()), so it never removes a fresh lock for good. Waiters poll with capped exponential
 * backoff on the injected clock, for at most `waitMs`; in-process contenders queue in memory first.
 *
 * Invariants: at most one live holder per key, provided a holder finishes between acquiring and its last
 * `verify()` within `staleMs` (a lease: a holder paused longer may lose the lock, and `verify` then fails);
 * a holder whose lock was broken finds out at `verify()` and commits nothing.
 * All file access goes through the store's FileSystem, with synchronous calls (a lock is taken per overwrite).
 * Concurrency: any number of keys and contenders; the in-process queue is per final path.
 */
import { hostname } from 'node:os';
import type { FileHandle, FileSystem } from '../io/file-system.js';
import type { Clock } from '../util/clock.js';
import type { Rand } from '../util/random.js';
import { lockPathOf } from './local-paths.js';
import { ObjectStoreError, type ObjectStoreOperation } from './object-store.js';

/** Lock timing options. */
export interface LocalLockOptions {
  /** A lock older than this is stale; also a holder's lease (default 30 000 ms). */
  readonly staleMs: number;
  /** How long a contender waits before failing transiently (default 60 000 ms). */
  readonly waitMs: number;
  readonly clock: Clock;
  readonly rand: Rand;
  /** The file layer the lock files live on. */
  readonly fs: FileSystem;
}

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly acquiredAtMs: number;
}

const HOST = hostname();
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
/** Lock files are well under this size; anything longer is not a lock we wrote. */
const LOCK_FILE_BYTES_MAX = 1024;
const POLL_MIN_MS = 1;
const POLL_MAX_MS = 50;

/** A held lock. */
export class HeldLock {
  readonly #path: string;
  readonly #token: string;
  readonly #acquiredAtMs: number;
  readonly #options: LocalLockOptions;
  readonly #release: () => void;

  constructor(
    path: string,
    token: string,
    acquiredAtMs: number,
    options: LocalLockOptions,
    release: () => void,
  ) {
    this.#path = path;
    this.#token = token;
    this.#acquiredAtMs = acquiredAtMs;
    this.#options = options;
    this.#release = release;
  }

  /** True when the lock file still holds our token and the lease has not run out. */
  verify(): boolean {
    if (this.#options.clock.monotonicMs() - this.#acquiredAtMs >= this.#options.staleMs) return false;
    return readInfo(this.#options.fs, this.#path)?.token === this.#token;
  }

  /** Removes the lock if it is still ours. Never throws. */
  release(): void {
    try {
      removeIfToken(this.#options.fs, this.#path, this.#token, this.#options.rand);
    } finally {
      this.#release();
    }
  }
}

/**
 * Per-process queues (per file system, then per final path), so contenders in one process wait in memory rather
 * than polling the file.
 */
const queuesByFs = new WeakMap<FileSystem, Map<string, Promise<void>>>();

function queuesOf(fs: FileSystem): Map<string, Promise<void>> {
  let queues = queuesByFs.get(fs);
  if (queues === undefined) {
    queues = new Map();
    queuesByFs.set(fs, queues);
  }
  return queues;
}

/** Acquires the lock of `finalPath` (whose directory must exist). */
export async function acquireLock(
  finalPath: string,
  operation: ObjectStoreOperation,
  objectPath: string,
  options: LocalLockOptions,
): Promise<HeldLock> {
  const localQueues = queuesOf(options.fs);
  const previous = localQueues.get(finalPath) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => {
    done = r;
  });
  const tail = previous.then(() => mine);
  localQueues.set(finalPath, tail);
  const releaseLocal = (): void => {
    done();
    if (localQueues.get(finalPath) === tail) localQueues.delete(finalPath);
  };
  try {
    await previous;
    return await acquireFileLock(finalPath, operation, objectPath, options, releaseLocal);
  } catch (e) {
    releaseLocal();
    throw e;
  }
}

async function acquireFileLock(
  finalPath: string,
  operation: ObjectStoreOperation,
  objectPath: string,
  options: LocalLockOptions,
  releaseLocal: () => void,
): Promise<HeldLock> {
  const path = lockPathOf(finalPath);
  const startMs = options.clock.monotonicMs();
  let pollMs = POLL_MIN_MS;
  let broke = false;
  for (;;) {
    const token = `${options.rand.nextU32().toString(16)}${options.rand.nextU32().toString(16)}`;
    const acquiredAtMs = options.clock.monotonicMs();
    if (
      tryCreate(options.fs, path, {
        pid: process.pid,
        host: HOST,
        token,
        acquiredAtMs: options.clock.nowMs(),
      })
    ) {
      return new HeldLock(path, token, acquiredAtMs, options, releaseLocal);
    }
    const seen = readInfo(options.fs, path);
    if (!broke && isStale(path, seen, options)) {
      if (seen?.token !== undefined) removeIfToken(options.fs, path, seen.token, options.rand);
      else removeIfEmptyAndOld(path, options);
      broke = true;
      continue;
    }
    broke = false;
    if (options.clock.monotonicMs() - startMs + pollMs > options.waitMs) {
      throw new ObjectStoreError(
        'transient',
        operation,
        objectPath,
        `lock ${path} busy for ${options.waitMs} ms`,
      );
    }
    await options.clock.sleep(pollMs);
    pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
  }
}

/** Exclusive-creates the lock file with its info; false if it exists. Other errors propagate. */
function tryCreate(fs: FileSystem, path: string, info: LockInfo): boolean {
  let handle: FileHandle;
  try {
    handle = fs.openSync(path, 'create-exclusive');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EEXIST') return false;
    throw e;
  }
  try {
    handle.writeSync(ENCODER.encode(JSON.stringify(info)), 0);
  } finally {
    handle.closeSync();
  }
  return true;
}

/** The lock's info, or undefined when the file is missing, empty (being written) or unreadable. */
function readInfo(fs: FileSystem, path: string): LockInfo | undefined {
  try {
    const parsed = JSON.parse(DECODER.decode(readLockFile(fs, path))) as Partial<LockInfo>;
    if (
      typeof parsed.token !== 'string' ||
      typeof parsed.pid !== 'number' ||
      typeof parsed.host !== 'string'
    ) {
      return undefined;
    }
    return parsed as LockInfo;
  } catch {
    return undefined;
  }
}

/** The bytes of a lock file (at most LOCK_FILE_BYTES_MAX + 1: a longer one fails to parse). */
function readLockFile(fs: FileSystem, path: string): Uint8Array {
  const handle = fs.openSync(path, 'read');
  try {
    const buf = new Uint8Array(LOCK_FILE_BYTES_MAX + 1);
    let n = 0;
    while (n < buf.length) {
      const got = handle.readSync(buf.subarray(n), n);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } finally {
    handle.closeSync();
  }
}

function isStale(path: string, info: LockInfo | undefined, options: LocalLockOptions): boolean {
  if (info !== undefined && info.host === HOST && !processAlive(info.pid)) return true;
  try {
    return options.clock.nowMs() - options.fs.statSync(path).mtimeMs > options.staleMs;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the lock at `path` only if it holds `token`: renames it to a private trash name, reads the token there,
 * and links it back if it is someone else's (the name was free again: restored; taken: its owner's verify fails).
 */
function removeIfToken(fs: FileSystem, path: string, token: string, rand: Rand): void {
  const trash = `${path}${String(rand.nextInt(1e9)).padStart(9, '0')}`;
  try {
    fs.renameSync(path, trash);
  } catch {
    return;
  }
  if (readInfo(fs, trash)?.token !== token) {
    try {
      fs.linkSync(trash, path);
    } catch {
      // Taken meanwhile: the displaced owner will fail verify() and commit nothing.
    }
  }
  try {
    fs.unlinkSync(trash);
  } catch {
    // A leftover trash name is hidden from listings and swept like any staging file.
  }
}

/** A lock file without readable info (its creator died between create and write) is removed once it is old. */
function removeIfEmptyAndOld(path: string, options: LocalLockOptions): void {
  const fs = options.fs;
  const trash = `${path}${String(options.rand.nextInt(1e9)).padStart(9, '0')}`;
  try {
    fs.renameSync(path, trash);
  } catch {
    return;
  }
  const info = readInfo(fs, trash);
  let old = false;
  try {
    old = options.clock.nowMs() - fs.statSync(trash).mtimeMs > options.staleMs;
  } catch {
    old = false;
  }
  if (info !== undefined || !old) {
    try {
      fs.linkSync(trash, path);
    } catch {
      // See removeIfToken.
    }
  }
  try {
    fs.unlinkSync(trash);
  } catch {
    // See removeIfToken.
  }
}
