/**
 * Tests for the byte helpers: key order, BE integers, varints (including truncation and overflow as data errors).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  compareBytes,
  prefixUpperBound,
  readI64BE,
  readU64BE,
  readVarint,
  sharedPrefixLength,
  varintLength,
  writeI64BE,
  writeU64BE,
  writeVarint,
} from './bytes.js';
import { isDataError } from './errors.js';

test('compareBytes matches Buffer.compare on random inputs', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
      assert.equal(Math.sign(compareBytes(a, b)), Buffer.compare(Buffer.from(a), Buffer.from(b)));
    }),
  );
});

test('sharedPrefixLength and prefixUpperBound', () => {
  assert.equal(sharedPrefixLength(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4)), 2);
  assert.deepEqual(prefixUpperBound(Uint8Array.of(1, 0xff)), Uint8Array.of(2));
  assert.equal(prefixUpperBound(Uint8Array.of(0xff, 0xff)), undefined);
  // A Buffer prefix (whose slice is a view) is never written, and the bound shares no memory with it.
  const buf = Buffer.from([7, 1, 0xff, 9]);
  const prefix = buf.subarray(1, 3);
  const bound = prefixUpperBound(prefix)!;
  assert.deepEqual([...buf], [7, 1, 0xff, 9]);
  assert.deepEqual([...bound], [2]);
  bound[0] = 0x55;
  assert.deepEqual([...buf], [7, 1, 0xff, 9]);
});

test('u64 and i64 big-endian round trips', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (v) => {
      const b = new Uint8Array(8);
      writeU64BE(b, 0, v);
      assert.equal(new DataView(b.buffer).getBigUint64(0), BigInt(v));
      assert.equal(readU64BE(b, 0), v);
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (v) => {
      const b = new Uint8Array(8);
      writeI64BE(b, 0, v);
      assert.equal(new DataView(b.buffer).getBigInt64(0), BigInt(v));
      assert.equal(readI64BE(b, 0), v);
    }),
  );
  const big = new Uint8Array(8).fill(0xff);
  assert.throws(() => readU64BE(big, 0), isDataError);
});

test('varints round trip and reject truncation and overflow', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
      const b = new Uint8Array(5);
      const end = writeVarint(b, 0, v);
      assert.equal(end, varintLength(v));
      const out = { next: 0 };
      assert.equal(readVarint(b, 0, out), v);
      assert.equal(out.next, end);
      assert.throws(() => readVarint(b.subarray(0, end - 1), 0, out), isDataError);
    }),
  );
  assert.throws(() => readVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f), 0, { next: 0 }), isDataError);
  assert.throws(
    () => readVarint(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 0, { next: 0 }),
    isDataError,
  );
});
