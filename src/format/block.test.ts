/**
 * Data blocks: V1 golden blocks from SlateDB's snapshots (slatedb/testdata/snapshots/*block*), the V2 filling
 * rule (restart every 16 entries, the size rule, an oversized row alone), round trips and seeks over random
 * sorted rows at every block size from 1 byte to 64 KiB, and damaged trailers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fcParams, plainRow, smallKeyArb, sortedRowsArb } from '../../test/support/format-arbitraries.js';
import { compareBytes, fromHex, toHex } from '../util/bytes.js';
import { isDataError } from '../util/errors.js';
import { Block, BlockCursor } from './block.js';
import { BlockBuilder, RESTART_INTERVAL } from './block-builder.js';
import { BlockV1Builder } from './block-v1-builder.js';
import type { RowEntry } from './row.js';
import { rowV2Size } from './row-codec-v2.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const v = (
  key: string,
  value: string,
  kind: RowEntry['kind'] = 'value',
  expireTs: number | undefined = 0,
): RowEntry => ({
  key: utf8(key),
  value: kind === 'tombstone' ? new Uint8Array(0) : utf8(value),
  seq: 0,
  kind,
  createTs: 0,
  expireTs: kind === 'tombstone' ? undefined : expireTs,
});

function v1Block(dataHex: string, offsets: number[]): Uint8Array {
  const tail =
    offsets.map((o) => o.toString(16).padStart(4, '0')).join('') +
    offsets.length.toString(16).padStart(4, '0');
  return fromHex(dataHex + tail);
}

const KEY1_VALUE1 = '000000046b657931000000000000000006000000000000000000000000000000000000000676616c756531';
const V1_GOLDEN = [
  {
    name: 'test_block',
    data:
      `${KEY1_VALUE1}00040000000000000000000006000000000000000000000000000000000000000676616c756531000300013200000000` +
      '0000000006000000000000000000000000000000000000000676616c756532',
    offsets: [0, 43, 82],
    rows: [v('key1', 'value1'), v('key1', 'value1'), v('key2', 'value2')],
  },
  {
    name: 'block_with_tombstone',
    data:
      `${KEY1_VALUE1}000300013200000000000000000500000000000000000003000133000000000000000006000000000000000000000000` +
      '000000000000000676616c756533',
    offsets: [0, 43, 65],
    rows: [v('key1', 'value1'), v('key2', '', 'tombstone'), v('key3', 'value3')],
  },
  {
    name: 'block_with_merge',
    data:
      `${KEY1_VALUE1}0004000000000000000000000e000000000000000000000000000000000000000676616c756531000300013200000000` +
      '0000000006000000000000000000000000000000000000000676616c756532',
    offsets: [0, 43, 82],
    rows: [v('key1', 'value1'), v('key1', 'value1', 'merge'), v('key2', 'value2')],
  },
];

test('V1 golden blocks from SlateDB decode to their rows and re-encode to the same bytes', () => {
  for (const g of V1_GOLDEN) {
    const raw = v1Block(g.data, g.offsets);
    const block = Block.decode(raw, 1, g.name);
    assert.deepEqual(block.rows().map(plainRow), g.rows.map(plainRow), g.name);
    const b = new BlockV1Builder(4096);
    for (const r of g.rows) assert.ok(b.add(r));
    assert.equal(toHex(b.finish()), toHex(raw), g.name);
    const c = new BlockCursor(block);
    c.seek(utf8('key2'));
    const want = g.rows.find((r) => compareBytes(r.key, utf8('key2')) >= 0)!;
    assert.deepEqual(plainRow(c.next()!), plainRow(want), g.name);
  }
});

function buildBlocks(rows: readonly RowEntry[], blockSize: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const b = new BlockBuilder(blockSize);
  for (const r of rows) {
    if (!b.add(r)) {
      out.push(b.finish());
      assert.ok(b.add(r), 'an empty block accepts any row');
    }
  }
  if (!b.isEmpty) out.push(b.finish());
  return out;
}

test('V2 blocks: restart every 16 entries, prefix shared with the previous key, size rule', () => {
  const rows = Array.from({ length: 40 }, (_, i) => v(`key-${String(i).padStart(3, '0')}`, 'x'.repeat(10)));
  const [raw] = buildBlocks(rows, 65_536);
  const block = Block.decode(raw!, 2, 't');
  assert.equal(block.offsets.length, Math.ceil(40 / RESTART_INTERVAL));
  const second = raw!.subarray(block.offsets[0]! + rowV2Size(rows[0]!, 0));
  assert.equal(second[0], 6); // "key-001" shares "key-00" with "key-000"
  assert.deepEqual(block.rows().map(plainRow), rows.map(plainRow));
  // The size rule: each block stays within the target unless it holds one row.
  for (const size of [1, 64, 200, 1024]) {
    for (const blk of buildBlocks(rows, size)) {
      const b = Block.decode(blk, 2, 't');
      assert.ok(blk.length <= size || b.rows().length === 1, `block of ${blk.length} > ${size}`);
    }
  }
});

test('V2: an oversized row gets a block to itself', () => {
  const big = v('big', 'y'.repeat(70_000));
  const blocks = buildBlocks([v('a', 'x'), big, v('c', 'z')], 4096);
  assert.equal(blocks.length, 3);
  assert.deepEqual(Block.decode(blocks[1]!, 2, 't').rows().map(plainRow), [plainRow(big)]);
});

test('V2 round trip and seek at every block size (1 B to 64 KiB)', () => {
  fc.assert(
    fc.property(
      sortedRowsArb({ maxRows: 120, maxValue: 200 }),
      fc.constantFrom(1, 7, 64, 512, 1024, 4096, 65_536),
      fc.array(smallKeyArb, { maxLength: 10 }),
      (rows, size, targets) => {
        const blocks = buildBlocks(rows, size).map((raw, i) => Block.decode(raw, 2, `block ${i}`));
        assert.deepEqual(blocks.flatMap((b) => b.rows()).map(plainRow), rows.map(plainRow));
        for (const blk of blocks) {
          const inBlock = blk.rows();
          for (const t of targets) {
            const c = new BlockCursor(blk);
            c.seek(t);
            const want = inBlock.find((r) => compareBytes(r.key, t) >= 0);
            const got = c.next();
            assert.deepEqual(got && plainRow(got), want && plainRow(want));
            assert.equal(new BlockCursor(blk).nextKeyEquals(inBlock[0]!.key), true);
          }
        }
      },
    ),
    fcParams('block round trip', 200),
  );
});

test('V2 seeks through the point-read directory agree with seeks from restart points', () => {
  const prefixed = fc
    .tuple(fc.constantFrom('', 'user:', 'tenant-0042/orders/'), smallKeyArb)
    .map(([p, k]) => Uint8Array.from([...utf8(p), ...k]));
  fc.assert(
    fc.property(
      fc.oneof(
        sortedRowsArb({ maxRows: 150, maxValue: 40 }),
        sortedRowsArb({ maxRows: 150, maxValue: 40, key: prefixed }),
      ),
      fc.constantFrom(64, 512, 4096),
      fc.array(fc.oneof(smallKeyArb, prefixed), { maxLength: 12 }),
      (rows, size, extra) => {
        for (const [i, raw] of buildBlocks(rows, size).entries()) {
          const plain = Block.decode(raw, 2, `block ${i}`);
          const withDir = Block.decode(raw, 2, `block ${i}`, true);
          assert.ok(withDir.directory !== undefined && withDir.byteSize > plain.byteSize);
          const inBlock = plain.rows();
          // Every key in the block, its neighbours (one byte more or less) and arbitrary keys.
          const targets = [...extra];
          for (const r of inBlock) {
            targets.push(r.key, Uint8Array.from([...r.key, 0]), r.key.subarray(0, r.key.length - 1));
          }
          for (const t of targets) {
            if (t.length === 0) continue;
            const a = new BlockCursor(plain);
            const b = new BlockCursor(withDir);
            a.seek(t);
            b.seek(t);
            assert.equal(b.nextKeyEquals(t), a.nextKeyEquals(t));
            const rest = (c: BlockCursor) => {
              const out = [];
              for (let r = c.next(); r !== undefined; r = c.next()) out.push(plainRow(r));
              return out;
            };
            const want = inBlock.filter((r) => compareBytes(r.key, t) >= 0).map(plainRow);
            assert.deepEqual(rest(a), want);
            assert.deepEqual(rest(b), want);
          }
        }
      },
    ),
    fcParams('block directory seek', 200),
  );
});

test('damaged block trailers are data errors', () => {
  const [raw] = buildBlocks([v('a', '1'), v('b', '2')], 4096);
  assert.throws(() => Block.decode(new Uint8Array(1), 2, 't'), isDataError);
  assert.throws(() => Block.decode(Uint8Array.of(0, 0), 2, 't'), isDataError);
  const badCount = raw!.slice();
  badCount[badCount.length - 1] = 200;
  assert.throws(() => Block.decode(badCount, 2, 't'), isDataError);
  const badOffset = raw!.slice();
  badOffset[badOffset.length - 3] = 1;
  assert.throws(() => Block.decode(badOffset, 2, 't'), isDataError);
  for (let i = 0; i < raw!.length - 4; i++) {
    const flipped = raw!.slice();
    flipped[i]! ^= 0xff;
    try {
      Block.decode(flipped, 2, 't').rows();
    } catch (e) {
      assert.ok(isDataError(e), String(e));
    }
  }
});
