/**
 * SipHash-1-3 with a zero key over raw bytes (no length prefix): the hash SlateDB 0.12.1's bloom filter uses
 * (docs/format.md#bloom-filter).
 *
 * Invariants: `sipHash13(key, out)` writes the 64-bit hash as two unsigned 32-bit halves (`out[0]` high,
 * `out[1]` low), equal to Rust's `SipHasher13::new().hash(key)`. Implemented on 32-bit halves so it needs no
 * BigInt and allocates nothing.
 * Concurrency: pure; `out` is the caller's.
 */

/** Hashes `key` into `out` = [high 32 bits, low 32 bits]. */
export function sipHash13(key: Uint8Array, out: Uint32Array): void {
  // v0..v3 = k ^ "somepseudorandomlygeneratedbytes", k = 0; each as (h, l) halves.
  let v0h = 0x736f6d65;
  let v0l = 0x70736575;
  let v1h = 0x646f7261;
  let v1l = 0x6e646f6d;
  let v2h = 0x6c796765;
  let v2l = 0x6e657261;
  let v3h = 0x74656462;
  let v3l = 0x79746573;
  let t = 0;
  let c = 0;

  const len = key.length;
  const whole = len - (len & 7);
  let mh = 0;
  let ml = 0;
  for (let i = 0; i <= whole; i += 8) {
    if (i < whole) {
      ml = (key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24)) >>> 0;
      mh = (key[i + 4]! | (key[i + 5]! << 8) | (key[i + 6]! << 16) | (key[i + 7]! << 24)) >>> 0;
    } else {
      // Last word: the remaining bytes, little-endian, with len & 0xff in the top byte.
      ml = 0;
      mh = (len & 0xff) << 24;
      const rest = len - whole;
      for (let j = 0; j < rest; j++) {
        const b = key[whole + j]!;
        if (j < 4) ml |= b << (8 * j);
        else mh |= b << (8 * (j - 4));
      }
      ml >>>= 0;
      mh >>>= 0;
    }
    v3h ^= mh;
    v3l ^= ml;
    // One SipRound (c = 1).
    // v0 += v1
    t = (v0l + v1l) >>> 0;
    c = t < v0l >>> 0 ? 1 : 0;
    v0l = t;
    v0h = (v0h + v1h + c) >>> 0;
    // v1 = rotl(v1, 13) ^ v0
    t = (v1h << 13) | (v1l >>> 19);
    v1l = ((v1l << 13) | (v1h >>> 19)) ^ v0l;
    v1h = t ^ v0h;
    // v0 = rotl(v0, 32)
    t = v0h;
    v0h = v0l;
    v0l = t;
    // v2 += v3
    t = (v2l + v3l) >>> 0;
    c = t < v2l >>> 0 ? 1 : 0;
    v2l = t;
    v2h = (v2h + v3h + c) >>> 0;
    // v3 = rotl(v3, 16) ^ v2
    t = (v3h << 16) | (v3l >>> 16);
    v3l = ((v3l << 16) | (v3h >>> 16)) ^ v2l;
    v3h = t ^ v2h;
    // v0 += v3
    t = (v0l + (v3l >>> 0)) >>> 0;
    c = t < v0l >>> 0 ? 1 : 0;
    v0l = t;
    v0h = (v0h + (v3h >>> 0) + c) >>> 0;
    // v3 = rotl(v3, 21) ^ v0
    t = (v3h << 21) | (v3l >>> 11);
    v3l = ((v3l << 21) | (v3h >>> 11)) ^ v0l;
    v3h = t ^ v0h;
    // v2 += v1
    t = (v2l + (v1l >>> 0)) >>> 0;
    c = t < v2l >>> 0 ? 1 : 0;
    v2l = t;
    v2h = (v2h + (v1h >>> 0) + c) >>> 0;
    // v1 = rotl(v1, 17) ^ v2
    t = (v1h << 17) | (v1l >>> 15);
    v1l = ((v1l << 17) | (v1h >>> 15)) ^ v2l;
    v1h = t ^ v2h;
    // v2 = rotl(v2, 32)
    t = v2h;
    v2h = v2l;
    v2l = t;
    v0h ^= mh;
    v0l ^= ml;
  }

  v2l ^= 0xff;
  for (let r = 0; r < 3; r++) {
    t = ((v0l >>> 0) + (v1l >>> 0)) >>> 0;
    c = t < v0l >>> 0 ? 1 : 0;
    v0l = t;
    v0h = ((v0h >>> 0) + (v1h >>> 0) + c) >>> 0;
    t = (v1h << 13) | (v1l >>> 19);
    v1l = ((v1l << 13) | (v1h >>> 19)) ^ v0l;
    v1h = t ^ v0h;
    t = v0h;
    v0h = v0l;
    v0l = t;
    t = ((v2l >>> 0) + (v3l >>> 0)) >>> 0;
    c = t < v2l >>> 0 ? 1 : 0;
    v2l = t;
    v2h = ((v2h >>> 0) + (v3h >>> 0) + c) >>> 0;
    t = (v3h << 16) | (v3l >>> 16);
    v3l = ((v3l << 16) | (v3h >>> 16)) ^ v2l;
    v3h = t ^ v2h;
    t = ((v0l >>> 0) + (v3l >>> 0)) >>> 0;
    c = t < v0l >>> 0 ? 1 : 0;
    v0l = t;
    v0h = ((v0h >>> 0) + (v3h >>> 0) + c) >>> 0;
    t = (v3h << 21) | (v3l >>> 11);
    v3l = ((v3l << 21) | (v3h >>> 11)) ^ v0l;
    v3h = t ^ v0h;
    t = ((v2l >>> 0) + (v1l >>> 0)) >>> 0;
    c = t < v2l >>> 0 ? 1 : 0;
    v2l = t;
    v2h = ((v2h >>> 0) + (v1h >>> 0) + c) >>> 0;
    t = (v1h << 17) | (v1l >>> 15);
    v1l = ((v1l << 17) | (v1h >>> 15)) ^ v2l;
    v1h = t ^ v2h;
    t = v2h;
    v2h = v2l;
    v2l = t;
  }
  out[0] = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  out[1] = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}
