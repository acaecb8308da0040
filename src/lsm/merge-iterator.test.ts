/**
 * MergeIterator tests: merging random sorted sources (sync and async) both ways equals a sorted concatenation,
 * ties on (key, seq) go to the newer source, and seek repositions every source.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRows, type RowEntry } from '../format/row.js';
import { collectRows } from '../format/row-iterator.js';
import { compareBytes } from '../util/bytes.js';
import { SeededRand, testSeed } from '../util/random.js';
import { ArrayRowIterator } from './array-iterator.js';
import { MergeIterator } from './merge-iterator.js';

function row(k: number, seq: number, tag: number): RowEntry {
  return {
    key: Uint8Array.of(k),
    value: Uint8Array.of(tag),
    seq,
    kind: 'value',
    createTs: 0,
    expireTs: undefined,
  };
}

const desc = (a: RowEntry, b: RowEntry) => compareBytes(b.key, a.key) || b.seq - a.seq;

test('merge equals the sorted union, both orders, sync and async', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  for (let round = 0; round < 50; round++) {
    const sources: RowEntry[][] = [];
    const n = 1 + rand.nextInt(6);
    for (let s = 0; s < n; s++) {
      const rows: RowEntry[] = [];
      const m = rand.nextInt(30);
      for (let i = 0; i < m; i++) rows.push(row(rand.nextInt(20), rand.nextInt(1000) * 10 + s, s));
      sources.push(rows);
    }
    const all = sources.flat();
    for (const order of ['asc', 'desc'] as const) {
      const cmp = order === 'asc' ? compareRows : desc;
      const iters = sources.map(
        (rows) =>
          new ArrayRowIterator([...rows].sort(cmp), { order, asyncRand: rand.nextInt(2) ? rand : undefined }),
      );
      const merged = await collectRows(new MergeIterator(iters, order));
      assert.deepEqual(merged, [...all].sort(cmp));
    }
  }
});

test('equal (key, seq) rows come newest source first', async () => {
  const a = new ArrayRowIterator([row(1, 5, 0)]);
  const b = new ArrayRowIterator([row(1, 5, 1)]);
  const merged = await collectRows(new MergeIterator([a, b]));
  assert.deepEqual(
    merged.map((r) => r.value[0]),
    [0, 1],
  );
});

test('seek repositions all sources', async () => {
  const a = new ArrayRowIterator([row(1, 1, 0), row(3, 1, 0), row(5, 1, 0)]);
  const b = new ArrayRowIterator([row(2, 1, 1), row(4, 1, 1), row(6, 1, 1)]);
  const m = new MergeIterator([a, b]);
  assert.equal((await m.next())!.key[0], 1);
  await m.seek(Uint8Array.of(4));
  assert.deepEqual(
    (await collectRows(m)).map((r) => r.key[0]),
    [4, 5, 6],
  );
});
