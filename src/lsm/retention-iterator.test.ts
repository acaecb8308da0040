/**
 * Retention tests: the version-keeping rule, expiry to tombstones, dropped expired operands, trailing tombstone
 * removal for the last run, and the streaming iterator over several keys (sync and async sources).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowEntry, RowKind } from '../format/row.js';
import { collectRows } from '../format/row-iterator.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { SeededRand } from '../util/random.js';
import { ArrayRowIterator } from './array-iterator.js';
import { applyRetention, RetentionIterator } from './retention-iterator.js';

function r(k: string, seq: number, kind: RowKind, expireTs?: number): RowEntry {
  return {
    key: utf8(k),
    value: kind === 'tombstone' ? new Uint8Array(0) : utf8(`v${seq}`),
    seq,
    kind,
    createTs: seq,
    expireTs,
  };
}

const show = (rows: RowEntry[]) => rows.map((x) => `${fromUtf8(x.key)}@${x.seq}:${x.kind[0]}`).join(' ');

test('keeps versions above the min seq plus the boundary version', () => {
  const v = [
    r('k', 9, 'value'),
    r('k', 7, 'value'),
    r('k', 5, 'value'),
    r('k', 3, 'value'),
    r('k', 1, 'value'),
  ];
  assert.equal(
    show(applyRetention(v, { retentionMinSeq: 6, filterTombstones: false, expiryTickMs: 0 })),
    'k@9:v k@7:v k@5:v',
  );
  assert.equal(
    show(applyRetention(v, { retentionMinSeq: 100, filterTombstones: false, expiryTickMs: 0 })),
    'k@9:v',
  );
});

test('merge operands are always kept until a base', () => {
  const v = [r('k', 9, 'merge'), r('k', 4, 'merge'), r('k', 3, 'value'), r('k', 2, 'value')];
  assert.equal(
    show(applyRetention(v, { retentionMinSeq: 5, filterTombstones: false, expiryTickMs: 0 })),
    'k@9:m k@4:m k@3:v',
  );
});

test('expiry turns values into tombstones and drops operands', () => {
  const v = [r('k', 9, 'merge', 50), r('k', 8, 'value', 50), r('k', 7, 'value')];
  const out = applyRetention(v, { retentionMinSeq: 100, filterTombstones: false, expiryTickMs: 50 });
  assert.equal(show(out), 'k@8:t');
  assert.equal(out[0]!.expireTs, undefined);
  assert.equal(out[0]!.createTs, 8);
  assert.equal(
    show(applyRetention(v, { retentionMinSeq: 100, filterTombstones: false, expiryTickMs: 49 })),
    'k@9:m k@8:v',
  );
});

test('last-run compaction removes trailing tombstones', () => {
  assert.equal(
    show(
      applyRetention([r('k', 3, 'tombstone')], {
        retentionMinSeq: 0,
        filterTombstones: true,
        expiryTickMs: 0,
      }),
    ),
    '',
  );
  // Only trailing tombstones go: one between retained values stays (a snapshot between them needs it).
  const v = [r('k', 9, 'value'), r('k', 5, 'tombstone'), r('k', 3, 'value')];
  assert.equal(
    show(applyRetention(v, { retentionMinSeq: 4, filterTombstones: true, expiryTickMs: 0 })),
    'k@9:v k@5:t k@3:v',
  );
  const w = [r('k', 9, 'value'), r('k', 5, 'tombstone'), r('k', 3, 'tombstone')];
  assert.equal(
    show(applyRetention(w, { retentionMinSeq: 4, filterTombstones: true, expiryTickMs: 0 })),
    'k@9:v',
  );
});

test('streaming over many keys equals per-key application', async () => {
  const rows = [
    r('a', 5, 'value'),
    r('a', 2, 'value'),
    r('b', 4, 'tombstone'),
    r('c', 6, 'merge'),
    r('c', 1, 'value'),
    r('d', 3, 'value', 10),
  ];
  const opts = { retentionMinSeq: 3, filterTombstones: true, expiryTickMs: 10 };
  for (const asyncRand of [undefined, new SeededRand(3)]) {
    const out = await collectRows(new RetentionIterator(new ArrayRowIterator(rows, { asyncRand }), opts));
    assert.equal(show(out), 'a@5:v a@2:v c@6:m c@1:v');
  }
});
