/**
 * Tests for turning batches into rows: later puts/deletes replace earlier ops on a key, merges fold within the
 * batch (by expiry group), TTL resolution, key order, and typed errors for bad input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fcParams, smallKeyArb } from '../../test/support/format-arbitraries.js';
import type { RowEntry } from '../format/row.js';
import { ArrayRowIterator, collectRowsSync } from '../lsm/array-iterator.js';
import { type MergeOperator, MergeOperatorIterator } from '../lsm/merge-operator.js';
import { compareBytes, fromUtf8, toHex, utf8 } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { batchRows, expireTsFor } from './batch-rows.js';
import { WriteBatch } from './write-batch.js';

const concat: MergeOperator = (_k, existing, ops) =>
  utf8((existing === undefined ? '' : fromUtf8(existing)) + ops.map(fromUtf8).join(''));

const show = (b: WriteBatch, op?: MergeOperator) =>
  batchRows(b.takeOps(), 7, 1000, null, op).map(
    (r) => `${fromUtf8(r.key)}:${r.kind[0]}:${fromUtf8(r.value)}@${r.seq}`,
  );

test('later put or delete replaces earlier ops on the key; output in key order', () => {
  const b = new WriteBatch().put('b', '1').put('a', '2').delete('b').put('c', '3').put('c', '4');
  assert.deepEqual(show(b), ['a:v:2@7', 'b:t:@7', 'c:v:4@7']);
});

test('merges fold within the batch over a put, a delete, or nothing', () => {
  const b = new WriteBatch()
    .put('a', 'x')
    .merge('a', 'y')
    .merge('a', 'z')
    .delete('b')
    .merge('b', 'm')
    .merge('c', 'p')
    .merge('c', 'q');
  assert.deepEqual(show(b, concat), ['a:v:xyz@7', 'b:v:m@7', 'c:m:pq@7']);
  const c = new WriteBatch().merge('a', 'y').put('a', 'x');
  assert.deepEqual(show(c, concat), ['a:v:x@7']);
});

test('merge without an operator is rejected before writing', () => {
  assert.throws(
    () => show(new WriteBatch().merge('a', 'y')),
    (e) => isShaleDBError(e, 'invalid', 'MERGE_OPERATOR_MISSING'),
  );
});

test('ttl resolution', () => {
  assert.equal(expireTsFor(undefined, 1000, null), undefined);
  assert.equal(expireTsFor(undefined, 1000, 50), 1050);
  assert.equal(expireTsFor('noExpiry', 1000, 50), undefined);
  assert.equal(expireTsFor(5, 1000, 50), 1005);
  assert.equal(expireTsFor({ expireAt: 42 }, 1000, 50), 42);
  assert.equal(expireTsFor(Number.MAX_SAFE_INTEGER, 1000, null), undefined);
  const rows = batchRows(new WriteBatch().put('a', 'v', { ttl: 10 }).delete('b').ops, 1, 1000, 99, undefined);
  assert.equal(rows[0]!.expireTs, 1010);
  assert.equal(rows[1]!.expireTs, undefined);
  assert.ok(rows.every((r) => r.createTs === 1000));
});

test('bad keys, values and options are invalid and leave the batch unchanged', () => {
  const b = new WriteBatch().put('a', '1');
  const bad: Array<() => unknown> = [
    () => b.put('', 'x'),
    () => b.put(new Uint8Array(65_536), 'x'),
    () => b.put(42 as unknown as string, 'x'),
    () => b.put('k', {} as unknown as string),
    () => b.put('k', 'v', { ttl: -1 }),
    () => b.put('k', 'v', { ttl: 'forever' as unknown as number }),
    () => b.delete(null as unknown as string),
  ];
  for (const f of bad) assert.throws(f, (e) => isShaleDBError(e, 'invalid'));
  assert.equal(b.size, 1);
  assert.doesNotThrow(() => new WriteBatch().put(new Uint8Array(65_535).fill(1), ''));
});

test('rows match a reference ordering for random batches (short keys, shared prefixes, repeats)', () => {
  const keyArb = fc.oneof(smallKeyArb, fc.constantFrom(utf8('key00001'), utf8('key00002'), utf8('key0')));
  const opArb = fc.record({
    kind: fc.constantFrom('value', 'tombstone', 'merge') as fc.Arbitrary<'value' | 'tombstone' | 'merge'>,
    key: keyArb,
    value: fc.string({ maxLength: 3 }),
  });
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
      const b = new WriteBatch();
      for (const o of ops) {
        if (o.kind === 'value') b.put(o.key, o.value);
        else if (o.kind === 'tombstone') b.delete(o.key);
        else b.merge(o.key, o.value);
      }
      // Reference: order by key, newest op first; per key keep ops back to the last put or delete; fold merges.
      const order = ops.map((_, i) => i).sort((x, y) => compareBytes(ops[x]!.key, ops[y]!.key) || y - x);
      const kept: RowEntry[] = [];
      for (let i = 0; i < order.length; ) {
        let j = i;
        let ended = false;
        for (; j < order.length && compareBytes(ops[order[j]!]!.key, ops[order[i]!]!.key) === 0; j++) {
          if (ended) continue;
          const o = ops[order[j]!]!;
          kept.push({
            key: o.key,
            value: utf8(o.kind === 'tombstone' ? '' : o.value),
            seq: 7,
            kind: o.kind,
            createTs: 1000,
            expireTs: undefined,
          });
          if (o.kind !== 'merge') ended = true;
        }
        i = j;
      }
      const want =
        ops.length === 1
          ? kept
          : collectRowsSync(
              new MergeOperatorIterator(concat, new ArrayRowIterator(kept), {
                mergeDifferentExpireTs: false,
              }),
            );
      const got = batchRows(b.takeOps(), 7, 1000, null, concat);
      const show = (r: RowEntry) => `${toHex(r.key)}:${r.kind}:${fromUtf8(r.value)}@${r.seq}/${r.createTs}`;
      assert.deepEqual(got.map(show), want.map(show));
    }),
    fcParams('batch rows reference', 300),
  );
});
