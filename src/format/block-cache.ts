/**
 * BlockCache: a shared, size-bounded LRU (by bytes) of decoded SST parts (data blocks, indexes, filters), keyed
 * by object path and part number, answering synchronously on a hit (docs/format.md#reading).
 *
 * Invariants: the bytes of cached entries never exceed the capacity after a put returns (an entry larger than
 * the whole capacity is not cached); only checksum-verified, decoded parts are put. Recency is kept the
 * second-chance way (an LRU approximation): a hit only sets the entry's reference bit, so hits cost no map
 * updates; eviction walks from the oldest entry, moving referenced ones to the young end with the bit cleared
 * and evicting the first unreferenced one.
 * Concurrency: event-loop only; every call is synchronous. Shared by all readers of a database.
 */
import { assert } from '../util/assert.js';

/** Something the cache can hold. */
export interface Cacheable {
  /** Memory the entry holds. */
  readonly byteSize: number;
}

/** Part numbers above every data block: the index and the filter. */
export const INDEX_PART = 2 ** 26 - 1;
export const FILTER_PART = 2 ** 26 - 2;
const PARTS_PER_OBJECT = 2 ** 26;

/** Cache counters. */
export interface BlockCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  readonly bytes: number;
  readonly capacityBytes: number;
}

/** An LRU by bytes. */
export class BlockCache {
  readonly capacityBytes: number;
  readonly #entries = new Map<number, { entry: Cacheable; ref: boolean }>();
  readonly #objectIds = new Map<string, number>();
  #nextObjectId = 1;
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  /** Requires: a non-negative capacity in bytes. */
  constructor(capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, 'cache capacity must be a byte count');
    this.capacityBytes = capacityBytes;
  }

  /** A small number naming `path` in keys (stable for the cache's life unless the object is forgotten). */
  objectId(path: string): number {
    let id = this.#objectIds.get(path);
    if (id === undefined) {
      id = this.#nextObjectId++;
      assert(id < 2 ** 27, 'block cache object ids exhausted');
      this.#objectIds.set(path, id);
    }
    return id;
  }

  static #key(objectId: number, part: number): number {
    return objectId * PARTS_PER_OBJECT + part;
  }

  /** The cached part, or undefined. */
  get(objectId: number, part: number): Cacheable | undefined {
    const slot = this.#entries.get(objectId * PARTS_PER_OBJECT + part);
    if (slot === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    slot.ref = true;
    return slot.entry;
  }

  /** Caches a part, evicting least recently used entries to stay within capacity. */
  put(objectId: number, part: number, entry: Cacheable): void {
    assert(part >= 0 && part < PARTS_PER_OBJECT, () => `part ${part} out of range`);
    const k = BlockCache.#key(objectId, part);
    const old = this.#entries.get(k);
    if (old !== undefined) {
      this.#entries.delete(k);
      this.#bytes -= old.entry.byteSize;
    }
    if (entry.byteSize > this.capacityBytes) return;
    this.#entries.set(k, { entry, ref: false });
    this.#bytes += entry.byteSize;
    while (this.#bytes > this.capacityBytes) {
      const [victimKey, victim] = this.#entries.entries().next().value!;
      this.#entries.delete(victimKey);
      if (victim.ref && victimKey !== k) {
        victim.ref = false;
        this.#entries.set(victimKey, victim);
      } else {
        this.#bytes -= victim.entry.byteSize;
      }
    }
  }

  /** Drops every part of `path` (after the object is deleted) and forgets its id. */
  evictObject(path: string): void {
    const id = this.#objectIds.get(path);
    if (id === undefined) return;
    const lo = BlockCache.#key(id, 0);
    const hi = lo + PARTS_PER_OBJECT;
    for (const [k, e] of this.#entries) {
      if (k >= lo && k < hi) {
        this.#entries.delete(k);
        this.#bytes -= e.entry.byteSize;
      }
    }
    this.#objectIds.delete(path);
  }

  stats(): BlockCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      entries: this.#entries.size,
      bytes: this.#bytes,
      capacityBytes: this.capacityBytes,
    };
  }
}
