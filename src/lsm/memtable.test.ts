/**
 * Memtable tests: random inserts against a sorted-array model; iteration both ways over random ranges with seeks;
 * point lookups at a seq cap; size accounting as SlateDB estimates it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRows, type RowEntry, type RowKind } from '../format/row.js';
import { collectRows, type KeyRange } from '../format/row-iterator.js';
import { compareBytes } from '../util/bytes.js';
import { SeededRand, testSeed } from '../util/random.js';
import { estimatedRowSize, Memtable } from './memtable.js';

function key(i: number): Uint8Array {
  return Uint8Array.of(0x6b, i >> 8, i & 0xff);
}

function randomRows(rand: SeededRand, n: number): RowEntry[] {
  const kinds: RowKind[] = ['value', 'tombstone', 'merge'];
  const rows: RowEntry[] = [];
  for (let i = 0; i < n; i++) {
    const kind = kinds[rand.nextInt(3)]!;
    rows.push({
      key: key(rand.nextInt(40)),
      value: kind === 'tombstone' ? new Uint8Array(0) : Uint8Array.of(rand.nextInt(256)),
      seq: 1 + rand.nextInt(200),
      kind,
      createTs: 1000 + i,
      expireTs: rand.nextInt(4) === 0 ? 5000 : undefined,
    });
  }
  return rows;
}

function model(rows: RowEntry[]): RowEntry[] {
  const byId = new Map<string, RowEntry>();
  for (const r of rows) byId.set(`${Buffer.from(r.key).toString('hex')}/${r.seq}`, r);
  return [...byId.values()].sort(compareRows);
}

function inRange(r: RowEntry, range: KeyRange): boolean {
  if (range.start !== undefined) {
    const c = compareBytes(r.key, range.start);
    if (c < 0 || (c === 0 && range.startInclusive === false)) return false;
  }
  if (range.end !== undefined) {
    const c = compareBytes(r.key, range.end);
    if (c > 0 || (c === 0 && range.endInclusive !== true)) return false;
  }
  return true;
}

/** Merges from 64 rows on run in slices of 1 row per inserted row plus 4: merges stay in progress for long. */
const SLICED = { syncMergeRows: 64, sliceRowsPerRow: 1, sliceBaseRows: 4 } as const;

function descending(rows: RowEntry[]): RowEntry[] {
  return [...rows].sort((a, b) => compareBytes(b.key, a.key) || b.seq - a.seq);
}

/** Entry count, estimated size and full iteration both ways match the model. */
async function assertWhole(mt: Memtable, expected: RowEntry[]): Promise<void> {
  assert.equal(mt.entryCount, expected.length);
  assert.equal(
    mt.sizeBytes,
    expected.reduce((s, r) => s + estimatedRowSize(r), 0),
  );
  assert.deepEqual(await collectRows(mt.iterator()), expected);
  assert.deepEqual(await collectRows(mt.iterator({}, 'desc')), descending(expected));
}

/** A random range between keys below `keySpace`, iterated both ways, matches the model. */
async function assertRandomRange(
  mt: Memtable,
  expected: RowEntry[],
  rand: SeededRand,
  keySpace: number,
): Promise<void> {
  const range: KeyRange = {
    start: key(rand.nextInt(keySpace)),
    startInclusive: rand.nextInt(2) === 0,
    end: key(rand.nextInt(keySpace)),
    endInclusive: rand.nextInt(2) === 0,
  };
  const inR = expected.filter((r) => inRange(r, range));
  assert.deepEqual(await collectRows(mt.iterator(range)), inR);
  assert.deepEqual(await collectRows(mt.iterator(range, 'desc')), descending(inR));
}

/** Iterators sought to `s` return the model's rows from `s` on, both ways. */
async function assertSeek(mt: Memtable, expected: RowEntry[], s: Uint8Array): Promise<void> {
  const it = mt.iterator({}, 'asc');
  it.seek(s);
  assert.deepEqual(
    await collectRows(it),
    expected.filter((r) => compareBytes(r.key, s) >= 0),
  );
  const dit = mt.iterator({}, 'desc');
  dit.seek(s);
  assert.deepEqual(
    await collectRows(dit),
    descending(expected).filter((r) => compareBytes(r.key, s) <= 0),
  );
}

/** A lookup of key `k` at seq cap `cap` returns the model's versions up to the first value or tombstone. */
function assertLookup(mt: Memtable, expected: RowEntry[], k: Uint8Array, cap: number): void {
  const out: RowEntry[] = [];
  const terminal = mt.lookup(k, cap, out);
  const versions = expected.filter((r) => compareBytes(r.key, k) === 0 && r.seq <= cap);
  const firstTerminal = versions.findIndex((r) => r.kind !== 'merge');
  assert.deepEqual(out, firstTerminal < 0 ? versions : versions.slice(0, firstTerminal + 1));
  assert.equal(terminal, firstTerminal >= 0);
}

test('memtable iterates, seeks and looks up like a sorted model', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  for (let round = 0; round < 30; round++) {
    const rows = randomRows(rand, 1 + rand.nextInt(400));
    const mt = new Memtable();
    for (const r of rows) mt.put(r);
    const expected = model(rows);
    await assertWhole(mt, expected);
    await assertRandomRange(mt, expected, rand, 40);

    await assertSeek(mt, expected, key(rand.nextInt(40)));
    assertLookup(mt, expected, key(rand.nextInt(40)), rand.nextInt(220));
  }
});

test('memtable tracks seqs, tick and sequence samples; frozen memtables reject puts', () => {
  const mt = new Memtable();
  assert.ok(mt.isEmpty);
  mt.put({ key: key(1), value: Uint8Array.of(1), seq: 5, kind: 'value', createTs: 100, expireTs: undefined });
  mt.put({ key: key(2), value: Uint8Array.of(1), seq: 3, kind: 'value', createTs: 90, expireTs: 200 });
  assert.equal(mt.firstSeq, 3);
  assert.equal(mt.lastSeq, 5);
  assert.equal(mt.lastTick, 100);
  assert.equal(mt.sizeBytes, 3 + 1 + 8 + 8 + (3 + 1 + 8 + 8 + 8));
  mt.recordSequence(3, 1000);
  mt.recordSequence(5, 1030);
  mt.recordSequence(6, 1060);
  assert.deepEqual(mt.sequenceSamples, [
    { seq: 3, tsSeconds: 1000 },
    { seq: 6, tsSeconds: 1060 },
  ]);
  mt.freeze();
  assert.throws(() =>
    mt.put({ key: key(3), value: Uint8Array.of(1), seq: 6, kind: 'value', createTs: 1, expireTs: undefined }),
  );
});

test('iterators stay ordered and complete while writes land between steps', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  for (let round = 0; round < 20; round++) {
    // Odd rounds merge in slices from 64 rows on, so merges are in progress under the iterators.
    const mt = new Memtable(round % 2 === 0 ? {} : SLICED);
    const initial = randomRows(rand, 2000);
    for (const r of initial) mt.put(r);
    const before = model(initial);
    for (const order of ['asc', 'desc'] as const) {
      const it = mt.iterator({}, order);
      const seen: RowEntry[] = [];
      for (let r = it.next(); r !== undefined; r = it.next()) {
        seen.push(r as RowEntry);
        // Concurrent writes with fresh seqs (never equal to existing pairs).
        if (rand.nextInt(50) === 0) {
          // A sorted batch: a run of its own, which may merge runs under the iterator.
          const ks = [...new Set(Array.from({ length: 200 }, () => rand.nextInt(40)))].sort((a, b) => a - b);
          const batchSeq = 500_000 + round * 10_000 + seen.length * 3;
          mt.putAll(
            ks.map((k) => ({
              key: key(k),
              value: Uint8Array.of(2),
              seq: batchSeq,
              kind: 'value',
              createTs: 0,
              expireTs: undefined,
            })),
          );
        }
        for (let i = 0; i < rand.nextInt(3); i++) {
          mt.put({
            key: key(rand.nextInt(40)),
            value: Uint8Array.of(1),
            seq: 1000 + round * 10_000 + seen.length * 3 + i,
            kind: 'value',
            createTs: 0,
            expireTs: undefined,
          });
        }
      }
      const cmp =
        order === 'asc'
          ? compareRows
          : (a: RowEntry, b: RowEntry) => compareBytes(b.key, a.key) || b.seq - a.seq;
      for (let i = 1; i < seen.length; i++)
        assert.ok(cmp(seen[i - 1]!, seen[i]!) < 0, `${order} out of order at ${i}`);
      const ids = new Set(seen.map((r) => `${Buffer.from(r.key).toString('hex')}/${r.seq}`));
      for (const r of before)
        assert.ok(ids.has(`${Buffer.from(r.key).toString('hex')}/${r.seq}`), `${order} missed a row`);
    }
  }
});

test('sorted batches become runs: merges, lookups and iteration across runs match the model', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  let sawSlicedMerge = false;
  for (let round = 0; round < 8; round++) {
    // Odd rounds merge in slices from 64 rows on: reads must see a merge's inputs until it completes.
    const sliced = round % 2 === 1;
    const mt = new Memtable(sliced ? SLICED : {});
    const all: RowEntry[] = [];
    let seq = 1;
    // Batches of 0..300 rows (sorted, unique keys, one fresh seq), single puts, and WAL-replay-like groups that
    // hold several seqs, interleaved; keys from a small space so one key has versions in several runs.
    for (let step = 0; step < 60; step++) {
      if (mt.mergeBacklog > 0) sawSlicedMerge = true;
      if (step === 30) await assertWhole(mt, model(all));
      const choice = rand.nextInt(4);
      if (choice === 0) {
        const row = randomRows(rand, 1)[0]!;
        const r = { ...row, seq: seq++ };
        mt.put(r);
        all.push(r);
        continue;
      }
      const n = rand.nextInt(300);
      const keys = new Set<number>();
      for (let i = 0; i < n; i++) keys.add(rand.nextInt(600));
      const sorted = [...keys].sort((a, b) => a - b);
      const batchSeq = seq;
      const rows: RowEntry[] = sorted.map((k) => ({
        key: key(k),
        value: Uint8Array.of(k & 0xff),
        seq: choice === 3 ? batchSeq + rand.nextInt(3) : batchSeq,
        kind: (['value', 'tombstone', 'merge'] as const)[rand.nextInt(3)]!,
        createTs: 2000 + step,
        expireTs: undefined,
      }));
      seq += 3;
      mt.putAll(rows);
      all.push(...rows);
    }
    // The bookkeeping flushes read follows both paths.
    assert.equal(mt.firstSeq, Math.min(...all.map((r) => r.seq)));
    assert.equal(mt.lastSeq, Math.max(...all.map((r) => r.seq)));
    assert.equal(mt.lastTick, Math.max(...all.map((r) => r.createTs ?? Number.MIN_SAFE_INTEGER)));
    // A batch out of order, and one reusing an old seq, take the row-by-row path and still land.
    const unsorted: RowEntry[] = [];
    for (let i = 0; i < 40; i++)
      unsorted.push({
        key: key(1000 + ((i * 7) % 40)),
        value: Uint8Array.of(i),
        seq,
        kind: 'value',
        createTs: 1,
        expireTs: undefined,
      });
    seq++;
    mt.putAll(unsorted);
    all.push(...unsorted);
    const smallUnsorted = unsorted.slice(0, 10).map((r) => ({ ...r, seq }));
    seq++;
    mt.putAll(smallUnsorted);
    all.push(...smallUnsorted);
    const replaced = all
      .filter((r) => r.seq < 40)
      .slice(0, 40)
      .map((r) => ({ ...r, value: Uint8Array.of(9, 9) }));
    replaced.sort(compareRows);
    mt.putAll(replaced);
    all.push(...replaced);

    const expected = model(all);
    await assertWhole(mt, expected);
    for (let q = 0; q < 50; q++) {
      await assertRandomRange(mt, expected, rand, 700);
      await assertSeek(mt, expected, key(rand.nextInt(700)));
      assertLookup(mt, expected, key(rand.nextInt(700)), rand.nextInt(seq + 2));
    }
    // Single puts drive the merges in progress to completion; what they produce must still match.
    while (mt.mergeBacklog > 0) {
      const r: RowEntry = {
        key: key(rand.nextInt(700)),
        value: Uint8Array.of(3),
        seq: seq++,
        kind: 'value',
        createTs: 0,
        expireTs: undefined,
      };
      mt.put(r);
      all.push(r);
    }
    await assertWhole(mt, model(all));
  }
  assert.ok(sawSlicedMerge, 'some merge ran in slices');
});
