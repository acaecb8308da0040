/**
 * SortedRunIterator and scans over sorted runs whose SSTs split one key's versions (the compactor cuts output SSTs
 * by size, so an SST's last key may equal the next one's first):
 * - hand-built runs in real SSTs: a tombstone, a newer value and a chain of merge operands straddling two and three
 *   SSTs; descending scans, ascending scans and gets must all resolve the newest version;
 * - random runs cut at random rows, sync and async SST iterators: the run iterator yields exactly the rows of the
 *   range in LSM order for both directions (newest first within a key), and after seek exactly those at or past
 *   the seek key;
 * - DbIterator seeks in descending order against a plain sorted-key model (next keys are those <= the seek key,
 *   keys behind or outside the range are rejected).
 * Prints its seed; rerun with SHALEDB_SEED.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRows, makeRow, type RowEntry } from '../format/row.js';
import { collectRows, type KeyRange, type RowIterator } from '../format/row-iterator.js';
import { ArrayRowIterator } from '../lsm/array-iterator.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { type ReadView, SortedRunIterator, type SstRef } from '../store/sorted-run.js';
import { TableStore } from '../store/table-store.js';
import { compareBytes } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import { type Rand, SeededRand, testSeed } from '../util/random.js';
import { DbIterator } from './db-iterator.js';
import { getRow, scanSources } from './read-path.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const concat: MergeOperator = (_k, existing, operands) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...operands]);

const v = (k: string, seq: number, value: string) => makeRow(enc.encode(k), seq, 'value', enc.encode(value));
const t = (k: string, seq: number) => makeRow(enc.encode(k), seq, 'tombstone');
const m = (k: string, seq: number, value: string) => makeRow(enc.encode(k), seq, 'merge', enc.encode(value));

/** Writes each group of rows as one SST (tiny blocks, so groups also straddle blocks) and returns the run. */
async function realRun(ssts: RowEntry[][]): Promise<SstRef[]> {
  const ts = new TableStore(new MemoryObjectStore(), 'db', {
    codec: null,
    blockSize: 64,
    minFilterKeys: 1,
    filterBitsPerKey: 10,
    blockCacheBytes: 1 << 20,
  });
  const rand = new SeededRand(7);
  const out: SstRef[] = [];
  for (const rows of ssts) {
    const sst = await ts.writeL0(Ulid.generate(Date.now(), rand), new ArrayRowIterator(rows));
    out.push(ts.sstRef(sst));
  }
  return out;
}

async function visible(view: ReadView, order: 'asc' | 'desc', range: KeyRange = {}): Promise<string[]> {
  const it = new DbIterator(scanSources(view, range, order), {
    maxSeq: Number.MAX_SAFE_INTEGER,
    mergeOperator: concat,
    order,
    range,
  });
  const out: string[] = [];
  for await (const kv of it) out.push(`${dec.decode(kv.key)}=${dec.decode(kv.value)}@${kv.seq}`);
  return out;
}

test('a key whose versions straddle SSTs of a sorted run resolves to its newest version in both orders', async () => {
  const cases: Array<{ name: string; ssts: RowEntry[][]; expected: string[] }> = [
    {
      name: 'tombstone in the earlier SST, older value in the next (a descending scan resurrected it)',
      ssts: [
        [v('a', 1, 'a1'), t('k', 8)],
        [v('k', 5, 'old'), v('m', 2, 'm2')],
      ],
      expected: ['a=a1@1', 'm=m2@2'],
    },
    {
      name: 'newer value in the earlier SST, older value and tombstone in the next',
      ssts: [
        [v('a', 1, 'a1'), v('k', 9, 'new')],
        [t('k', 6), v('k', 4, 'old'), v('z', 3, 'z3')],
      ],
      expected: ['a=a1@1', 'k=new@9', 'z=z3@3'],
    },
    {
      name: 'merge operands over three SSTs onto a base value',
      ssts: [
        [v('b', 1, 'b1'), m('k', 20, '3')],
        [m('k', 17, '2'), m('k', 15, '1')],
        [v('k', 12, 'base'), v('k', 10, 'older'), v('x', 2, 'x2')],
        [v('y', 3, 'y3')],
      ],
      expected: ['b=b1@1', 'k=base123@20', 'x=x2@2', 'y=y3@3'],
    },
    {
      name: 'merge operands onto a tombstone, the key alone in the middle SST',
      ssts: [[m('k', 30, 'c')], [m('k', 29, 'b'), t('k', 28)], [v('k', 20, 'gone'), v('q', 1, 'q1')]],
      expected: ['k=bc@30', 'q=q1@1'],
    },
  ];
  for (const c of cases) {
    const run = await realRun(c.ssts);
    const view: ReadView = { memtables: [], l0: [], sortedRuns: [{ id: 0, ssts: run }] };
    assert.deepEqual(await visible(view, 'asc'), c.expected, `asc: ${c.name}`);
    assert.deepEqual(await visible(view, 'desc'), [...c.expected].reverse(), `desc: ${c.name}`);
    // A range that starts or ends on the straddling key, and a point range on it.
    const k = enc.encode('k');
    const onK = c.expected.filter((e) => e.startsWith('k='));
    assert.deepEqual(await visible(view, 'desc', { start: k, startInclusive: true }), [
      ...c.expected.filter((e) => e >= 'k').reverse(),
    ]);
    assert.deepEqual(await visible(view, 'desc', { end: k, endInclusive: true }), [
      ...c.expected.filter((e) => e < 'l').reverse(),
    ]);
    for (const order of ['asc', 'desc'] as const) {
      const point = { start: k, startInclusive: true, end: k, endInclusive: true };
      assert.deepEqual(await visible(view, order, point), onK, `${order} [k,k]: ${c.name}`);
    }
    const got = await getRow(view, k, Number.MAX_SAFE_INTEGER, concat);
    assert.deepEqual(
      got === undefined ? [] : [`k=${dec.decode(got.value)}@${got.seq}`],
      onK,
      `get: ${c.name}`,
    );
    // A descending seek onto the straddling key yields its newest version.
    const it = new DbIterator(scanSources(view, {}, 'desc'), {
      maxSeq: Number.MAX_SAFE_INTEGER,
      mergeOperator: concat,
      order: 'desc',
      range: {},
    });
    await it.seek(k);
    const first = await it.next();
    const expectedAfterSeek = c.expected.filter((e) => e < 'l').reverse()[0];
    assert.equal(
      first === undefined ? undefined : `${dec.decode(first.key)}=${dec.decode(first.value)}@${first.seq}`,
      expectedAfterSeek,
      `desc seek: ${c.name}`,
    );
    it.close();
  }
});

/** An SST held in memory: iterators over its rows in the range, answering through Promises at random. */
function memorySst(rows: RowEntry[], rand: Rand | undefined): SstRef {
  const view = {
    lookup: () => {
      throw new Error('not used');
    },
    iterator: (range: KeyRange, order: 'asc' | 'desc'): RowIterator => {
      const sel = rows.filter((r) => inKeyRange(r.key, range));
      if (order === 'desc') sel.sort((a, b) => compareBytes(b.key, a.key) || b.seq - a.seq);
      return new ArrayRowIterator(sel, { order, asyncRand: rand });
    },
  };
  return { firstKey: rows[0]!.key, lastKey: rows[rows.length - 1]!.key, view: () => view };
}

function randomRange(rand: Rand, keys: number): KeyRange {
  const key = (): Uint8Array => Uint8Array.of(rand.nextInt(keys + 2));
  const range: { -readonly [P in keyof KeyRange]: KeyRange[P] } = {};
  if (rand.nextInt(3) > 0) {
    range.start = key();
    range.startInclusive = rand.nextInt(2) === 0;
  }
  if (rand.nextInt(3) > 0) {
    range.end = key();
    range.endInclusive = rand.nextInt(2) === 0;
  }
  return range;
}

function inKeyRange(key: Uint8Array, range: KeyRange): boolean {
  if (range.start !== undefined) {
    const c = compareBytes(key, range.start);
    if (c < 0 || (c === 0 && range.startInclusive === false)) return false;
  }
  if (range.end !== undefined) {
    const c = compareBytes(key, range.end);
    if (c > 0 || (c === 0 && range.endInclusive !== true)) return false;
  }
  return true;
}

const show = (rows: readonly RowEntry[]) => rows.map((r) => `${r.key[0]}@${r.seq}`).join(' ');

test('the run iterator yields every row of the range in LSM order both ways, and after seeks (random cuts)', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  for (let round = 0; round < 400; round++) {
    const keys = 2 + rand.nextInt(12);
    const rows: RowEntry[] = [];
    let seq = 1;
    for (let k = 0; k < keys; k++) {
      const versions = rand.nextInt(3) === 0 ? 0 : 1 + rand.nextInt(rand.nextInt(4) === 0 ? 8 : 2);
      for (let i = 0; i < versions; i++) rows.push(makeRow(Uint8Array.of(k + 1), seq++, 'value'));
    }
    if (rows.length === 0) continue;
    rows.sort(compareRows);
    // Cut at random rows: a cut may fall inside one key's versions.
    const ssts: SstRef[] = [];
    const async = rand.nextInt(2) === 0 ? rand : undefined;
    for (let i = 0; i < rows.length; ) {
      const n = 1 + rand.nextInt(4);
      ssts.push(memorySst(rows.slice(i, i + n), async));
      i += n;
    }
    const range = randomRange(rand, keys);
    const asc = rows.filter((r) => inKeyRange(r.key, range));
    const desc = [...asc].sort((a, b) => compareBytes(b.key, a.key) || b.seq - a.seq);
    for (const [order, expected] of [
      ['asc', asc],
      ['desc', desc],
    ] as const) {
      const it = new SortedRunIterator(ssts, range, order);
      assert.equal(show(await collectRows(it)), show(expected), `round ${round} ${order} (seed ${seed})`);
      // Seek to a random key inside the range: exactly the rows at or past it remain.
      const target = Uint8Array.of(rand.nextInt(keys + 2));
      if (!inKeyRange(target, range)) continue;
      const sought = new SortedRunIterator(ssts, range, order);
      if (rand.nextInt(2) === 0) {
        const r = sought.next();
        if (r instanceof Promise) await r;
      }
      const s = sought.seek(target);
      if (s instanceof Promise) await s;
      const rest = expected.filter((r) => {
        const c = compareBytes(r.key, target);
        return order === 'asc' ? c >= 0 : c <= 0;
      });
      assert.equal(
        show(await collectRows(sought)),
        show(rest),
        `round ${round} ${order} seek ${target[0]} (seed ${seed})`,
      );
    }
  }
});

test('descending DbIterator seeks follow a plain sorted-key model', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed ^ 0x5eed);
  for (let round = 0; round < 200; round++) {
    const keys = 3 + rand.nextInt(20);
    const rows: RowEntry[] = [];
    const model = new Map<number, string>();
    let seq = 1;
    for (let k = 1; k <= keys; k++) {
      const versions = rand.nextInt(4);
      const vs: RowEntry[] = [];
      for (let i = 0; i < versions; i++) {
        const kind = rand.nextInt(4) === 0 ? 'tombstone' : 'value';
        vs.push(makeRow(Uint8Array.of(k), seq, kind, Uint8Array.of(seq)));
        seq++;
      }
      const newest = vs[vs.length - 1];
      if (newest !== undefined && newest.kind === 'value') model.set(k, String(newest.seq));
      rows.push(...vs);
    }
    if (rows.length === 0) continue;
    rows.sort(compareRows);
    const ssts: SstRef[] = [];
    const async = rand.nextInt(2) === 0 ? rand : undefined;
    for (let i = 0; i < rows.length; ) {
      const n = 1 + rand.nextInt(5);
      ssts.push(memorySst(rows.slice(i, i + n), async));
      i += n;
    }
    const view: ReadView = { memtables: [], l0: [], sortedRuns: [{ id: 0, ssts }] };
    const range = randomRange(rand, keys);
    const modelKeys = [...model.keys()]
      .filter((k) => inKeyRange(Uint8Array.of(k), range))
      .sort((a, b) => b - a);
    const it = new DbIterator(scanSources(view, range, 'desc'), {
      maxSeq: Number.MAX_SAFE_INTEGER,
      mergeOperator: concat,
      order: 'desc',
      range,
    });
    const got: number[] = [];
    const want: number[] = [];
    let last: number | undefined;
    let pos = 0;
    for (let step = 0; step < 12; step++) {
      if (rand.nextInt(3) === 0) {
        const target = rand.nextInt(keys + 2);
        const tk = Uint8Array.of(target);
        const outside = !inKeyRange(tk, range);
        const behind = last !== undefined && target >= last;
        try {
          await it.seek(tk);
          assert.ok(!outside && !behind, `seek ${target} after ${last} must be rejected (seed ${seed})`);
          pos = modelKeys.findIndex((k) => k <= target);
          if (pos < 0) pos = modelKeys.length;
        } catch (e) {
          assert.ok(isShaleDBError(e) && e.kind === 'invalid', String(e));
          assert.equal(e.code, outside ? 'SEEK_KEY_OUT_OF_RANGE' : 'SEEK_KEY_BEHIND');
        }
        continue;
      }
      const kv = await it.next();
      got.push(kv === undefined ? -1 : kv.key[0]!);
      want.push(modelKeys[pos] ?? -1);
      if (pos < modelKeys.length) last = modelKeys[pos++];
    }
    it.close();
    assert.deepEqual(got, want, `round ${round} (seed ${seed})`);
  }
});
