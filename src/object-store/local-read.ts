/**
 * Reads of the local store: open, fstat, positional reads of the requested range, close. The metadata comes from
 * the open descriptor, so it always describes the bytes returned even if the object is replaced meanwhile (a
 * replace renames a new file over the name; the open file is unaffected). Reads up to `syncBytesMax` use
 * synchronous calls (a few microseconds from the page cache, against ~50 µs per awaited call); larger reads use
 * the thread pool, so a big read never blocks the event loop.
 *
 * Invariants: a missing file or a directory is 'not-found'; the result's offset and length follow resolveRange.
 * Small reads may reuse a cached descriptor (ReadDescriptorCache), validated by a stat of the path on every read.
 * Concurrency: any number of reads at once; uncached reads own their descriptor; cached ones are synchronous.
 */
import * as fs from 'node:fs';
import { mapLocalError } from './local-errors.js';
import { localMeta } from './local-listing.js';
import { type GetRange, type GetResult, ObjectStoreError } from './object-store.js';
import { resolveRange } from './range.js';

/** A cached descriptor with the metadata it was opened with. */
interface CachedFd {
  readonly fd: number;
  /** The metadata returned with reads. */
  readonly st: fs.BigIntStats;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Open read descriptors kept between gets (SST blocks are read many times). An entry is used only while its file
 * still has a link (an fstat on the descriptor: deleting the object, or replacing it by rename, drops the old
 * file's link count to zero) and the same size and mtime, so a replaced or deleted object is never served from a
 * stale descriptor; bytes and metadata always come from one file. Bounded; least recently used closed first.
 */
export class ReadDescriptorCache {
  readonly #max: number;
  readonly #entries = new Map<string, CachedFd>();

  constructor(max = 128) {
    this.#max = max;
  }

  /** A descriptor for `file` with its fstat, or undefined when the file does not exist (not-found). */
  acquire(file: string): CachedFd | undefined {
    const cached = this.#entries.get(file);
    if (cached !== undefined) {
      this.#entries.delete(file);
      const now = fs.fstatSync(cached.fd);
      if (now.nlink > 0 && now.size === cached.size && now.mtimeMs === cached.mtimeMs) {
        this.#entries.set(file, cached);
        return cached;
      }
      fs.closeSync(cached.fd);
    }
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const st = fs.fstatSync(fd, { bigint: true });
    const plain = fs.fstatSync(fd);
    const entry = { fd, st, size: plain.size, mtimeMs: plain.mtimeMs };
    if (!entry.st.isFile()) {
      fs.closeSync(fd);
      throw new ObjectStoreError('not-found', 'get', file, 'is a directory');
    }
    this.#entries.set(file, entry);
    while (this.#entries.size > this.#max) {
      const [oldest, e] = this.#entries.entries().next().value as [string, { fd: number }];
      this.#entries.delete(oldest);
      fs.closeSync(e.fd);
    }
    return entry;
  }

  /** Closes the descriptor of `file`, if cached (after a delete or replace by this process). */
  forget(file: string): void {
    const e = this.#entries.get(file);
    if (e === undefined) return;
    this.#entries.delete(file);
    fs.closeSync(e.fd);
  }

  /** Closes every descriptor. */
  clear(): void {
    for (const e of this.#entries.values()) fs.closeSync(e.fd);
    this.#entries.clear();
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
    (await readLocalFile(file, path, range, syncBytesMax))
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
    return { bytes: readSyncFully(entry.fd, offset, length), meta, offset };
  } catch (e) {
    cache.forget(file);
    throw mapLocalError(e, 'get', path);
  }
}

/** Reads `range` of the object stored in `file`. */
export async function readLocalFile(
  file: string,
  path: string,
  range: GetRange | undefined,
  syncBytesMax: number,
): Promise<GetResult> {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY);
  } catch (e) {
    throw mapLocalError(e, 'get', path);
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new ObjectStoreError('not-found', 'get', path, 'is a directory');
    const meta = localMeta(path, st);
    const { offset, end } = resolveRange(range, meta.size, path);
    const length = end - offset;
    const bytes =
      length <= syncBytesMax ? readSyncFully(fd, offset, length) : await readAsyncFully(fd, offset, length);
    return { bytes, meta, offset };
  } catch (e) {
    throw mapLocalError(e, 'get', path);
  } finally {
    fs.closeSync(fd);
  }
}

function readSyncFully(fd: number, offset: number, length: number): Uint8Array {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

async function readAsyncFully(fd: number, offset: number, length: number): Promise<Uint8Array> {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = await new Promise<number>((resolve, reject) => {
      fs.read(fd, out, done, length - done, offset + done, (err, bytesRead) =>
        err ? reject(err) : resolve(bytesRead),
      );
    });
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}
