/**
 * DiskCache: the local files behind CachedObjectStore. Saves and reads object parts and heads under a root folder
 * (names in part-file.ts), keeps an exact in-memory index of the cached files with their sizes in least-recently-used
 * order, and evicts the least recently used files before a save would exceed the size bound.
 *
 * Crash safety: every file is written by src/io's atomic publish (temp name, then rename), so a reader sees a whole
 * file or none; part files are checksummed (part-file.ts), so even a file torn by power loss (durability 'none'
 * skips fsync: a cache may lose entries, never serve wrong bytes) reads as a miss and is removed. On open, the
 * folder is scanned: temp files left by a crash are removed, cache files are indexed oldest-modified first, and the
 * size bound is enforced.
 * Failures: a failed save (ENOSPC, EIO, ...) removes its temp file (atomic publish does), is reported to `onError`
 * and counted, and never fails the caller; reads that fail with an IO error are misses.
 *
 * Invariants: `bytes` equals the sum of the sizes of indexed files; after any save completes, `bytes <= maxBytes`
 * (when bounded), as space is reserved (and evicted for) before the file is written.
 * Concurrency: any number of reads and saves may run at once; index updates are synchronous.
 */
import { join } from 'node:path';
import { publishFile } from '../../io/atomic-publish.js';
import type { DurabilityMethod } from '../../io/durability.js';
import type { FileSystem } from '../../io/file-system.js';
import { nodeFileSystem } from '../../io/node-file-system.js';
import { isTempFileName } from '../../io/temp-name.js';
import { invalidError } from '../../util/errors.js';
import type { ObjectMeta } from '../object-store.js';
import {
  decodeHead,
  encodeHead,
  encodePart,
  HEAD_FILE,
  isCacheFileName,
  partFileName,
  readPartRange,
} from './part-file.js';

/** Counters of the cache's work (0.12.1's `slatedb.object_store_cache.*` stats are derived from these). */
export interface DiskCacheStats {
  partHits: number;
  partAccesses: number;
  evictedKeys: number;
  evictedBytes: number;
  /** Saves that failed (full disk, IO errors); the caller was served anyway. */
  saveErrors: number;
  /** Files found torn or corrupt and removed. */
  corruptFiles: number;
}

/** Options of {@link DiskCache.open}. */
export interface DiskCacheOptions {
  readonly rootFolder: string;
  /** null = unbounded. */
  readonly maxBytes: number | null;
  readonly partSize: number;
  /** Default node:fs. */
  readonly fs?: FileSystem;
  /** Default 'none': see the file header. */
  readonly durability?: DurabilityMethod;
  /** Told about failures that were absorbed (a save that failed, a file that could not be removed). */
  readonly onError?: (what: string, error: unknown) => void;
}

/** The cache folder, its index and its eviction. */
export class DiskCache {
  readonly stats: DiskCacheStats = {
    partHits: 0,
    partAccesses: 0,
    evictedKeys: 0,
    evictedBytes: 0,
    saveErrors: 0,
    corruptFiles: 0,
  };
  readonly partSize: number;
  readonly #root: string;
  readonly #max: number | null;
  readonly #fs: FileSystem;
  readonly #durability: DurabilityMethod;
  readonly #onError: (what: string, error: unknown) => void;
  /** Absolute file path → size, least recently used first. */
  readonly #index = new Map<string, number>();
  #bytes = 0;

  private constructor(options: DiskCacheOptions) {
    this.#root = options.rootFolder;
    this.#max = options.maxBytes;
    this.partSize = options.partSize;
    this.#fs = options.fs ?? nodeFileSystem;
    this.#durability = options.durability ?? 'none';
    this.#onError = options.onError ?? (() => {});
  }

  /** Opens the cache folder (creating it), indexes what it holds and enforces the size bound. */
  static async open(options: DiskCacheOptions): Promise<DiskCache> {
    const cache = new DiskCache(options);
    try {
      await cache.#scan();
    } catch (e) {
      throw invalidError(
        'INVALID_SETTING',
        `objectStoreCacheOptions.rootFolder ${options.rootFolder}: cannot read the cache folder: ${(e as Error).message}`,
        e,
      );
    }
    return cache;
  }

  /** Bytes of the indexed files. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of indexed files. */
  get files(): number {
    return this.#index.size;
  }

  #dirOf(objectPath: string): string {
    return join(this.#root, objectPath);
  }

  #partPath(objectPath: string, n: number): string {
    return join(this.#root, objectPath, partFileName(this.partSize, n));
  }

  async #scan(): Promise<void> {
    const found: { path: string; size: number; mtime: number }[] = [];
    const walk = async (dir: string): Promise<void> => {
      let names: string[];
      try {
        names = await this.#fs.readdir(dir);
      } catch (e) {
        if ((e as { code?: unknown }).code === 'ENOENT') return;
        throw e;
      }
      for (const name of names) {
        const p = join(dir, name);
        const st = await this.#fs.stat(p).catch(() => undefined);
        if (st === undefined) continue;
        if (st.isDirectory) await walk(p);
        else if (isTempFileName(name)) await this.#remove(p);
        else if (isCacheFileName(name)) found.push({ path: p, size: st.size, mtime: st.mtimeMs });
      }
    };
    await walk(this.#root);
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) this.#track(f.path, f.size);
    // Open waits for its evictions: once it returns, the folder on disk is within the bound and matches the index.
    const removals: Promise<void>[] = [];
    this.#evictFor(0, removals);
    await Promise.all(removals);
  }

  #track(path: string, size: number): void {
    const old = this.#index.get(path);
    if (old !== undefined) {
      this.#bytes -= old;
      this.#index.delete(path);
    }
    this.#index.set(path, size);
    this.#bytes += size;
  }

  #touch(path: string): void {
    const size = this.#index.get(path);
    if (size === undefined) return;
    this.#index.delete(path);
    this.#index.set(path, size);
  }

  #untrack(path: string): void {
    const size = this.#index.get(path);
    if (size === undefined) return;
    this.#index.delete(path);
    this.#bytes -= size;
  }

  async #remove(path: string): Promise<void> {
    this.#untrack(path);
    try {
      await this.#fs.unlink(path);
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOENT') this.#onError(`remove ${path}`, e);
    }
  }

  /**
   * Evicts least recently used files until `incoming` more bytes fit; false if they can never fit. The index drops
   * them at once; their unlinks run in the background unless `removals` collects them for the caller to await.
   */
  #evictFor(incoming: number, removals?: Promise<void>[]): boolean {
    if (this.#max === null) return true;
    if (incoming > this.#max) return false;
    while (this.#bytes + incoming > this.#max) {
      const oldest = this.#index.keys().next();
      if (oldest.done === true) break;
      const size = this.#index.get(oldest.value)!;
      this.stats.evictedKeys++;
      this.stats.evictedBytes += size;
      const removal = this.#remove(oldest.value);
      if (removals !== undefined) removals.push(removal);
      else void removal;
    }
    return true;
  }

  async #save(path: string, chunks: readonly Uint8Array[]): Promise<void> {
    let size = 0;
    for (const c of chunks) size += c.length;
    if (!this.#evictFor(size)) return;
    // Reserve the space first, so concurrent saves cannot overshoot the bound together.
    this.#track(path, size);
    try {
      await publishFile(path, chunks, {
        mode: 'replace',
        durability: this.#durability,
        createParents: true,
        fs: this.#fs,
      });
    } catch (e) {
      this.#untrack(path);
      this.stats.saveErrors++;
      this.#onError(`save ${path}`, e);
    }
  }

  /** Saves part `n` of `objectPath` (its bytes; the last part may be short). Never throws. */
  savePart(objectPath: string, n: number, data: Uint8Array): Promise<void> {
    return this.#save(this.#partPath(objectPath, n), encodePart(data));
  }

  /** Saves an object's metadata. Never throws. */
  saveHead(objectPath: string, meta: ObjectMeta): Promise<void> {
    return this.#save(join(this.#dirOf(objectPath), HEAD_FILE), [encodeHead(meta)]);
  }

  /** Reads an object's metadata; undefined on a miss (a corrupt head is removed). */
  async readHead(objectPath: string): Promise<ObjectMeta | undefined> {
    const p = join(this.#dirOf(objectPath), HEAD_FILE);
    let bytes: Uint8Array;
    try {
      const h = await this.#fs.open(p, 'read');
      try {
        const size = await h.size();
        bytes = new Uint8Array(size);
        let off = 0;
        while (off < size) {
          const n = await h.read(bytes.subarray(off), off);
          if (n === 0) break;
          off += n;
        }
        bytes = bytes.subarray(0, off);
      } finally {
        await h.close().catch(() => {});
      }
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOENT') this.#onError(`read ${p}`, e);
      return undefined;
    }
    const meta = decodeHead(bytes, objectPath);
    if (meta === undefined) {
      this.stats.corruptFiles++;
      await this.#remove(p);
      return undefined;
    }
    this.#touch(p);
    return meta;
  }

  /** Reads `[start, end)` of part `n`'s data; undefined on a miss (a torn or corrupt part is removed). */
  async readPart(objectPath: string, n: number, start: number, end: number): Promise<Uint8Array | undefined> {
    const p = this.#partPath(objectPath, n);
    this.stats.partAccesses++;
    let data: Uint8Array | undefined;
    try {
      data = await readPartRange(this.#fs, p, this.partSize, start, end);
    } catch (e) {
      this.#onError(`read ${p}`, e);
      return undefined;
    }
    if (data === undefined) {
      if (await this.#exists(p)) {
        this.stats.corruptFiles++;
        await this.#remove(p);
      }
      return undefined;
    }
    this.stats.partHits++;
    this.#touch(p);
    return data;
  }

  async #exists(p: string): Promise<boolean> {
    try {
      await this.#fs.stat(p);
      return true;
    } catch {
      return false;
    }
  }

  /** Removes every cached file of `objectPath` (head and parts of any part size). */
  async invalidate(objectPath: string): Promise<void> {
    const dir = this.#dirOf(objectPath);
    let names: string[];
    try {
      names = await this.#fs.readdir(dir);
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOENT' && (e as { code?: unknown }).code !== 'ENOTDIR')
        this.#onError(`invalidate ${dir}`, e);
      return;
    }
    for (const name of names) if (isCacheFileName(name)) await this.#remove(join(dir, name));
  }
}
