/**
 * Block codecs: round trips through every codec, the framing 0.12.1 uses (raw snappy with a varint length, LZ4
 * with a u32 little-endian size prefix, a zlib stream at level 6, one zstd frame with its content size), and
 * damaged input giving data errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fcParams } from '../../test/support/format-arbitraries.js';
import { isDataError } from '../util/errors.js';
import {
  COMPRESSION_CODECS,
  codecFromEnum,
  codecToEnum,
  compressBlock,
  decompressBlock,
} from './compression.js';

const sample = new TextEncoder().encode('row-'.repeat(1024));

test('every codec round trips random and repetitive data', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), fc.constantFrom(...COMPRESSION_CODECS), (data, codec) => {
      assert.deepEqual(decompressBlock(codec, compressBlock(codec, data), 't'), data);
    }),
    fcParams('codec round trip', 300),
  );
  for (const codec of COMPRESSION_CODECS) {
    assert.deepEqual(decompressBlock(codec, compressBlock(codec, sample), 't'), sample);
  }
});

test('framing matches 0.12.1', () => {
  const snappy = compressBlock('snappy', sample);
  assert.deepEqual([...snappy.subarray(0, 2)], [0x80, 0x20]); // varint 4096, no stream identifier
  const lz4 = compressBlock('lz4', sample);
  assert.deepEqual([...lz4.subarray(0, 4)], [0x00, 0x10, 0x00, 0x00]); // u32 LE 4096
  const zlib = compressBlock('zlib', sample);
  assert.deepEqual([...zlib.subarray(0, 2)], [0x78, 0x9c]);
  const zstd = compressBlock('zstd', sample);
  assert.deepEqual([...zstd.subarray(0, 5)], [0x28, 0xb5, 0x2f, 0xfd, 0x60]); // magic, single segment, 2-byte size
});

test('codec enum values and unknown values read as none', () => {
  assert.deepEqual(COMPRESSION_CODECS.map(codecToEnum), [0, 1, 2, 3, 4]);
  assert.equal(codecFromEnum(9), 'none');
});

test('damaged compressed blocks are data errors', () => {
  for (const codec of COMPRESSION_CODECS.filter((c) => c !== 'none')) {
    const good = compressBlock(codec, sample);
    // An empty zstd input is an empty output (as in Rust's decode_all); the empty block then fails to decode.
    for (const n of codec === 'zstd'
      ? [1, 3, Math.floor(good.length / 2)]
      : [0, 1, 3, Math.floor(good.length / 2)]) {
      assert.throws(
        () => decompressBlock(codec, good.subarray(0, n), codec),
        isDataError,
        `${codec} cut ${n}`,
      );
    }
    const garbage = Uint8Array.from(good, (b, i) => (i < 4 ? b : b ^ 0x5a));
    try {
      decompressBlock(codec, garbage, codec);
    } catch (e) {
      assert.ok(isDataError(e), `${codec}: ${e}`);
    }
  }
  const lying = Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 0x00);
  assert.throws(() => decompressBlock('lz4', lying, 'lz4'), isDataError);
});
