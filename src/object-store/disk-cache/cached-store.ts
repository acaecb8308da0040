/**
 * CachedObjectStore: an ObjectStore wrapper that keeps parts of the objects it reads on local disk (SlateDB 0.12.1's
 * `objectStoreCacheOptions`), so repeated and post-restart reads skip object storage. Objects are cut into aligned
 * parts of `partSizeBytes`; a get serves the parts it finds on disk and fetches the missing ones from the inner
 * store in one ranged request per contiguous run, rounded out to part boundaries, then saves them.
 *
 * What is cached: objects `cacheable(path)` accepts (default every path; the database passes "compacted SSTs",
 * whose ULID names are never reused) and whose path has no segment starting with '_' or containing '#' (those could
 * collide with the cache's own file names). `cachePuts` also caches what this store writes (L0 flushes,
 * compaction outputs). Objects are assumed immutable while cached: a put or delete through this store invalidates
 * its copy (0.12.1 leaves a deleted object's parts in place), and a fetch whose metadata (size, etag) differs from
 * the cached head drops the cached copy and serves the store's bytes.
 *
 * Invariants: a get returns exactly the bytes the inner store holds for the range (parts are checksummed, see
 * part-file.ts); cache failures (full disk, IO errors) never fail a call, they only lose caching; errors of the
 * inner store pass through unchanged.
 * Concurrency: every method may be called concurrently; two gets missing the same part may both fetch it.
 */
import type { DurabilityMethod } from '../../io/durability.js';
import type { FileSystem } from '../../io/file-system.js';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import type {
  GetOptions,
  GetResult,
  ListOptions,
  ObjectMeta,
  ObjectStore,
  PutOptions,
  PutResult,
  PutStreamOptions,
} from '../object-store.js';
import { DiskCache, type DiskCacheStats } from './disk-cache.js';
import type { ResolvedObjectStoreCacheOptions } from './options.js';

/** Options of {@link CachedObjectStore.open}. */
export interface CachedObjectStoreOptions {
  readonly rootFolder: string;
  /** null = unbounded. Default 16 GiB. */
  readonly maxCacheSizeBytes?: number | null;
  /** Default 4 MiB; a multiple of 1 KiB. */
  readonly partSizeBytes?: number;
  /** Default false. */
  readonly cachePuts?: boolean;
  /** Which object paths to cache. Default all. */
  readonly cacheable?: (path: string) => boolean;
  /** Default node:fs. */
  readonly fs?: FileSystem;
  /** Default 'none' (checksums make torn files misses; see disk-cache.ts). */
  readonly durability?: DurabilityMethod;
  readonly clock?: Clock;
  /** Told about absorbed cache failures. */
  readonly onError?: (what: string, error: unknown) => void;
}

function safePath(path: string): boolean {
  for (const seg of path.split('/')) if (seg.startsWith('_') || seg.includes('#')) return false;
  return true;
}

/** The caching wrapper (see the file header). */
export class CachedObjectStore implements ObjectStore {
  readonly description: string;
  readonly #inner: ObjectStore;
  readonly #cache: DiskCache;
  readonly #cachePuts: boolean;
  readonly #cacheable: (path: string) => boolean;
  readonly #clock: Clock;
  /** Heads read or saved by this process. */
  readonly #heads = new Map<string, ObjectMeta>();

  private constructor(inner: ObjectStore, cache: DiskCache, options: CachedObjectStoreOptions) {
    this.#inner = inner;
    this.#cache = cache;
    this.#cachePuts = options.cachePuts ?? false;
    const user = options.cacheable ?? (() => true);
    this.#cacheable = (p) => safePath(p) && user(p);
    this.#clock = options.clock ?? systemClock;
    this.description = `${inner.description} (disk cache ${options.rootFolder})`;
  }

  /** Opens the cache folder (indexing it, removing crash leftovers) and wraps `inner`. */
  static async open(inner: ObjectStore, options: CachedObjectStoreOptions): Promise<CachedObjectStore> {
    const cache = await DiskCache.open({
      rootFolder: options.rootFolder,
      maxBytes: options.maxCacheSizeBytes === undefined ? 16 * 1024 ** 3 : options.maxCacheSizeBytes,
      partSize: options.partSizeBytes ?? 4 * 1024 * 1024,
      ...(options.fs !== undefined ? { fs: options.fs } : {}),
      ...(options.durability !== undefined ? { durability: options.durability } : {}),
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
    });
    return new CachedObjectStore(inner, cache, options);
  }

  /** Wraps `inner` as resolved settings say. */
  static fromSettings(
    inner: ObjectStore,
    o: ResolvedObjectStoreCacheOptions,
    extra: Omit<
      CachedObjectStoreOptions,
      'rootFolder' | 'maxCacheSizeBytes' | 'partSizeBytes' | 'cachePuts'
    > = {},
  ): Promise<CachedObjectStore> {
    return CachedObjectStore.open(inner, {
      ...extra,
      rootFolder: o.rootFolder,
      maxCacheSizeBytes: o.maxCacheSizeBytes,
      partSizeBytes: o.partSizeBytes,
      cachePuts: o.cachePuts,
    });
  }

  /** The cache's counters. */
  get stats(): Readonly<DiskCacheStats> {
    return this.#cache.stats;
  }

  /** Bytes and files currently cached. */
  get usage(): { readonly bytes: number; readonly files: number } {
    return { bytes: this.#cache.bytes, files: this.#cache.files };
  }

  async #head(path: string): Promise<ObjectMeta | undefined> {
    const known = this.#heads.get(path);
    if (known !== undefined) return known;
    const meta = await this.#cache.readHead(path);
    if (meta !== undefined) this.#heads.set(path, meta);
    return meta;
  }

  async #drop(path: string): Promise<void> {
    this.#heads.delete(path);
    await this.#cache.invalidate(path);
  }

  /** Saves every whole part contained in `bytes` (object bytes starting at `offset`). */
  async #saveParts(path: string, bytes: Uint8Array, offset: number, size: number): Promise<void> {
    const p = this.#cache.partSize;
    const end = offset + bytes.length;
    const saves: Promise<void>[] = [];
    for (let n = Math.ceil(offset / p); n * p < end; n++) {
      const partEnd = Math.min((n + 1) * p, size);
      if (partEnd > end) break;
      saves.push(this.#cache.savePart(path, n, bytes.subarray(n * p - offset, partEnd - offset)));
    }
    await Promise.all(saves);
  }

  async #remember(path: string, meta: ObjectMeta): Promise<void> {
    this.#heads.set(path, meta);
    await this.#cache.saveHead(path, meta);
  }

  async get(path: string, options: GetOptions = {}): Promise<GetResult> {
    if (!this.#cacheable(path)) return this.#inner.get(path, options);
    const head = await this.#head(path);
    if (head === undefined) return this.#getCold(path, options);
    const size = head.size;
    const r = options.range;
    let start: number;
    let end: number;
    if (r === undefined) {
      start = 0;
      end = size;
    } else if ('suffix' in r) {
      start = Math.max(0, size - r.suffix);
      end = size;
    } else {
      start = Math.min(r.offset, size);
      end = r.length === undefined ? size : Math.min(size, r.offset + r.length);
    }
    const out = new Uint8Array(end - start);
    const p = this.#cache.partSize;
    const missing: number[] = [];
    const reads: Promise<void>[] = [];
    for (let n = Math.floor(start / p); n * p < end; n++) {
      const a = Math.max(start, n * p);
      const b = Math.min(end, (n + 1) * p);
      reads.push(
        this.#cache.readPart(path, n, a - n * p, b - n * p).then((data) => {
          if (data === undefined || data.length !== b - a) missing.push(n);
          else out.set(data, a - start);
        }),
      );
    }
    await Promise.all(reads);
    missing.sort((x, y) => x - y);
    for (let i = 0; i < missing.length; ) {
      let j = i;
      while (j + 1 < missing.length && missing[j + 1] === missing[j]! + 1) j++;
      const from = missing[i]! * p;
      const to = Math.min(size, (missing[j]! + 1) * p);
      const got = await this.#inner.get(path, {
        range: { offset: from, length: to - from },
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      const etagChanged =
        got.meta.etag !== undefined && head.etag !== undefined && got.meta.etag !== head.etag;
      if (got.meta.size !== head.size || etagChanged || got.bytes.length !== to - from) {
        // The object is not what the cache holds: forget it and serve the store's answer.
        await this.#drop(path);
        return this.#inner.get(path, options);
      }
      await this.#saveParts(path, got.bytes, from, size);
      const a = Math.max(start, from);
      const b = Math.min(end, to);
      out.set(got.bytes.subarray(a - from, b - from), a - start);
      i = j + 1;
    }
    return { bytes: out, meta: head, offset: start };
  }

  /** A get with no cached head: fetch whole parts around the range, save head and parts, return the range. */
  async #getCold(path: string, options: GetOptions): Promise<GetResult> {
    const r = options.range;
    const p = this.#cache.partSize;
    const signal = options.signal !== undefined ? { signal: options.signal } : {};
    let got: GetResult;
    if (r === undefined || 'suffix' in r) {
      got = await this.#inner.get(path, options);
    } else {
      const from = Math.floor(r.offset / p) * p;
      const wanted = r.length === undefined ? undefined : r.offset + r.length;
      const to = wanted === undefined ? undefined : Math.ceil(wanted / p) * p;
      got = await this.#inner.get(path, {
        range: to === undefined ? { offset: from } : { offset: from, length: to - from },
        ...signal,
      });
    }
    const size = got.meta.size;
    await Promise.all([this.#remember(path, got.meta), this.#saveParts(path, got.bytes, got.offset, size)]);
    if (r === undefined || 'suffix' in r) return got;
    const start = Math.min(r.offset, size);
    const end = r.length === undefined ? size : Math.min(size, r.offset + r.length);
    return {
      bytes: got.bytes.subarray(start - got.offset, end - got.offset),
      meta: got.meta,
      offset: start,
    };
  }

  async put(path: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    if (!this.#cacheable(path)) return this.#inner.put(path, bytes, options);
    await this.#drop(path);
    const result = await this.#inner.put(path, bytes, options);
    if (this.#cachePuts) {
      const meta: ObjectMeta = {
        path,
        size: bytes.length,
        lastModifiedMs: this.#clock.nowMs(),
        etag: result.etag,
      };
      await Promise.all([this.#remember(path, meta), this.#saveParts(path, bytes, 0, bytes.length)]);
    }
    return result;
  }

  async putStream(
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    options?: PutStreamOptions,
  ): Promise<PutResult> {
    if (!this.#cacheable(path)) return this.#inner.putStream(path, chunks, options);
    await this.#drop(path);
    if (!this.#cachePuts) return this.#inner.putStream(path, chunks, options);
    const p = this.#cache.partSize;
    const cache = this.#cache;
    const saves: Promise<void>[] = [];
    let part = new Uint8Array(p);
    let fill = 0;
    let n = 0;
    let total = 0;
    async function* tee(): AsyncIterable<Uint8Array> {
      for await (const chunk of chunks) {
        total += chunk.length;
        for (let off = 0; off < chunk.length; ) {
          const take = Math.min(p - fill, chunk.length - off);
          part.set(chunk.subarray(off, off + take), fill);
          fill += take;
          off += take;
          if (fill === p) {
            saves.push(cache.savePart(path, n++, part));
            part = new Uint8Array(p);
            fill = 0;
          }
        }
        yield chunk;
      }
    }
    let result: PutResult;
    try {
      result = await this.#inner.putStream(path, tee(), options);
    } catch (e) {
      await Promise.all(saves);
      await this.#drop(path);
      throw e;
    }
    if (fill > 0) saves.push(cache.savePart(path, n, part.subarray(0, fill)));
    saves.push(
      this.#remember(path, { path, size: total, lastModifiedMs: this.#clock.nowMs(), etag: result.etag }),
    );
    await Promise.all(saves);
    return result;
  }

  head(path: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectMeta> {
    return this.#inner.head(path, options);
  }

  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    return this.#inner.list(prefix, options);
  }

  async delete(path: string, options?: { readonly signal?: AbortSignal }): Promise<void> {
    await this.#inner.delete(path, options);
    if (this.#cacheable(path)) await this.#drop(path);
  }

  /**
   * Loads whole objects into the cache, in order, while they fit in `maxBytes` (0.12.1's preload on startup):
   * stops at the first that does not fit or cannot be read.
   */
  async preload(paths: readonly string[], maxBytes: number): Promise<number> {
    let remaining = maxBytes;
    const chosen: string[] = [];
    for (const path of paths) {
      if (!this.#cacheable(path)) continue;
      let meta: ObjectMeta;
      try {
        meta = await this.#inner.head(path);
      } catch {
        break;
      }
      if (meta.size > remaining) break;
      remaining -= meta.size;
      chosen.push(path);
    }
    let loaded = 0;
    const next = async (): Promise<void> => {
      for (let path = chosen.shift(); path !== undefined; path = chosen.shift()) {
        try {
          await this.get(path);
          loaded++;
        } catch {
          // A file that vanished (compacted away) is simply not preloaded.
        }
      }
    };
    await Promise.all([next(), next(), next(), next()]);
    return loaded;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
