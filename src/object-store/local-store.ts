/**
 * LocalObjectStore: the contract on a local directory, the embedded default (`file:///abs/dir`). Its on-disk
 * layout is Rust object_store 0.12.3's LocalFileSystem as SlateDB 0.12.1 uses it (docs/object-stores.md#local),
 * so a ShaleDB process and a SlateDB process can work on one directory at once: objects are files at their
 * percent-encoded paths (local-paths.ts); every write is staged as `<final>#<digits>` beside its target (a name
 * both listings skip) and published with link() for `create` (EEXIST = AlreadyExists) or rename() for overwrite;
 * etags are `{inode:x}-{mtime_micros:x}-{size:x}`; last-modified is the mtime.
 *
 * Beyond Rust's store: (1) durable: the staged file is flushed and the directory fsynced (through src/io) before
 * a put or delete resolves; (2) `ifMatch` works: overwrite, compare-and-swap and delete of one object take a
 * cross-process lock file (local-lock.ts), and the check, the rename and the lock's `verify()` happen under it;
 * `create` needs no lock (link() is atomic, and a create can only succeed while the object is absent);
 * (3) etags never repeat for successive versions: each staged file gets an mtime from a per-process strictly
 * increasing microsecond stamp, raised above the replaced file's mtime under the lock (inode numbers are reused
 * at once, and kernels may stamp files coarsely, so inode+mtime+size alone could repeat).
 *
 * Every file access goes through a src/io FileSystem (the `fs` option; default the real one), with synchronous
 * calls for the small steps (stat, link, rename, utimes, lock files, cached reads), so the crashable
 * MemoryFileSystem can stand in for the disk and check the power-loss guarantees (docs/object-stores.md#power-loss).
 *
 * Invariants: readers see whole objects (publish is a rename or link of a complete, flushed file); nothing but
 * hidden staging, lock and trash names is ever written in place; deletes are idempotent.
 * Concurrency: any interleaving of calls, from any number of processes that use this store on the directory.
 * Rust processes do not take the lock; SlateDB 0.12.1 never overwrites, CASes or deletes an object another writer
 * may be updating at the same time, so this does not arise in practice.
 */
import { dirname, join } from 'node:path';
import { removeQuietly, syncDirStep } from '../io/directories.js';
import {
  type DurabilityMethod,
  flushFile,
  type ResolvedDurability,
  resolveDurability,
} from '../io/durability.js';
import type { DirEntry, FileStat, FileSystem } from '../io/file-system.js';
import { isIoError } from '../io/io-error.js';
import { nodeFileSystem } from '../io/node-file-system.js';
import {
  closeTemp,
  createTempFile,
  discardTemp,
  sweepTempFiles,
  type TempFile,
  writeTemp,
} from '../io/temp-file.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { invalidError } from '../util/errors.js';
import { type Rand, systemRand } from '../util/random.js';
import { mapLocalError } from './local-errors.js';
import { listLocal, localEtag, localMeta } from './local-listing.js';
import { acquireLock, type HeldLock, type LocalLockOptions } from './local-lock.js';
import { filePathOf } from './local-paths.js';
import { ReadDescriptorCache, readLocalFileCached, readLocalFileCachedSync } from './local-read.js';
import {
  type GetOptions,
  type GetRange,
  type GetResult,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  ObjectStoreError,
  type ObjectStoreOperation,
  type PutMode,
  type PutOptions,
  type PutResult,
  type PutStreamOptions,
  validateObjectPath,
} from './object-store.js';

/** Options for {@link LocalObjectStore}. */
export interface LocalObjectStoreOptions {
  /** Flush method for puts and deletes (default 'auto'; 'none' is UNSAFE, for tests and benchmarks). */
  readonly durability?: DurabilityMethod;
  /** A lock older than this is stale, and a holder's lease (default 30 000 ms). */
  readonly lockStaleMs?: number;
  /** How long a writer waits for a busy lock before failing transiently (default 60 000 ms). */
  readonly lockWaitMs?: number;
  /** Reads up to this size use synchronous calls (fast from the page cache); larger ones are async (default 1 MiB). */
  readonly syncReadBytesMax?: number;
  /**
   * The file layer (default: the real one, node:fs). A MemoryFileSystem here puts the store under the power-loss
   * model of src/io; a FaultyFileSystem injects errors.
   */
  readonly fs?: FileSystem;
  readonly clock?: Clock;
  readonly rand?: Rand;
}

/** The contract on a local directory (see the file header). */
export class LocalObjectStore implements ObjectStore {
  readonly description: string;
  /** Absolute path of the root directory. */
  readonly root: string;
  readonly #method: ResolvedDurability;
  readonly #lock: LocalLockOptions;
  readonly #syncReadBytesMax: number;
  readonly #fs: FileSystem;
  /** Read descriptors kept between gets. */
  readonly #fds: ReadDescriptorCache;
  readonly #clock: Clock;
  readonly #rand: Rand;
  #lastStampUs = 0n;

  constructor(root: string, options: LocalObjectStoreOptions = {}) {
    if (typeof root !== 'string' || !root.startsWith('/')) {
      throw invalidError(
        'INVALID_ARGUMENT',
        `local store: root must be an absolute path, got ${JSON.stringify(root)}`,
      );
    }
    this.root = root.length > 1 ? root.replace(/\/+$/, '') : root;
    this.description = `file://${this.root}`;
    this.#method = resolveDurability(options.durability ?? 'auto');
    this.#fs = options.fs ?? nodeFileSystem;
    this.#fds = new ReadDescriptorCache(this.#fs);
    this.#clock = options.clock ?? systemClock;
    this.#rand = options.rand ?? systemRand;
    this.#lock = {
      staleMs: options.lockStaleMs ?? 30_000,
      waitMs: options.lockWaitMs ?? 60_000,
      clock: this.#clock,
      rand: this.#rand,
      fs: this.#fs,
    };
    this.#syncReadBytesMax = options.syncReadBytesMax ?? 1024 * 1024;
  }

  async put(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    validateObjectPath(path, 'put');
    const final = filePathOf(this.root, path);
    const temp = await this.#stage('put', path, final, [bytes], options.signal);
    return this.#publish('put', path, final, temp, options.mode ?? 'overwrite', options.signal);
  }

  async putStream(
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<PutResult> {
    validateObjectPath(path, 'putStream');
    const final = filePathOf(this.root, path);
    const temp = await this.#stage('putStream', path, final, chunks, options.signal);
    return this.#publish('putStream', path, final, temp, 'overwrite', options.signal);
  }

  async get(path: string, options: GetOptions = {}): Promise<GetResult> {
    validateObjectPath(path, 'get');
    options.signal?.throwIfAborted();
    return readLocalFileCached(
      this.#fds,
      filePathOf(this.root, path),
      path,
      options.range,
      this.#syncReadBytesMax,
    );
  }

  tryGetSync(path: string, range?: GetRange): GetResult | undefined {
    validateObjectPath(path, 'get');
    return readLocalFileCachedSync(
      this.#fds,
      filePathOf(this.root, path),
      path,
      range,
      this.#syncReadBytesMax,
    );
  }

  async head(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<ObjectMeta> {
    validateObjectPath(path, 'head');
    options.signal?.throwIfAborted();
    let st: FileStat;
    try {
      st = this.#fs.statSync(filePathOf(this.root, path));
    } catch (e) {
      throw mapLocalError(e, 'head', path);
    }
    if (!st.isFile) throw new ObjectStoreError('not-found', 'head', path, 'is a directory');
    return localMeta(path, st);
  }

  async delete(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    validateObjectPath(path, 'delete');
    options.signal?.throwIfAborted();
    const final = filePathOf(this.root, path);
    this.#fds.forget(final);
    if (!exists(this.#fs, dirname(final))) return;
    const lock = await this.#acquire(final, 'delete', path);
    let removed = false;
    try {
      if (!lock.verify()) throw lostLock('delete', path);
      this.#fs.unlinkSync(final);
      removed = true;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOENT') throw mapLocalError(e, 'delete', path);
    } finally {
      lock.release();
    }
    if (removed) await this.#syncDir('delete', path, dirname(final));
  }

  list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    return listLocal(this.#fs, this.root, prefix, options.startAfter, options.signal);
  }

  async close(): Promise<void> {
    this.#fds.clear();
  }

  /**
   * Removes staging, lock and lock-trash files older than `minAgeMs` under the root (leftovers of writers that
   * crashed, ours or Rust's) and returns how many were removed. Requires: `minAgeMs` at least `lockStaleMs`, so
   * no live write's files are touched.
   */
  async sweepStagingFiles(minAgeMs: number): Promise<number> {
    if (!Number.isFinite(minAgeMs) || minAgeMs < this.#lock.staleMs) {
      throw invalidError(
        'INVALID_ARGUMENT',
        `sweep age must be at least lockStaleMs (${this.#lock.staleMs} ms)`,
      );
    }
    const cutoffMs = this.#clock.nowMs() - minAgeMs;
    let removed = 0;
    for (const dir of directoriesUnder(this.#fs, this.root))
      removed += await sweepTempFiles(this.#fs, dir, cutoffMs);
    return removed;
  }

  /** Writes the bytes to a fresh staging file beside `final`, stamps its mtime, flushes and closes it. */
  async #stage(
    operation: ObjectStoreOperation,
    path: string,
    final: string,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    signal: AbortSignal | undefined,
  ): Promise<TempFile> {
    signal?.throwIfAborted();
    let temp: TempFile;
    try {
      temp = await createTempFile(this.#fs, final, this.#rand, true, this.#method);
    } catch (e) {
      throw mapLocalError(e, operation, path);
    }
    try {
      let pos = 0;
      for await (const chunk of chunks) {
        signal?.throwIfAborted();
        await writeTemp(temp, chunk, pos);
        pos += chunk.length;
      }
      try {
        this.#stampMtime(temp.path, 0n);
      } catch (e) {
        throw mapLocalError(e, operation, path);
      }
      await flushFile(temp.handle, this.#method);
      await closeTemp(temp);
      return temp;
    } catch (e) {
      await discardTemp(this.#fs, temp);
      throw isIoError(e) ? mapLocalError(e, operation, path) : e;
    }
  }

  /** Moves a staged file into place by `mode`, then makes the directory entry durable. */
  async #publish(
    operation: ObjectStoreOperation,
    path: string,
    final: string,
    temp: TempFile,
    mode: PutMode,
    signal: AbortSignal | undefined,
  ): Promise<PutResult> {
    let etag: string;
    try {
      signal?.throwIfAborted();
      etag =
        mode === 'create'
          ? this.#link(path, final, temp.path)
          : await this.#replace(operation, path, final, temp.path, mode);
    } catch (e) {
      await removeQuietly(this.#fs, temp.path);
      throw e;
    }
    await this.#syncDir(operation, path, dirname(final));
    return { etag };
  }

  /** Create-if-absent: link(2) fails with EEXIST when the object exists. */
  #link(path: string, final: string, tempPath: string): string {
    let etag: string;
    try {
      etag = localEtag(this.#fs.statSync(tempPath));
      this.#fs.linkSync(tempPath, final);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'EEXIST') {
        throw new ObjectStoreError('already-exists', 'put', path, 'object already exists', e);
      }
      throw mapLocalError(e, 'put', path);
    }
    try {
      this.#fs.unlinkSync(tempPath);
    } catch {
      // The object is in place: a staging name left behind is hidden from listings and swept later.
    }
    return etag;
  }

  /** Overwrite or compare-and-swap under the object's lock. */
  async #replace(
    operation: ObjectStoreOperation,
    path: string,
    final: string,
    tempPath: string,
    mode: PutMode,
  ): Promise<string> {
    const lock = await this.#acquire(final, operation, path);
    try {
      const current = statOrUndefined(this.#fs, final);
      if (typeof mode === 'object') {
        if (current === undefined)
          throw new ObjectStoreError('precondition-failed', 'put', path, 'object is missing');
        if (localEtag(current) !== mode.ifMatch) {
          throw new ObjectStoreError(
            'precondition-failed',
            'put',
            path,
            `etag does not match ${mode.ifMatch}`,
          );
        }
      }
      if (current !== undefined) this.#stampMtime(tempPath, current.mtimeNs / 1000n);
      const etag = localEtag(this.#fs.statSync(tempPath));
      if (!lock.verify()) throw lostLock(operation, path);
      this.#fs.renameSync(tempPath, final);
      return etag;
    } catch (e) {
      throw e instanceof ObjectStoreError ? e : mapLocalError(e, operation, path);
    } finally {
      lock.release();
    }
  }

  async #acquire(final: string, operation: ObjectStoreOperation, path: string): Promise<HeldLock> {
    try {
      return await acquireLock(final, operation, path, this.#lock);
    } catch (e) {
      throw e instanceof ObjectStoreError ? e : mapLocalError(e, operation, path);
    }
  }

  /**
   * Sets the file's mtime to a microsecond stamp above `aboveUs` and above every stamp this process gave before
   * (the wall clock, plus a random sub-millisecond part so that processes rarely pick the same stamp).
   */
  #stampMtime(file: string, aboveUs: bigint): void {
    const nowUs = BigInt(Math.floor(this.#clock.nowMs())) * 1000n + BigInt(this.#rand.nextInt(1000));
    let stamp = nowUs;
    if (stamp <= this.#lastStampUs) stamp = this.#lastStampUs + 1n;
    if (stamp <= aboveUs) stamp = aboveUs + 1n;
    this.#lastStampUs = stamp;
    // The file system may keep less precision than asked for: check, since the stamp must land above `aboveUs`.
    for (let attempt = 0; attempt < 3; attempt++) {
      this.#fs.setTimesSync(file, stamp);
      const set = this.#fs.statSync(file).mtimeNs / 1000n;
      if (set > aboveUs) return;
      stamp += 1n;
    }
    throw new ObjectStoreError('permanent', 'put', file, 'cannot set a file mtime above the replaced one');
  }

  async #syncDir(operation: ObjectStoreOperation, path: string, dir: string): Promise<void> {
    if (this.#method === 'none') return;
    try {
      await syncDirStep(this.#fs, dir);
    } catch (e) {
      throw mapLocalError(e, operation, path);
    }
  }
}

function statOrUndefined(fs: FileSystem, file: string): FileStat | undefined {
  try {
    const st = fs.statSync(file);
    return st.isFile ? st : undefined;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** True if `path` can be stat'ed (as existsSync: any failure counts as absent). */
function exists(fs: FileSystem, path: string): boolean {
  try {
    fs.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function lostLock(operation: ObjectStoreOperation, path: string): ObjectStoreError {
  return new ObjectStoreError(
    'transient',
    operation,
    path,
    'lost the object lock (lease expired); nothing written',
  );
}

/** `root` and every directory below it (not following symlinks), depth first. */
function directoriesUnder(fs: FileSystem, root: string): string[] {
  const out: string[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: DirEntry[];
    try {
      entries = fs.listDirSync(dir);
    } catch {
      continue;
    }
    out.push(dir);
    for (const e of entries) if (e.isDirectory) stack.push(join(dir, e.name));
  }
  return out;
}
