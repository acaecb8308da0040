/**
 * Tests for Ulid and Uuid: text forms, the ULID time stamp, high/low halves, and bad input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isShaleDBError } from './errors.js';
import { Ulid, Uuid } from './ids.js';
import { SeededRand } from './random.js';

test('ULID text round trip, time stamp and order', () => {
  const rand = new SeededRand(7);
  const a = Ulid.generate(1_795_338_717_526, rand);
  const b = Ulid.generate(1_795_338_717_527, rand);
  assert.equal(a.timestampMs, 1_795_338_717_526);
  assert.equal(a.toString().length, 26);
  assert.match(a.toString(), /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
  assert.ok(Ulid.parse(a.toString()).equals(a));
  assert.ok(Ulid.parse(a.toString().toLowerCase()).equals(a));
  assert.ok(a.compare(b) < 0);
  assert.ok(a.toString() < b.toString());
});

test('ULID known value', () => {
  // decodeTime('01ARYZ6S41TSV4RRFFQ69G5FAV') is 1469918176385 in the ULID reference implementation.
  const u = Ulid.parse('01ARYZ6S41TSV4RRFFQ69G5FAV');
  assert.equal(u.timestampMs, 1469918176385);
  assert.equal(new Ulid(u.high, u.low).toString(), '01ARYZ6S41TSV4RRFFQ69G5FAV');
});

test('ULID rejects bad text', () => {
  for (const bad of [
    '',
    '8ZZZZZZZZZZZZZZZZZZZZZZZZZ',
    '01ARZ3NDEKTSV4RRFFQ69G5FA',
    '01ARZ3NDEKTSV4RRFFQ69G5FAU!',
  ]) {
    assert.throws(
      () => Ulid.parse(bad),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_ULID'),
    );
  }
});

test('UUID v4 form and high/low halves', () => {
  const u = Uuid.v4(new SeededRand(1));
  assert.match(u.toString(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const again = Uuid.fromHighLow(u.high, u.low);
  assert.ok(again.equals(u));
  assert.ok(Uuid.parse(u.toString()).equals(u));
});
