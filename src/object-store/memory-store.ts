/**
 * MemoryObjectStore: an in-process ObjectStore with the full contract (create-if-absent, ifMatch CAS, ranges,
 * ordered listings), for tests and `memory:///` URLs.
 *
 * Invariants: stored bytes are private copies (callers may reuse their buffers); every put assigns a fresh etag;
 * conditional checks and the write happen in one synchronous step, so concurrent creators have exactly one winner.
 * Concurrency: safe for any interleaving on one event loop; every method yields once before acting, like a remote
 * store would.
 */
import { copyBytes } from '../util/bytes.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { compareStrings } from './listing.js';
import {
  type GetOptions,
  type GetResult,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  ObjectStoreError,
  type PutOptions,
  type PutResult,
  type PutStreamOptions,
  validateObjectPath,
} from './object-store.js';
import { resolveRange } from './range.js';

interface Entry {
  readonly bytes: Uint8Array;
  readonly meta: ObjectMeta;
}

/** An ObjectStore held in memory. */
export class MemoryObjectStore implements ObjectStore {
  readonly description: string;
  readonly #clock: Clock;
  readonly #objects = new Map<string, Entry>();
  #etagCounter = 0;

  constructor(options: { clock?: Clock; description?: string } = {}) {
    this.#clock = options.clock ?? systemClock;
    this.description = options.description ?? 'memory:///';
  }

  async put(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    validateObjectPath(path, 'put');
    const copy = copyBytes(bytes);
    await Promise.resolve();
    options.signal?.throwIfAborted();
    return this.#store(path, copy, options.mode ?? 'overwrite');
  }

  async putStream(
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<PutResult> {
    validateObjectPath(path, 'putStream');
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of chunks) {
      options.signal?.throwIfAborted();
      parts.push(copyBytes(c));
      n += c.length;
    }
    const all = new Uint8Array(n);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return this.#store(path, all, 'overwrite');
  }

  #store(path: string, bytes: Uint8Array, mode: NonNullable<PutOptions['mode']>): PutResult {
    const existing = this.#objects.get(path);
    if (mode === 'create' && existing !== undefined) {
      throw new ObjectStoreError('already-exists', 'put', path, 'object already exists');
    }
    if (typeof mode === 'object' && (existing === undefined || existing.meta.etag !== mode.ifMatch)) {
      throw new ObjectStoreError('precondition-failed', 'put', path, `etag does not match ${mode.ifMatch}`);
    }
    const etag = `"m${++this.#etagCounter}"`;
    const meta: ObjectMeta = { path, size: bytes.length, lastModifiedMs: this.#clock.nowMs(), etag };
    this.#objects.set(path, { bytes, meta });
    return { etag };
  }

  async get(path: string, options: GetOptions = {}): Promise<GetResult> {
    validateObjectPath(path, 'get');
    await Promise.resolve();
    options.signal?.throwIfAborted();
    const e = this.#objects.get(path);
    if (e === undefined) throw new ObjectStoreError('not-found', 'get', path, 'no such object');
    const { offset, end } = resolveRange(options.range, e.bytes.length, path);
    return { bytes: e.bytes.slice(offset, end), meta: e.meta, offset };
  }

  async head(path: string): Promise<ObjectMeta> {
    validateObjectPath(path, 'head');
    await Promise.resolve();
    const e = this.#objects.get(path);
    if (e === undefined) throw new ObjectStoreError('not-found', 'head', path, 'no such object');
    return e.meta;
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    await Promise.resolve();
    const paths = [...this.#objects.keys()]
      .filter(
        (p) =>
          p.startsWith(prefix) &&
          (options.startAfter === undefined || compareStrings(p, options.startAfter) > 0),
      )
      .sort(compareStrings);
    for (const p of paths) {
      options.signal?.throwIfAborted();
      const e = this.#objects.get(p);
      if (e !== undefined) yield e.meta;
    }
  }

  async delete(path: string): Promise<void> {
    validateObjectPath(path, 'delete');
    await Promise.resolve();
    this.#objects.delete(path);
  }

  async close(): Promise<void> {}

  /** Test helper: the number of stored objects. */
  get size(): number {
    return this.#objects.size;
  }
}
