/**
 * Rand: the only source of randomness in ShaleDB. Tests pass a SeededRand and print the seed; production uses
 * systemRand (crypto-strength, for ids that must not collide across processes).
 *
 * Invariants: `nextU32` returns an integer in [0, 2^32). A SeededRand with the same seed yields the same stream.
 * Concurrency: not shared across workers; safe on the event loop.
 */
import { randomFillSync } from 'node:crypto';

/** A source of random numbers. */
export interface Rand {
  /** Uniform integer in [0, 2^32). */
  nextU32(): number;
  /** Uniform float in [0, 1). */
  nextFloat(): number;
  /** Uniform integer in [0, n) for 0 < n <= 2^32. */
  nextInt(n: number): number;
  /** Fills `out` with random bytes and returns it. */
  fillBytes(out: Uint8Array): Uint8Array;
}

abstract class RandBase implements Rand {
  abstract nextU32(): number;

  nextFloat(): number {
    // 53 random bits.
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  fillBytes(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      let x = this.nextU32();
      for (let j = i; j < Math.min(i + 4, out.length); j++) {
        out[j] = x & 0xff;
        x >>>= 8;
      }
    }
    return out;
  }
}

/** Deterministic xoshiro128** seeded through splitmix32. */
export class SeededRand extends RandBase {
  readonly seed: number;
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    super();
    this.seed = seed >>> 0;
    let x = this.seed;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Crypto-strength randomness, buffered to keep the per-call cost low. */
class SystemRand extends RandBase {
  #buf = new Uint32Array(1024);
  #pos = 1024;

  nextU32(): number {
    if (this.#pos === this.#buf.length) {
      randomFillSync(this.#buf);
      this.#pos = 0;
    }
    return this.#buf[this.#pos++]!;
  }

  override fillBytes(out: Uint8Array): Uint8Array {
    return randomFillSync(out);
  }
}

/** The process-wide crypto-strength source. */
export const systemRand: Rand = new SystemRand();

/** A seed for a randomized test: SHALEDB_SEED if set, else a fresh random one. Print it. */
export function testSeed(): number {
  const env = process.env['SHALEDB_SEED'];
  if (env !== undefined && env !== '') return Number(env) >>> 0;
  return systemRand.nextU32();
}
