/**
 * Merge resolution tests: SlateDB's grouping (groups of 100, folded oldest to newest) is reproduced exactly with a
 * non-associative operator; bases, tombstones, seq/createTs/expireTs tracking; barrier and expiry grouping in the
 * streaming iterator; missing operator and throwing operator errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowEntry, RowKind } from '../format/row.js';
import { collectRows } from '../format/row-iterator.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { ArrayRowIterator } from './array-iterator.js';
import {
  foldVersions,
  type MergeOperator,
  MergeOperatorIterator,
  MergeOperatorRequiredIterator,
} from './merge-operator.js';

/** Records the call structure: "(existing|operand,operand)". Not associative, so grouping shows. */
const tracing: MergeOperator = (_key, existing, operands) =>
  utf8(`(${existing === undefined ? '-' : fromUtf8(existing)}|${operands.map(fromUtf8).join(',')})`);

const concat: MergeOperator = (_key, existing, operands) =>
  utf8((existing === undefined ? '' : fromUtf8(existing)) + operands.map(fromUtf8).join(''));

function r(k: string, seq: number, kind: RowKind, v = '', createTs?: number, expireTs?: number): RowEntry {
  return {
    key: utf8(k),
    value: kind === 'tombstone' ? new Uint8Array(0) : utf8(v),
    seq,
    kind,
    createTs,
    expireTs,
  };
}

test('fold of operands over a value base', () => {
  const out = foldVersions(tracing, [
    r('k', 3, 'merge', 'c', 30),
    r('k', 2, 'merge', 'b', 20, 99),
    r('k', 1, 'value', 'a', 10),
  ])!;
  assert.equal(fromUtf8(out.value), '(a|(-|b,c))');
  assert.equal(out.kind, 'value');
  assert.equal(out.seq, 3);
  assert.equal(out.createTs, 30);
  assert.equal(out.expireTs, 99);
});

test('fold without base stays a merge operand; tombstone base gives a value', () => {
  const a = foldVersions(concat, [r('k', 2, 'merge', 'b'), r('k', 1, 'merge', 'a')])!;
  assert.equal(a.kind, 'merge');
  assert.equal(fromUtf8(a.value), 'ab');
  const b = foldVersions(concat, [r('k', 2, 'merge', 'b'), r('k', 1, 'tombstone')])!;
  assert.equal(b.kind, 'value');
  assert.equal(fromUtf8(b.value), 'b');
});

test('operands are folded in groups of 100, newest group first in gathering order', () => {
  const rows: RowEntry[] = [];
  for (let i = 250; i >= 1; i--) rows.push(r('k', i, 'merge', String(i)));
  const out = fromUtf8(foldVersions(tracing, rows)!.value);
  const group = (lo: number, hi: number) => {
    const xs: string[] = [];
    for (let i = lo; i <= hi; i++) xs.push(String(i));
    return `(-|${xs.join(',')})`;
  };
  // Newest 100 (151..250) form the first group, then 51..150, then 1..50; results are merged oldest first.
  assert.equal(out, `(-|${group(1, 50)},${group(51, 150)},${group(151, 250)})`);
});

test('streaming iterator: barrier and expiry grouping', async () => {
  const rows = [
    r('a', 9, 'merge', 'x'),
    r('a', 5, 'merge', 'y', 1, 100),
    r('a', 4, 'merge', 'z', 1, 100),
    r('a', 3, 'value', 'v', 1),
    r('b', 2, 'merge', 'm'),
  ];
  const withBarrier = await collectRows(
    new MergeOperatorIterator(concat, new ArrayRowIterator(rows), {
      mergeDifferentExpireTs: false,
      barrierSeq: 5,
    }),
  );
  // a@9 is above the barrier and passes through; a@5 and a@4 share expireTs 100 and fold; a@3 has no expireTs so
  // it is not folded with them; b@2 folds alone.
  assert.deepEqual(
    withBarrier.map((x) => [fromUtf8(x.key), x.seq, x.kind, fromUtf8(x.value)]),
    [
      ['a', 9, 'merge', 'x'],
      ['a', 5, 'merge', 'zy'],
      ['a', 3, 'value', 'v'],
      ['b', 2, 'merge', 'm'],
    ],
  );
  const reads = await collectRows(
    new MergeOperatorIterator(concat, new ArrayRowIterator(rows), { mergeDifferentExpireTs: true }),
  );
  assert.deepEqual(
    reads.map((x) => [fromUtf8(x.key), x.kind, fromUtf8(x.value)]),
    [
      ['a', 'value', 'vzyx'],
      ['b', 'merge', 'm'],
    ],
  );
});

test('missing and failing operators are typed errors', async () => {
  await assert.rejects(
    collectRows(new MergeOperatorRequiredIterator(new ArrayRowIterator([r('a', 1, 'merge', 'x')]))),
    (e) => isShaleDBError(e, 'invalid', 'MERGE_OPERATOR_MISSING'),
  );
  const throwing: MergeOperator = () => {
    throw new Error('nope');
  };
  assert.throws(
    () => foldVersions(throwing, [r('a', 1, 'merge', 'x')]),
    (e) => isShaleDBError(e, 'invalid', 'MERGE_OPERATOR_FAILED'),
  );
});
