/**
 * Reads of the local store: open, fstat, positional reads of the requested range, close. The metadata comes from
 * the open descriptor, so it always describes the bytes returned even if the object is replaced meanwhile (a
 * replace renames a new file over the name; the open file is unaffected). Reads up to `syncBytesMax` use
 * synchronous calls (a few microseconds from the page cache, against ~50 µs per awaited call); larger reads use
 * the thread pool, so a big read never blocks the event loop.
 *
 * Invariants: a missing file or a directory is 'not-found'; the result's offset and length follow resolveRange.
 * Small reads may reuse a cached descriptor (ReadDescriptorCache), validated by an fstat on every read. All file
 * access goes through the store's FileSystem.
 * Concurrency: any number of reads at once; uncached reads own their descriptor; cached ones are synchronous.
 */
import type { FileHandle, FileStat, FileSystem } from '../io/file-system.js';
import { spansBuffer } from '../util/bytes.js';
import { mapLocalError } from './local-errors.js';
import { localMeta } from './local-listing.js';
import { type GetRange, type GetResult, ObjectStoreError } from './object-store.js';
import { resolveRange } from './range.js';

/** A cached descriptor with the metadata it was opened with. */
interface CachedFd {
  readonly handle: FileHandle;
  /** The metadata returned with reads. */
  readonly st: FileStat;
}

/**
 * Open read descriptors kept between gets (SST blocks are read many times). An entry is used only while its file
 * still has a link (an fstat on the descriptor: deleting the object, or replacing it by rename, drops the old
 * file's link count to zero) and the same size and mtime, so a replaced or deleted object is never served from a
 * stale descriptor; bytes and metadata always come from one file. Bounded; least recently used closed first.
 */
export class ReadDescriptorCache {
  readonly #fs: FileSystem;
  readonly #max: number;
  readonly #entries = new Map<string, CachedFd>();

  constructor(fs: FileSystem, max = 128) {
    this.#fs = fs;
    this.#max = max;
  }

  /** The file system the descriptors come from. */
  get fs(): FileSystem {
    return this.#fs;
  }

  /** A descriptor for `file` with its fstat, or undefined when the file does not exist (not-found). */
  acquire(file: string): CachedFd | undefined {
    const cached = this.#entries.get(file);
    if (cached !== undefined) {
      this.#entries.delete(file);
      const now = cached.handle.statSync();
      if (now.nlink > 0 && now.size === cached.st.size && now.mtimeNs === cached.st.mtimeNs) {
        this.#entries.set(file, cached);
        return cached;
      }
      closeQuietly(cached.handle);
    }
    let handle: FileHandle;
    try {
      handle = this.#fs.openSync(file, 'read');
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
      throw e;
    }
    let st: FileStat;
    try {
      st = handle.statSync();
    } catch (e) {
      closeQuietly(handle);
      throw e;
    }
    if (!st.isFile) {
      closeQuietly(handle);
      throw new ObjectStoreError('not-found', 'get', file, 'is a directory');
    }
    const entry = { handle, st };
    this.#entries.set(file, entry);
    while (this.#entries.size > this.#max) {
      const [oldest, e] = this.#entries.entries().next().value as [string, CachedFd];
      this.#entries.delete(oldest);
      closeQuietly(e.handle);
    }
    return entry;
  }

  /** Closes the descriptor of `file`, if cached (after a delete or replace by this process). */
  forget(file: string): void {
    const e = this.#entries.get(file);
    if (e === undefined) return;
    this.#entries.delete(file);
    closeQuietly(e.handle);
  }

  /** Closes every descriptor. */
  clear(): void {
    for (const e of this.#entries.values()) closeQuietly(e.handle);
    this.#entries.clear();
  }
}

/** Closes a read descriptor; a failure to close one changes nothing the store relies on. */
function closeQuietly(handle: FileHandle): void {
  try {
    handle.closeSync();
  } catch {
    // A read-only descriptor: nothing is lost.
  }
}

/** Reads `range` of the object stored in `file` through a descriptor cache. */
export async function readLocalFileCached(
  cache: ReadDescriptorCache,
  file: string,
  path: string,
  range: GetRange | undefined,
  syncBytesMax: number,
): Promise<GetResult> {
  // Large reads go to the thread pool: the descriptor must stay open meanwhile, so read them uncached.
  return (
    readLocalFileCachedSync(cache, file, path, range, syncBytesMax) ??
    (await readLocalFile(cache.fs, file, path, range, syncBytesMax))
  );
}

/**
 * Reads `range` of the object stored in `file` synchronously through a descriptor cache; undefined when the
 * range is longer than `syncBytesMax` (read it with readLocalFile).
 */
export function readLocalFileCachedSync(
  cache: ReadDescriptorCache,
  file: string,
  path: string,
  range: GetRange | undefined,
  syncBytesMax: number,
): GetResult | undefined {
  let entry: CachedFd | undefined;
  try {
    entry = cache.acquire(file);
  } catch (e) {
    throw mapLocalError(e, 'get', path);
  }
  if (entry === undefined) throw new ObjectStoreError('not-found', 'get', path, 'no such object');
  try {
    const meta = localMeta(path, entry.st);
    const { offset, end } = resolveRange(range, meta.size, path);
    const length = end - offset;
    if (length > syncBytesMax) return undefined;
    const bytes = readSyncFully(entry.handle, offset, length);
    return { bytes, meta, offset, owned: spansBuffer(bytes) };
  } catch (e) {
    cache.forget(file);
    throw mapLocalError(e, 'get', path);
  }
}

/** Reads `range` of the object stored in `file`. */
export async function readLocalFile(
  fs: FileSystem,
  file: string,
  path: string,
  range: GetRange | undefined,
  syncBytesMax: number,
): Promise<GetResult> {
  let handle: FileHandle;
  try {
    handle = fs.openSync(file, 'read');
  } catch (e) {
    throw mapLocalError(e, 'get', path);
  }
  try {
    const st = handle.statSync();
    if (!st.isFile) throw new ObjectStoreError('not-found', 'get', path, 'is a directory');
    const meta = localMeta(path, st);
    const { offset, end } = resolveRange(range, meta.size, path);
    const length = end - offset;
    const bytes =
      length <= syncBytesMax
        ? readSyncFully(handle, offset, length)
        : await readAsyncFully(handle, offset, length);
    return { bytes, meta, offset, owned: spansBuffer(bytes) };
  } catch (e) {
    throw mapLocalError(e, 'get', path);
  } finally {
    closeQuietly(handle);
  }
}

function readSyncFully(handle: FileHandle, offset: number, length: number): Uint8Array {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = handle.readSync(out.subarray(done), offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

async function readAsyncFully(handle: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = await handle.read(out.subarray(done), offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}
