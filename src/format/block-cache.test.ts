/**
 * BlockCache: LRU by bytes (a hit refreshes), capacity never exceeded, oversized entries not cached, per-object
 * eviction, and counters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockCache, INDEX_PART } from './block-cache.js';

const entry = (n: number) => ({ byteSize: n });

test('evicts least recently used entries to stay within capacity', () => {
  const c = new BlockCache(100);
  const a = c.objectId('a');
  c.put(a, 0, entry(40));
  c.put(a, 1, entry(40));
  assert.ok(c.get(a, 0)); // refresh 0
  c.put(a, 2, entry(40)); // evicts 1
  assert.equal(c.get(a, 1), undefined);
  assert.ok(c.get(a, 0));
  assert.ok(c.get(a, 2));
  assert.ok(c.stats().bytes <= 100);
  c.put(a, 3, entry(101));
  assert.equal(c.get(a, 3), undefined);
  c.put(a, 0, entry(10)); // replacing adjusts the byte count
  assert.equal(c.stats().bytes, 50);
});

test('objects are separate and can be evicted whole', () => {
  const c = new BlockCache(1000);
  const a = c.objectId('a');
  const b = c.objectId('b');
  assert.notEqual(a, b);
  assert.equal(c.objectId('a'), a);
  c.put(a, 0, entry(1));
  c.put(a, INDEX_PART, entry(1));
  c.put(b, 0, entry(1));
  c.evictObject('a');
  assert.equal(c.stats().entries, 1);
  assert.ok(c.get(b, 0));
  const s = c.stats();
  assert.equal(s.hits, 1);
});

test('replaced and dropped entries do not pile up, and eviction still follows recency', () => {
  const c = new BlockCache(10_000);
  // Many objects come and go (as compactions delete SSTs) while the cache never fills.
  for (let round = 0; round < 5000; round++) {
    const id = c.objectId(`sst-${round}`);
    c.put(id, 0, entry(10));
    c.put(id, 0, entry(10)); // replaced
    c.put(id, INDEX_PART, entry(10));
    c.evictObject(`sst-${round}`);
  }
  const s = c.stats();
  assert.equal(s.entries, 0);
  assert.equal(s.bytes, 0);
  // Fill past capacity with one hot entry: the hot one survives, the capacity holds.
  const hot = c.objectId('hot');
  c.put(hot, 0, entry(100));
  for (let i = 1; i <= 1000; i++) {
    assert.ok(c.get(hot, 0), `hot entry evicted at ${i}`);
    c.put(hot, i, entry(100));
    assert.ok(c.stats().bytes <= 10_000);
  }
  assert.equal(c.stats().entries, 100);
});
