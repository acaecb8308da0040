/**
 * BenchData: the keys, values and random operation streams every engine sees, derived from one seed so that each
 * engine gets the same keys, values and order.
 *
 * Keys are 16 bytes: fmix32(i ^ seed) ‖ i ‖ fmix32(i + 1) ‖ fmix32(i + 2), big-endian. The first word spreads
 * consecutive indices across the key space (inserting i = 0, 1, 2, ... is a random-order insert), and the second
 * word makes the map from index to key a bijection. Values are slices of a seeded random pool: incompressible, so
 * no engine's compression is flattered. Keys are fresh buffers (engines may keep them); values are read-only
 * views of the pool.
 *
 * Invariants: key(i) is unique per i; value(i, size) has length `size` and is the same for every engine.
 * Concurrency: single event loop; streams are not shared.
 */
import { SeededRand } from '../../src/util/random.js';

/** Key length used by every workload. */
export const KEY_BYTES = 16;

const POOL_BYTES = 1 << 20;

/** Murmur3's 32-bit finaliser: a bijection on 32-bit integers. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The deterministic data set of one run. */
export class BenchData {
  readonly seed: number;
  readonly #pool: Buffer;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    const rand = new SeededRand(this.seed);
    this.#pool = Buffer.from(rand.fillBytes(new Uint8Array(POOL_BYTES + 4096)));
  }

  /** The key of index `i` (a fresh 16-byte buffer). */
  key(i: number): Buffer {
    const k = Buffer.allocUnsafe(KEY_BYTES);
    k.writeUInt32BE(fmix32((i ^ this.seed) >>> 0), 0);
    k.writeUInt32BE(i >>> 0, 4);
    k.writeUInt32BE(fmix32((i + 1) >>> 0), 8);
    k.writeUInt32BE(fmix32((i + 2) >>> 0), 12);
    return k;
  }

  /** The index a key was made from. */
  indexOf(key: Uint8Array): number {
    return ((key[4]! << 24) | (key[5]! << 16) | (key[6]! << 8) | key[7]!) >>> 0;
  }

  /** The value of index `i` with `size` bytes (a read-only view; do not mutate). */
  value(i: number, size: number): Buffer {
    const off = fmix32((i * 2654435761) >>> 0) % (POOL_BYTES - size);
    return this.#pool.subarray(off, off + size);
  }

  /** True when `v` is exactly value(i, size). */
  checkValue(i: number, size: number, v: Uint8Array | undefined): boolean {
    if (v === undefined || v.length !== size) return false;
    const want = this.value(i, size);
    return v[0] === want[0] && v[size >> 1] === want[size >> 1] && v[size - 1] === want[size - 1];
  }

  /** A stream of random numbers, the same for every engine of a cell (`stream` separates independent uses). */
  rand(stream: number): SeededRand {
    return new SeededRand((this.seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
  }
}
