/**
 * SstReader and SstIterator over SSTs built by SstBuilder in a memory store: every codec, block sizes 1 B to
 * 64 KiB, V1 and V2 blocks. Checks point lookups (all versions, newest first, through filter and index),
 * ascending and descending scans over random ranges (versions straddling blocks), seeks, synchronous answers
 * once cached, fetching only the needed blocks, read-ahead batching, WAL SSTs read whole, and damaged objects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  fcParams,
  plainRow,
  smallKeyArb,
  sortedRowsArb,
  walRowsArb,
} from '../../test/support/format-arbitraries.js';
import { turnCounter } from '../../test/support/wait.js';
import { CountingObjectStore } from '../object-store/counting-store.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { compareBytes, equalBytes } from '../util/bytes.js';
import { isDataError } from '../util/errors.js';
import { BlockCache } from './block-cache.js';
import { COMPRESSION_CODECS, type CompressionCodec } from './compression.js';
import { makeRow, type RowEntry } from './row.js';
import { collectRows, type KeyRange } from './row-iterator.js';
import { SstBuilder, type SstBuilderOptions, sstBytes, WalSstBuilder } from './sst-builder.js';
import { SstReader } from './sst-reader.js';

async function put(
  rows: readonly RowEntry[],
  options: SstBuilderOptions,
  path = 'sst',
): Promise<MemoryObjectStore> {
  const b = new SstBuilder(options);
  for (const r of rows) b.add(r);
  const store = new MemoryObjectStore();
  await store.put(path, sstBytes(b.finish()));
  return store;
}

function inRange(key: Uint8Array, r: KeyRange): boolean {
  if (r.start !== undefined) {
    const c = compareBytes(key, r.start);
    if (c < 0 || (c === 0 && r.startInclusive === false)) return false;
  }
  if (r.end !== undefined) {
    const c = compareBytes(key, r.end);
    if (c > 0 || (c === 0 && r.endInclusive !== true)) return false;
  }
  return true;
}

/** Descending order: key descending, versions newest first. */
function descOrder(rows: readonly RowEntry[]): RowEntry[] {
  return [...rows].sort((a, b) => compareBytes(b.key, a.key) || b.seq - a.seq);
}

const rangeArb: fc.Arbitrary<KeyRange> = fc.record(
  {
    start: smallKeyArb,
    startInclusive: fc.boolean(),
    end: smallKeyArb,
    endInclusive: fc.boolean(),
  },
  { requiredKeys: [] },
);

test('scans, seeks and lookups agree with the rows (every codec, block sizes 1 B - 64 KiB, V1 and V2)', async () => {
  await fc.assert(
    fc.asyncProperty(
      sortedRowsArb({ maxRows: 150, maxValue: 120 }),
      fc.constantFrom(...COMPRESSION_CODECS),
      fc.constantFrom(1, 64, 1024, 4096, 65_536),
      fc.constantFrom(1, 2),
      fc.array(rangeArb, { maxLength: 4 }),
      fc.array(smallKeyArb, { maxLength: 6 }),
      fc.boolean(),
      async (rows, codec, blockSize, formatVersion, ranges, probes, cached) => {
        const store = await put(rows, { compression: codec, blockSize, minFilterKeys: 10, formatVersion });
        const cache = cached ? new BlockCache(1 << 20) : undefined;
        const r = await SstReader.open(store, 'sst', { blockCache: cache, readAheadBytes: 512 });
        assert.equal(r.blockVersion, formatVersion);
        // V1 (row codec V0) drops a tombstone's expire_ts on read, as 0.12.1 does.
        const want = rows
          .map(plainRow)
          .map((x) => (formatVersion === 1 && x.kind === 'tombstone' ? { ...x, expireTs: undefined } : x));
        assert.deepEqual((await collectRows(r.iter())).map(plainRow), want);
        assert.deepEqual((await collectRows(r.iter({}, { order: 'desc' }))).map(plainRow), descOrder(want));
        for (const range of ranges) {
          const sel = want.filter((x) => inRange(x.key, range));
          assert.deepEqual((await collectRows(r.iter(range))).map(plainRow), sel);
          assert.deepEqual(
            (await collectRows(r.iter(range, { order: 'desc' }))).map(plainRow),
            descOrder(sel),
          );
        }
        for (const k of [...probes, ...rows.slice(0, 5).map((x) => x.key)]) {
          let got = r.get(k);
          if (got instanceof Promise) got = await got;
          assert.deepEqual(
            got.map(plainRow),
            want.filter((x) => equalBytes(x.key, k)),
          );
          const asc = r.iter();
          await asc.seek(k);
          const first = await asc.next();
          assert.deepEqual(
            first && plainRow(first),
            want.find((x) => compareBytes(x.key, k) >= 0),
          );
          const desc = r.iter({}, { order: 'desc' });
          await desc.seek(k);
          const last = await desc.next();
          assert.deepEqual(
            last && plainRow(last),
            descOrder(want).find((x) => compareBytes(x.key, k) <= 0),
          );
        }
      },
    ),
    fcParams('sst reader', 120),
  );
});

test('versions of one key straddling many blocks come back newest first both ways', async () => {
  const rows: RowEntry[] = [];
  for (const k of ['a', 'b', 'c']) {
    for (let s = 40; s > 0; s--) {
      rows.push({
        key: Buffer.from(k),
        value: Buffer.from(`v${s}`),
        seq: s,
        kind: 'value',
        createTs: 1,
        expireTs: undefined,
      });
    }
  }
  const store = await put(rows, { blockSize: 64 });
  const r = await SstReader.open(store, 'sst');
  const got = await r.get(Buffer.from('b'));
  assert.deepEqual(
    got.map((x) => x.seq),
    Array.from({ length: 40 }, (_, i) => 40 - i),
  );
  const desc = await collectRows(r.iter({}, { order: 'desc' }));
  assert.deepEqual(desc.map(plainRow), descOrder(rows).map(plainRow));
});

test('cached lookups answer synchronously', async () => {
  const rows = Array.from(
    { length: 2000 },
    (_, i): RowEntry => ({
      key: Buffer.from(`key${String(i).padStart(5, '0')}`),
      value: Buffer.from('value'),
      seq: i + 1,
      kind: 'value',
      createTs: 1,
      expireTs: undefined,
    }),
  );
  const store = await put(rows, {});
  const cache = new BlockCache(8 << 20);
  const r = await SstReader.open(store, 'sst', { blockCache: cache });
  const key = Buffer.from('key01234');
  const first = r.get(key);
  assert.ok(first instanceof Promise);
  assert.equal((await first).length, 1);
  const again = r.get(key);
  assert.ok(!(again instanceof Promise));
  assert.equal(again[0]!.seq, 1235);
  const absent = r.get(Buffer.from('nope'));
  assert.ok(!(absent instanceof Promise) && absent.length === 0);
  // A second reader of the same object shares the cache.
  const r2 = await SstReader.open(store, 'sst', { blockCache: cache });
  const shared = r2.get(key);
  assert.ok(!(shared instanceof Promise) && shared.length === 1);
  const it = r2.iter({ start: key, end: Buffer.from('key01235'), endInclusive: true });
  const row = it.next();
  assert.ok(!(row instanceof Promise));
  assert.ok(cache.stats().hits > 0);
});

test('a range scan fetches only its blocks, in growing batches', async () => {
  const rows = Array.from(
    { length: 5000 },
    (_, i): RowEntry => ({
      key: Buffer.from(`key${String(i).padStart(5, '0')}`),
      value: Buffer.alloc(100, 1),
      seq: 1,
      kind: 'value',
      createTs: 1,
      expireTs: undefined,
    }),
  );
  const counting = new CountingObjectStore(await put(rows, { blockSize: 4096 }), { logGets: true });
  const r = await SstReader.open(counting, 'sst', { readAheadBytes: 64 * 1024 });
  await r.index();
  counting.reset();
  const got = await collectRows(r.iter({ start: Buffer.from('key01000'), end: Buffer.from('key01010') }));
  assert.equal(got.length, 10);
  assert.equal(counting.getLog.length, 1);
  assert.ok(counting.getLog[0]!.bytes <= 2 * 4096 + 8);
  counting.reset();
  const all = await collectRows(r.iter());
  assert.equal(all.length, 5000);
  const sizes = counting.getLog.map((g) => g.bytes);
  assert.ok(sizes.length < 20, `${sizes.length} GETs`);
  assert.ok(Math.max(...sizes) <= 64 * 1024 + 4096);
  const total = sizes.reduce((a, b) => a + b, 0);
  assert.equal(total, r.info.filterOffset, 'every data byte fetched exactly once');
});

test('WAL SSTs are read whole in stored order', async () => {
  await fc.assert(
    fc.asyncProperty(
      walRowsArb({ maxRows: 100 }),
      fc.constantFrom<CompressionCodec>(...COMPRESSION_CODECS),
      async (rows, codec) => {
        const b = new WalSstBuilder({ blockSize: 128, compression: codec });
        for (const x of rows) b.add(x);
        const store = new MemoryObjectStore();
        await store.put('wal', sstBytes(b.finish()));
        const r = await SstReader.open(store, 'wal');
        assert.equal(r.info.sstType, 'wal');
        assert.deepEqual((await collectRows(r.iter())).map(plainRow), rows.map(plainRow));
        assert.throws(() => r.iter({ start: Buffer.from('a') }));
      },
    ),
    fcParams('wal reader', 60),
  );
});

test('damaged or foreign objects are data errors at open or read', async () => {
  const rows = Array.from(
    { length: 300 },
    (_, i): RowEntry => ({
      key: Buffer.from(`k${String(i).padStart(4, '0')}`),
      value: Buffer.from('v'),
      seq: 1,
      kind: 'value',
      createTs: 1,
      expireTs: undefined,
    }),
  );
  const store = await put(rows, { blockSize: 256, minFilterKeys: 10 });
  const good = (await store.get('sst')).bytes;
  const bad = new MemoryObjectStore();
  await bad.put('tiny', good.subarray(good.length - 10));
  await assert.rejects(SstReader.open(bad, 'tiny'), isDataError);
  const flipped = good.slice();
  flipped[100]! ^= 1; // inside data block 0
  await bad.put('flip', flipped);
  const r = await SstReader.open(bad, 'flip');
  await assert.rejects(
    collectRows(r.iter()),
    (e) => isDataError(e) && (e as { code: string }).code === 'CHECKSUM_MISMATCH',
  );
});

test('huge rows: 65,535-byte keys and multi-MiB values through every codec', async () => {
  const big = new Uint8Array(3 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const rows: RowEntry[] = [
    {
      key: Buffer.from('a'),
      value: new Uint8Array(0),
      seq: 3,
      kind: 'value',
      createTs: 1,
      expireTs: undefined,
    },
    { key: new Uint8Array(65_535).fill(0x62), value: big, seq: 2, kind: 'value', createTs: 1, expireTs: 9 },
    {
      key: new Uint8Array(65_535).fill(0x63),
      value: new Uint8Array(0),
      seq: 1,
      kind: 'tombstone',
      createTs: 1,
      expireTs: undefined,
    },
    {
      key: Buffer.from('d'),
      value: big.subarray(0, 70_000),
      seq: 4,
      kind: 'merge',
      createTs: 1,
      expireTs: undefined,
    },
  ];
  for (const codec of COMPRESSION_CODECS) {
    const store = await put(rows, { compression: codec, blockSize: 4096 });
    const r = await SstReader.open(store, 'sst');
    const got = await collectRows(r.iter());
    assert.equal(got.length, rows.length, codec);
    for (let i = 0; i < rows.length; i++)
      assert.ok(equalBytes(got[i]!.value, rows[i]!.value) && equalBytes(got[i]!.key, rows[i]!.key), codec);
    assert.equal((await r.get(rows[1]!.key))[0]!.value.length, big.length);
    const index = await r.index();
    assert.equal(index.blockCount, 4, 'each oversized row alone in its block');
  }
});

test('a large batch of blocks is decoded in time slices: other callbacks run before it resolves, and it equals an unsliced read', async () => {
  // About 2 000 snappy blocks of 256 B: decoding them all takes well over one 1 ms slice on any machine.
  const rows: RowEntry[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < 40_000; i++)
    rows.push(makeRow(enc.encode(`key${String(i).padStart(6, '0')}`), i + 1, 'value', enc.encode(`v${i}`)));
  const store = await put(rows, { compression: 'snappy', blockSize: 256 });
  const r = await SstReader.open(store, 'sst');
  const blocks = (await r.index()).blockCount;
  assert.ok(blocks > 1000, `${blocks} blocks`);
  // The store answers through microtasks only, so without slicing no setImmediate callback could run meanwhile.
  const turns = turnCounter();
  const all = await r.readBlocks(0, blocks, false);
  turns.stop();
  assert.ok(turns.turns() >= 1, 'the event loop turned while the batch was decoded');
  assert.equal(all.length, blocks);
  // A few blocks (one slice's worth) decode in one go and give the same blocks.
  const few = await r.readBlocks(3, 9, false);
  for (let i = 0; i < few.length; i++) assert.deepEqual(few[i]!.raw, all[3 + i]!.raw);
});
