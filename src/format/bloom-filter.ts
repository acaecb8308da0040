/**
 * BloomFilter: the raw bloom filter block of compacted-type SSTs, built and probed exactly as SlateDB 0.12.1 does
 * (docs/format.md#bloom-filter).
 *
 * Format: u16 BE num_probes ‖ bit array. Bits = 8 × ceil(rows × bits_per_key / 8), sized from every row added
 * (duplicate keys and tombstones included); probes = floor(bits_per_key × 0.69) in f32. Key hash = SipHash-1-3,
 * zero key; probe i: d = (d + i) mod m, test bit x, x = (x + d) mod m, from x = low32 mod m, d = high32 mod m.
 * Bit b is byte b >> 3, mask 1 << (b & 7).
 * Invariants: never built over zero rows (m = 0 would divide by zero in Rust's query); decoded filters have at
 * least one bit, else they are a data error.
 * Concurrency: a built or decoded filter is immutable; the builder has one owner.
 */
import { assert } from '../util/assert.js';
import { dataError } from '../util/errors.js';
import type { TimeSlice } from '../util/time-slice.js';
import { sipHash13 } from './siphash.js';

/** A key's filter hash as two u32 halves, computed once and probed against many SSTs. */
export interface FilterHash {
  readonly high: number;
  readonly low: number;
}

const scratch = new Uint32Array(2);

/** The filter hash of `key`. */
export function filterHash(key: Uint8Array): FilterHash {
  sipHash13(key, scratch);
  return { high: scratch[0]!, low: scratch[1]! };
}

/** Probes per key for a bits-per-key setting: floor(bpk × 0.69) computed in f32, as Rust does. */
export function probesFor(bitsPerKey: number): number {
  return Math.floor(Math.fround(Math.fround(bitsPerKey) * Math.fround(0.69)));
}

/** Collects key hashes and builds the filter. */
export class BloomFilterBuilder {
  readonly bitsPerKey: number;
  #hashes = new Uint32Array(2048);
  #count = 0;

  constructor(bitsPerKey: number) {
    assert(Number.isInteger(bitsPerKey) && bitsPerKey > 0, 'bits per key must be a positive integer');
    this.bitsPerKey = bitsPerKey;
  }

  /** Rows added. */
  get count(): number {
    return this.#count;
  }

  /** Adds one row's key (call once per row, duplicates included). */
  addKey(key: Uint8Array): void {
    if (2 * this.#count + 2 > this.#hashes.length) {
      const grown = new Uint32Array(this.#hashes.length * 2);
      grown.set(this.#hashes);
      this.#hashes = grown;
    }
    sipHash13(key, scratch);
    this.#hashes[2 * this.#count] = scratch[0]!;
    this.#hashes[2 * this.#count + 1] = scratch[1]!;
    this.#count++;
  }

  /** The encoded filter (u16 probes ‖ bits). Requires: at least one key. */
  build(): Uint8Array {
    const out = this.#alloc();
    this.#fill(out, 0, this.#count);
    return out;
  }

  /** As `build`, yielding to the event loop whenever `slice` is used up (a filter of 10^6 keys takes ~100 ms). */
  async buildAsync(slice: TimeSlice): Promise<Uint8Array> {
    const out = this.#alloc();
    for (let k = 0; k < this.#count; k += KEYS_PER_STEP) {
      this.#fill(out, k, Math.min(this.#count, k + KEYS_PER_STEP));
      if (slice.due) await slice.next();
    }
    return out;
  }

  #alloc(): Uint8Array {
    assert(this.#count > 0, 'a bloom filter needs at least one key');
    const probes = probesFor(this.bitsPerKey);
    const out = new Uint8Array(2 + Math.ceil((this.#count * this.bitsPerKey) / 8));
    out[0] = probes >>> 8;
    out[1] = probes & 0xff;
    return out;
  }

  /** Sets the bits of keys [from, to) in `out` (made by #alloc). */
  #fill(out: Uint8Array, from: number, to: number): void {
    const probes = (out[0]! << 8) | out[1]!;
    const bits = out.subarray(2);
    const m = bits.length * 8;
    const h = this.#hashes;
    for (let k = from; k < to; k++) {
      let x = h[2 * k + 1]! % m;
      let d = h[2 * k]! % m;
      for (let i = 0; i < probes; i++) {
        d += i;
        if (d >= m) d %= m; // (d + i) % m without a division in the common case
        bits[x >>> 3]! |= 1 << (x & 7);
        x += d;
        if (x >= m) x -= m; // both were < m
      }
    }
  }
}

/** Keys whose bits are set between two looks at the time slice. */
const KEYS_PER_STEP = 8192;

/** A decoded filter. */
export class BloomFilter {
  readonly probes: number;
  readonly bits: Uint8Array;
  readonly #m: number;

  constructor(probes: number, bits: Uint8Array) {
    this.probes = probes;
    this.bits = bits;
    this.#m = bits.length * 8;
  }

  /** Decodes a filter block (after checksum and decompression). */
  static decode(raw: Uint8Array, where: string): BloomFilter {
    if (raw.length < 3)
      throw dataError('INVALID_FORMAT', `${where}: filter of ${raw.length} bytes has no bits`);
    return new BloomFilter((raw[0]! << 8) | raw[1]!, raw.subarray(2));
  }

  /** Memory held, for cache accounting. */
  get byteSize(): number {
    return this.bits.byteLength + 32;
  }

  /** False when the key is certainly absent. */
  mayContainHash(hash: FilterHash): boolean {
    return this.#probe(hash.high, hash.low);
  }

  /** False when `key` is certainly absent. */
  mayContain(key: Uint8Array): boolean {
    sipHash13(key, scratch);
    return this.#probe(scratch[0]!, scratch[1]!);
  }

  #probe(high: number, low: number): boolean {
    const m = this.#m;
    const bits = this.bits;
    let x = low % m;
    let d = high % m;
    for (let i = 0; i < this.probes; i++) {
      d += i;
      if (d >= m) d %= m; // (d + i) % m without a division in the common case
      if ((bits[x >>> 3]! & (1 << (x & 7))) === 0) return false;
      x += d;
      if (x >= m) x -= m; // both were < m
    }
    return true;
  }
}
