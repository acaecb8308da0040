/**
 * BlockCache: a shared, size-bounded LRU (by bytes) of decoded SST parts (data blocks, indexes, filters), keyed
 * by object and part number, answering synchronously on a hit (docs/format.md#reading).
 *
 * Invariants: the bytes of cached entries never exceed the capacity after a put returns (an entry larger than
 * the whole capacity is not cached); only checksum-verified, decoded parts are put. Recency is kept the
 * second-chance way (an LRU approximation): a hit only sets the entry's reference bit, so hits cost two array
 * loads and no map update; eviction walks a FIFO of slots from the oldest, moving referenced ones to the young
 * end with the bit cleared and evicting the first unreferenced one. A replaced or evicted slot is marked dead
 * and dropped from the FIFO when reached (or when dead slots outnumber live ones).
 * Concurrency: event-loop only; every call is synchronous. Shared by all readers of a database.
 */
import { assert } from '../util/assert.js';

/** Something the cache can hold. */
export interface Cacheable {
  /** Memory the entry holds. */
  readonly byteSize: number;
}

/** Part numbers below every data block: the index and the filter. */
export const INDEX_PART = -1;
export const FILTER_PART = -2;
/** Slot index of part p is p + PART_BIAS. */
const PART_BIAS = 2;
/** Largest data block number (u16 block counts are far below this). */
const MAX_PART = 2 ** 30;

/** Cache counters. */
export interface BlockCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  readonly bytes: number;
  readonly capacityBytes: number;
  /** Hits and misses by what was looked up (SlateDB's `entry_kind`). */
  readonly byKind: Readonly<Record<'filter' | 'index' | 'data_block', { hits: number; misses: number }>>;
}

interface Slot {
  readonly entry: Cacheable;
  readonly objectId: number;
  readonly index: number;
  ref: boolean;
  live: boolean;
}

/** An LRU by bytes. */
export class BlockCache {
  readonly capacityBytes: number;
  /** Slots of each object by part index (objectId is the array index; ids are never reused). */
  readonly #objects: (Array<Slot | undefined> | undefined)[] = [];
  readonly #objectIds = new Map<string, number>();
  /** Eviction order, oldest at #head. */
  #fifo: Slot[] = [];
  #head = 0;
  #dead = 0;
  #live = 0;
  #nextObjectId = 1;
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  /** Per part kind (filter, index, data block): hits at [k], misses at [k + 3]. */
  readonly #kindCounts = [0, 0, 0, 0, 0, 0];

  /** Requires: a non-negative capacity in bytes. */
  constructor(capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, 'cache capacity must be a byte count');
    this.capacityBytes = capacityBytes;
  }

  /** A small number naming `path` (stable for the cache's life unless the object is forgotten). */
  objectId(path: string): number {
    let id = this.#objectIds.get(path);
    if (id === undefined) {
      id = this.#nextObjectId++;
      this.#objectIds.set(path, id);
    }
    return id;
  }

  /** The cached part, or undefined. */
  get(objectId: number, part: number): Cacheable | undefined {
    const slot = this.#objects[objectId]?.[part + PART_BIAS];
    const kind = part < 0 ? part + PART_BIAS : 2;
    if (slot === undefined) {
      this.#misses++;
      this.#kindCounts[kind + 3]!++;
      return undefined;
    }
    this.#hits++;
    this.#kindCounts[kind]!++;
    slot.ref = true;
    return slot.entry;
  }

  /** Caches a part, evicting least recently used entries to stay within capacity. */
  put(objectId: number, part: number, entry: Cacheable): void {
    assert(
      Number.isInteger(part) && part >= -PART_BIAS && part < MAX_PART,
      () => `part ${part} out of range`,
    );
    assert(
      Number.isInteger(objectId) && objectId > 0,
      () => `object id ${objectId} is not one of this cache's`,
    );
    const index = part + PART_BIAS;
    let slots = this.#objects[objectId];
    if (slots === undefined) {
      slots = [];
      this.#objects[objectId] = slots;
    }
    const old = slots[index];
    if (old !== undefined) this.#kill(old, slots);
    if (entry.byteSize > this.capacityBytes) return;
    const slot: Slot = { entry, objectId, index, ref: false, live: true };
    slots[index] = slot;
    this.#fifo.push(slot);
    this.#live++;
    this.#bytes += entry.byteSize;
    while (this.#bytes > this.capacityBytes) {
      const victim = this.#fifo[this.#head++]!;
      if (!victim.live) {
        this.#dead--;
        continue;
      }
      if (victim.ref) {
        victim.ref = false;
        this.#fifo.push(victim);
      } else {
        this.#live--;
        victim.live = false;
        this.#bytes -= victim.entry.byteSize;
        const vs = this.#objects[victim.objectId];
        if (vs !== undefined && vs[victim.index] === victim) vs[victim.index] = undefined;
      }
    }
    this.#compact();
  }

  /** Drops every part of `path` (after the object is deleted) and forgets its id. */
  evictObject(path: string): void {
    const id = this.#objectIds.get(path);
    if (id === undefined) return;
    const slots = this.#objects[id];
    if (slots !== undefined) {
      for (const s of slots) if (s !== undefined) this.#kill(s, slots);
      this.#objects[id] = undefined;
    }
    this.#objectIds.delete(path);
    this.#compact();
  }

  stats(): BlockCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      entries: this.#live,
      bytes: this.#bytes,
      capacityBytes: this.capacityBytes,
      byKind: {
        filter: { hits: this.#kindCounts[0]!, misses: this.#kindCounts[3]! },
        index: { hits: this.#kindCounts[1]!, misses: this.#kindCounts[4]! },
        data_block: { hits: this.#kindCounts[2]!, misses: this.#kindCounts[5]! },
      },
    };
  }

  /** Marks a live slot dead (it stays in the FIFO until reached or compacted away). */
  #kill(slot: Slot, slots: Array<Slot | undefined>): void {
    slot.live = false;
    slots[slot.index] = undefined;
    this.#bytes -= slot.entry.byteSize;
    this.#live--;
    this.#dead++;
  }

  /** Drops consumed and dead slots from the FIFO once they outweigh the live ones. */
  #compact(): void {
    if (this.#head + this.#dead < 1024 || this.#head + this.#dead < this.#live) return;
    const next: Slot[] = [];
    for (let i = this.#head; i < this.#fifo.length; i++) {
      const s = this.#fifo[i]!;
      if (s.live) next.push(s);
    }
    this.#fifo = next;
    this.#head = 0;
    this.#dead = 0;
  }
}
