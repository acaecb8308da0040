/**
 * Bloom filter: SipHash-1-3 against the spec's vectors and a BigInt reference implementation, the spec's probe
 * vectors, sizing from every row (duplicates included), probes = floor(bpk × 0.69), no false negatives, and a
 * false-positive rate near theory.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fcParams } from '../../test/support/format-arbitraries.js';
import { isDataError } from '../util/errors.js';
import { BloomFilter, BloomFilterBuilder, filterHash, probesFor } from './bloom-filter.js';
import { sipHash13 } from './siphash.js';

const M = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M;

/** Straightforward SipHash-1-3 (zero key) on BigInt, as a reference. */
function refSip13(data: Uint8Array): bigint {
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const words = Math.floor(data.length / 8);
  for (let w = 0; w <= words; w++) {
    let m = 0n;
    if (w < words) for (let i = 7; i >= 0; i--) m = (m << 8n) | BigInt(data[w * 8 + i]!);
    else {
      m = BigInt(data.length & 0xff) << 56n;
      for (let i = data.length - 1; i >= words * 8; i--) m |= BigInt(data[i]!) << BigInt(8 * (i - words * 8));
    }
    v3 ^= m;
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

function hash64(key: Uint8Array): bigint {
  const out = new Uint32Array(2);
  sipHash13(key, out);
  return (BigInt(out[0]!) << 32n) | BigInt(out[1]!);
}

test('SipHash-1-3 matches the spec vectors and a reference implementation', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.equal(hash64(enc('')), 0xd1fba762150c532cn);
  assert.equal(hash64(enc('a')), 0x407448d2b89b1813n);
  assert.equal(hash64(enc('key000000')), 0xadd38e997335cd23n);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70 }), (k) => assert.equal(hash64(k), refSip13(k))),
    fcParams('siphash reference', 500),
  );
});

function probes(key: string, m: number, k: number): number[] {
  const h = filterHash(new TextEncoder().encode(key));
  const out: number[] = [];
  let x = h.low % m;
  let d = h.high % m;
  for (let i = 0; i < k; i++) {
    d = (d + i) % m;
    out.push(x);
    x = (x + d) % m;
  }
  return out;
}

test('probe positions match the spec (m = 15032, k = 6)', () => {
  assert.deepEqual(probes('a', 15032, 6), [8771, 14429, 5056, 10717, 1349, 7017]);
  assert.deepEqual(probes('key000000', 15032, 6), [1011, 10756, 5470, 186, 9937, 4660]);
});

test('sizing and probes: 1503 rows at 10 bits/key give 1879 bytes and 6 probes', () => {
  assert.equal(probesFor(10), 6);
  assert.equal(probesFor(1), 0);
  assert.equal(probesFor(15), 10);
  const b = new BloomFilterBuilder(10);
  for (let i = 0; i < 1503; i++) b.addKey(new TextEncoder().encode(`key${i % 700}`));
  const raw = b.build();
  assert.equal(raw.length, 2 + 1879);
  assert.deepEqual([...raw.subarray(0, 2)], [0, 6]);
  // Setting a bit: byte b >> 3, mask 1 << (b & 7).
  const one = new BloomFilterBuilder(10);
  one.addKey(new TextEncoder().encode('a'));
  const f = one.build();
  const m = (f.length - 2) * 8;
  for (const p of probes('a', m, 6)) assert.ok((f[2 + (p >> 3)]! & (1 << (p & 7))) !== 0);
});

test('no false negatives; false positives near theory', () => {
  const b = new BloomFilterBuilder(10);
  const n = 20_000;
  for (let i = 0; i < n; i++) b.addKey(new TextEncoder().encode(`present-${i}`));
  const f = BloomFilter.decode(b.build(), 'filter');
  for (let i = 0; i < n; i++) assert.ok(f.mayContain(new TextEncoder().encode(`present-${i}`)));
  let fp = 0;
  for (let i = 0; i < n; i++) if (f.mayContain(new TextEncoder().encode(`absent-${i}`))) fp++;
  assert.ok(fp / n < 0.02, `false-positive rate ${fp / n}`);
  assert.ok(f.mayContainHash(filterHash(new TextEncoder().encode('present-7'))));
});

test('a filter without bits is a data error', () => {
  assert.throws(() => BloomFilter.decode(Uint8Array.of(0, 6), 'f'), isDataError);
});
