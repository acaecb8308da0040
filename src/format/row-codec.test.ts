/**
 * Row codecs V2 and V0: golden bytes (the spec's WAL block entry; SlateDB's own V0 snapshot vectors at fce6ed00,
 * slatedb/testdata/snapshots/*row*), flag validation, and round trips over random rows with every legal flag
 * combination, empty values and 65,535-byte keys.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fcParams, plainRow, rowArb } from '../../test/support/format-arbitraries.js';
import { fromHex, toHex } from '../util/bytes.js';
import { isDataError } from '../util/errors.js';
import type { RowEntry } from './row.js';
import { decodeRowV0, encodeRowV0, rowV0Size } from './row-codec-v0.js';
import { encodeRowV2, kindOfFlags, RowV2Decoder, rowFlags, rowV2Size } from './row-codec-v2.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function row(
  key: string | Uint8Array,
  kind: RowEntry['kind'],
  value: string,
  seq: number,
  createTs?: number,
  expireTs?: number,
): RowEntry {
  return {
    key: typeof key === 'string' ? utf8(key) : key,
    value: kind === 'tombstone' ? new Uint8Array(0) : utf8(value),
    seq,
    kind,
    createTs,
    expireTs,
  };
}

function encodeV2(r: RowEntry, shared = 0): Uint8Array {
  const out = new Uint8Array(rowV2Size(r, shared));
  assert.equal(encodeRowV2(out, 0, r, shared), out.length);
  return out;
}

function decodeV2(buf: Uint8Array, prevKey?: Uint8Array): RowEntry {
  const d = new RowV2Decoder();
  if (prevKey !== undefined) {
    // Seed the previous key by decoding a restart entry holding it.
    const seed = encodeV2(row(prevKey, 'value', '', 0));
    d.parse(seed, 0, seed.length, 'seed');
  }
  d.parse(buf, 0, buf.length, 'test');
  const r = d.materialize(buf, 'test');
  assert.equal(d.entryEnd, buf.length);
  return r;
}

test('V2 golden: the one-put WAL entry from the spec', () => {
  const r = row('f0000', 'value', 'A0', 1, 1795338717526);
  const bytes = encodeV2(r);
  assert.equal(toHex(bytes), '000502663030303041300000000000000001040000' + '01a20286c956');
  assert.deepEqual(plainRow(decodeV2(bytes)), plainRow(r));
});

test('V2 flags: value 4, tombstone 5, TTL value 6, merge 12', () => {
  assert.equal(rowFlags(row('k', 'value', 'v', 1, 5)), 4);
  assert.equal(rowFlags(row('k', 'tombstone', '', 1, 5)), 5);
  assert.equal(rowFlags(row('k', 'value', 'v', 1, 5, 9)), 6);
  assert.equal(rowFlags(row('k', 'merge', 'v', 1, 5)), 12);
  assert.throws(() => kindOfFlags(0x10, 'x'), isDataError);
  assert.throws(() => kindOfFlags(0x09, 'x'), isDataError);
  for (const f of [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14]) assert.doesNotThrow(() => kindOfFlags(f, 'x'));
});

test('V2 tombstones store no value and an empty value is not a tombstone', () => {
  const t = encodeV2(row('key', 'tombstone', '', 3, 7));
  assert.equal(t[2], 0); // value_len
  const empty = decodeV2(encodeV2(row('key', 'value', '', 3, 7)));
  assert.equal(empty.kind, 'value');
  assert.equal(empty.value.length, 0);
});

test('V2 prefix-shared keys decode against the previous key', () => {
  const r = row('prefix-b', 'value', 'v', 9, 1);
  const bytes = encodeV2(r, 7);
  assert.equal(bytes[0], 7);
  assert.deepEqual(plainRow(decodeV2(bytes, utf8('prefix-a'))), plainRow(r));
  assert.throws(() => decodeV2(bytes), isDataError); // shares more than the (empty) previous key
});

test('V2 decoding damaged entries gives data errors', () => {
  const good = encodeV2(row('abc', 'value', 'xyz', 1, 2, 3));
  for (let n = 0; n < good.length; n++) assert.throws(() => decodeV2(good.subarray(0, n)), isDataError);
  const badFlags = good.slice();
  badFlags[good.length - 17] = 0x19;
  assert.throws(() => decodeV2(badFlags), isDataError);
  const hugeSeq = good.slice();
  hugeSeq[good.length - 25] = 0xff;
  assert.throws(() => decodeV2(hugeSeq), isDataError);
});

test('V2 round trip over random rows (every flag combination, 65,535-byte keys, empty values)', () => {
  const keys = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 40 }),
    fc.constant(new Uint8Array(65_535).fill(7)),
  );
  fc.assert(
    fc.property(rowArb(keys, 300), fc.nat(), (r, s) => {
      const shared = r.key.length > 1 ? s % r.key.length : 0;
      const bytes = encodeV2(r, shared);
      const got = decodeV2(bytes, shared > 0 ? r.key.subarray(0, shared) : undefined);
      assert.deepEqual(plainRow(got), plainRow(r));
    }),
    fcParams('row V2 round trip', 300),
  );
});

// SlateDB's V0 snapshots (testdata/snapshots/slatedb__format__row__tests__*.snap) whose text is lossless.
const V0_GOLDEN: Array<{ name: string; hex: string; first: string; row: RowEntry }> = [
  {
    name: 'normal row without expire_ts',
    hex: '000000036b65790000000000000001000000000576616c7565',
    first: '',
    row: row('key', 'value', 'value', 1),
  },
  {
    name: 'normal row with expire_ts',
    hex: '000300036b6579000000000000000102000000000000000a0000000576616c7565',
    first: 'prekey',
    row: row('prekey', 'value', 'value', 1, undefined, 10),
  },
  {
    name: 'empty key suffix',
    hex: '000400000000000000000001000000000576616c7565',
    first: 'keyp',
    row: row('keyp', 'value', 'value', 1),
  },
  {
    name: 'tombstone row (its expire_ts is dropped on read)',
    hex: '00040004746f6d6200000000000000010700000000000000010000000000000002',
    first: 'deadtomb',
    row: row('deadtomb', 'tombstone', '', 1, 2),
  },
  {
    name: 'unicode key suffix',
    hex: '0003000ce4bda0e5a5bde4b896e7958c0000000000000001000000000576616c7565',
    first: 'uni你好世界',
    row: row('uni你好世界', 'value', 'value', 1),
  },
  {
    name: 'long key suffix',
    hex: `00020064${'6b'.repeat(100)}0000000000000001000000000576616c7565`,
    first: `lo${'k'.repeat(100)}`,
    row: row(`lo${'k'.repeat(100)}`, 'value', 'value', 1),
  },
];

test('V0 golden vectors from SlateDB decode exactly', () => {
  for (const g of V0_GOLDEN) {
    const bytes = fromHex(g.hex);
    const prefix = bytes[1]!;
    const firstKey = utf8(g.first);
    const got = decodeRowV0(bytes, 0, bytes.length, prefix > 0 ? firstKey : undefined, g.name);
    assert.deepEqual(plainRow(got), plainRow(g.row), g.name);
    if (g.row.kind !== 'tombstone') {
      const out = new Uint8Array(rowV0Size(g.row, prefix));
      encodeRowV0(out, 0, g.row, prefix);
      assert.equal(toHex(out), g.hex, g.name);
    }
  }
});

test('V0 round trip and truncation', () => {
  fc.assert(
    fc.property(rowArb(fc.uint8Array({ minLength: 1, maxLength: 30 }), 100), (r) => {
      const out = new Uint8Array(rowV0Size(r, 0));
      assert.equal(encodeRowV0(out, 0, r, 0), out.length);
      const got = decodeRowV0(out, 0, out.length, undefined, 't');
      const want = r.kind === 'tombstone' ? { ...r, expireTs: undefined } : r;
      assert.deepEqual(plainRow(got), plainRow(want));
      for (let n = 0; n < out.length; n += 3) {
        assert.throws(() => decodeRowV0(out, 0, n, undefined, 't'), isDataError);
      }
    }),
    fcParams('row V0 round trip', 200),
  );
});
