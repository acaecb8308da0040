/**
 * ByteArena: copies are private, never overlap, and large inputs get their own buffer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteArena } from './byte-arena.js';

test('copies are private and disjoint across slabs', () => {
  const arena = new ByteArena(64, 16);
  const src = Uint8Array.of(1, 2, 3);
  const views: Uint8Array[] = [];
  for (let i = 0; i < 100; i++) {
    src[0] = i;
    views.push(arena.copy(src));
  }
  src[1] = 99;
  views.forEach((v, i) => {
    assert.deepEqual([...v], [i, 2, 3]);
  });
  const big = new Uint8Array(17).fill(7);
  const copy = arena.copy(big);
  assert.notEqual(copy.buffer, views[0]!.buffer);
  assert.equal(copy.byteOffset, 0);
  big[0] = 0;
  assert.equal(copy[0], 7);
});
