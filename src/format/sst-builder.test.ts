/**
 * SST builders: the spec's golden WAL SST (one put, 189 bytes) and writer fence (114 bytes), the layout rules
 * (filter only at min_filter_keys rows, filter offset = end of data even without a filter, stats block only in
 * compacted SSTs, WAL index keys as BE seqs, compacted index keys by the prefix rule), row-order assertions,
 * and chunked output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, readU64BE, toHex } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { TimeSlice } from '../util/time-slice.js';
import type { RowEntry } from './row.js';
import { encodeFenceSst, SstBuilder, sstBytes, WalSstBuilder } from './sst-builder.js';
import { unframePart } from './sst-framing.js';
import { indexKey, SstIndex } from './sst-index.js';
import { decodeSstStats } from './sst-stats.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const put = (key: string, value: string, seq: number, createTs = 1_795_338_717_526): RowEntry => ({
  key: utf8(key),
  value: utf8(value),
  seq,
  kind: 'value',
  createTs,
  expireTs: undefined,
});

const GOLDEN_WAL =
  '000502663030303041300000000000000001040000' +
  '01a20286c95600000001' +
  '0aa0995b' +
  '0c00000000000600080004000600000004000000010000000c00000008000800000004000800000004000000080000000000000000000001' +
  'e28086d4' +
  '1c0000000000000000001200280008000c0014001c0000000000070012000000000000012000000023000000000000003c0000000000000023' +
  '0000000000000000000000080000000000000000000001' +
  '7512dd49' +
  '000000000000005f0002';

const GOLDEN_FENCE =
  '0c0000000000060008000400060000000400000000000000177e6f0a' +
  '080000000400040004000000ed606b2a' +
  '1c00000018001c00000000000400000000000000000000000c001400180000001c000000000000001c000000000000001000000000000000' +
  '64413efa' +
  '000000000000002c0002';

test("golden: a WAL SST holding one put is the spec's 189 bytes", () => {
  const b = new WalSstBuilder();
  b.add(put('f0000', 'A0', 1));
  const sst = b.finish();
  assert.equal(sst.size, 189);
  assert.equal(toHex(sstBytes(sst)), toHex(fromHex(GOLDEN_WAL)));
  assert.equal(sst.info.sstType, 'wal');
  assert.equal(toHex(sst.info.firstEntry!), '0000000000000001');
});

test('golden: the writer fence is an empty 114-byte SST', () => {
  assert.equal(toHex(encodeFenceSst()), toHex(fromHex(GOLDEN_FENCE)));
  for (const codec of ['snappy', 'zlib', 'lz4', 'zstd'] as const) {
    const n = encodeFenceSst(codec).length;
    assert.ok(n >= 114 && n <= 140, `${codec} fence is ${n} bytes`);
  }
});

test('index keys follow the prefix rule', () => {
  assert.equal(indexKey(undefined, utf8('abc')).length, 0);
  assert.deepEqual(indexKey(utf8('abc'), utf8('abd')), utf8('abd'));
  assert.deepEqual(indexKey(utf8('abc'), utf8('b')), utf8('b'));
  assert.deepEqual(indexKey(utf8('abcz'), utf8('abd')), utf8('abd'));
  assert.deepEqual(indexKey(utf8('ab'), utf8('abxyz')), utf8('abx'));
  assert.deepEqual(indexKey(utf8('same'), utf8('same')), utf8('same'));
  assert.deepEqual(indexKey(utf8('k00001'), utf8('k00002xyz')), utf8('k00002'));
});

function build(
  rows: RowEntry[],
  minFilterKeys: number,
  blockSize = 256,
): { bytes: Uint8Array; b: SstBuilder } {
  const b = new SstBuilder({ blockSize, minFilterKeys });
  for (const r of rows) b.add(r);
  return { bytes: sstBytes(b.finish()), b };
}

test('compacted layout: filter threshold, filter offset, stats, index', () => {
  const rows = Array.from({ length: 50 }, (_, i) =>
    put(`key${String(i).padStart(4, '0')}`, 'v'.repeat(20), 100 - i),
  );
  for (const minFilterKeys of [10, 1000]) {
    const b = new SstBuilder({ blockSize: 256, minFilterKeys });
    for (const r of rows) b.add(r);
    const sst = b.finish();
    const bytes = sstBytes(sst);
    const info = sst.info;
    assert.equal(info.filterLen > 0, minFilterKeys === 10);
    assert.equal(info.indexOffset, info.filterOffset + info.filterLen);
    assert.equal(info.statsOffset, info.indexOffset + info.indexLen);
    assert.equal(readU64BE(bytes, bytes.length - 10), info.statsOffset + info.statsLen);
    const index = SstIndex.decode(
      unframePart('none', bytes.subarray(info.indexOffset, info.indexOffset + info.indexLen), 'i'),
      'i',
    );
    assert.ok(index.blockCount > 3);
    assert.equal(index.keys[0]!.length, 0);
    assert.equal(info.filterOffset, sst.size - (sst.size - info.filterOffset)); // data ends at filterOffset
    const stats = decodeSstStats(
      unframePart('none', bytes.subarray(info.statsOffset, info.statsOffset + info.statsLen), 's'),
      's',
    );
    assert.equal(stats.numPuts, 50);
    assert.equal(stats.rawKeySize, 50 * 7);
    assert.equal(stats.rawValSize, 50 * 20);
    assert.equal(stats.blockStats.length, index.blockCount);
    assert.equal(
      stats.blockStats.reduce((n, s) => n + s.numPuts, 0),
      50,
    );
    assert.deepEqual(info.firstEntry, utf8('key0000'));
    assert.deepEqual(info.lastEntry, utf8('key0049'));
  }
});

test('WAL layout: seq index keys, no filter, no stats', () => {
  const b = new WalSstBuilder({ blockSize: 64 });
  for (let i = 0; i < 20; i++) b.add(put(`k${i}`, 'value', 10 + Math.floor(i / 3)));
  const sst = b.finish();
  const bytes = sstBytes(sst);
  assert.equal(sst.info.filterLen, 0);
  assert.equal(sst.info.statsLen, 0);
  assert.equal(sst.info.statsOffset, 0);
  assert.equal(sst.info.lastEntry, undefined);
  const index = SstIndex.decode(
    unframePart('none', bytes.subarray(sst.info.indexOffset, sst.info.indexOffset + sst.info.indexLen), 'i'),
    'i',
  );
  assert.equal(toHex(index.keys[0]!), '000000000000000a');
  for (const k of index.keys) assert.equal(k.length, 8);
});

test('out-of-order rows are a bug (assert)', () => {
  const b = new SstBuilder();
  b.add(put('b', 'x', 2));
  assert.throws(
    () => b.add(put('a', 'x', 3)),
    (e) => isShaleDBError(e, 'internal'),
  );
  assert.throws(
    () => b.add(put('b', 'x', 2)),
    (e) => isShaleDBError(e, 'internal'),
  );
  const w = new WalSstBuilder();
  w.add(put('z', 'x', 5));
  assert.throws(
    () => w.add(put('a', 'x', 4)),
    (e) => isShaleDBError(e, 'internal'),
  );
});

test('takeChunks streams finished blocks; the chunks concatenate to the same object', () => {
  const rows = Array.from({ length: 300 }, (_, i) =>
    put(`key${String(i).padStart(4, '0')}`, 'v'.repeat(30), 1),
  );
  const whole = build(rows, 1000).bytes;
  const b = new SstBuilder({ blockSize: 256 });
  const parts: Uint8Array[] = [];
  let finished = 0;
  for (const r of rows) {
    const n = b.add(r);
    if (n !== undefined) finished += n;
    if (b.rowCount % 50 === 0) parts.push(...b.takeChunks());
  }
  assert.equal(finished, b.finishedBlockBytes);
  assert.ok(b.estimatedSize() > b.finishedBlockBytes);
  const sst = b.finish();
  parts.push(...sst.chunks);
  assert.equal(toHex(sstBytes({ ...sst, chunks: parts })), toHex(whole));
});

test('finishAsync builds the same bytes as finish, yielding to the event loop while it builds the filter', async () => {
  const rows: RowEntry[] = [];
  for (let i = 0; i < 50_000; i++) rows.push(put(`key${String(i).padStart(8, '0')}`, `v${i}`, i + 1));
  const sync = new SstBuilder();
  const sliced = new SstBuilder();
  for (const r of rows) {
    sync.add(r);
    sliced.add(r);
  }
  let turns = 0;
  const tick = (): void => {
    turns++;
    if (turns < 1000) setImmediate(tick);
  };
  setImmediate(tick);
  // A slice of 0 ms is always used up, so every step of the filter build yields.
  const before = turns;
  const a = await sliced.finishAsync(new TimeSlice(0));
  assert.ok(turns - before >= 2, `the event loop ran ${turns - before} times during the build`);
  assert.deepEqual(sstBytes(a), sstBytes(sync.finish()));
});
