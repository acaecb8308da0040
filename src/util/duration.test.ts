/**
 * Tests for duration settings parsing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDurationMs } from './duration.js';
import { isShaleDBError } from './errors.js';

test('parses SlateDB duration strings and numbers', () => {
  assert.equal(parseDurationMs('100ms', 'x'), 100);
  assert.equal(parseDurationMs('5s', 'x'), 5000);
  assert.equal(parseDurationMs('1s+500ms', 'x'), 1500);
  assert.equal(parseDurationMs('2m', 'x'), 120_000);
  assert.equal(parseDurationMs(250, 'x'), 250);
});

test('rejects bad durations as invalid', () => {
  for (const bad of ['', 'fast', '-1s', '1 parsec', -5, Number.NaN]) {
    assert.throws(
      () => parseDurationMs(bad as string, 'flushInterval'),
      (e) => isShaleDBError(e, 'invalid'),
    );
  }
});
