/**
 * CountingObjectStore: meets the contract as a pass-through, and counts calls, failures by reason, bytes put and
 * got, and objects listed exactly.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeObjectStoreContract } from '../../test/support/object-store-contract.js';
import { bytesOf, collect } from '../../test/support/object-store-contract-basic.js';
import { CountingObjectStore } from './counting-store.js';
import { MemoryObjectStore } from './memory-store.js';

describeObjectStoreContract('counting (memory below)', {
  makeStore: async () => new CountingObjectStore(new MemoryObjectStore()),
});

it('counts calls, failures by reason, bytes and listed objects', async () => {
  const s = new CountingObjectStore(new MemoryObjectStore());
  await s.put('a', bytesOf('12345'));
  await s.put('b', bytesOf('12'), { mode: 'create' });
  await s.put('b', bytesOf('x'), { mode: 'create' }).catch(() => {});
  await s.get('a', { range: { offset: 1, length: 2 } });
  await s.get('missing').catch(() => {});
  async function* chunks(): AsyncIterable<Uint8Array> {
    yield bytesOf('abc');
    yield bytesOf('de');
  }
  await s.putStream('c', chunks());
  await collect(s.list(''));
  await s.head('a');
  await s.delete('a');
  const c = s.snapshot();
  assert.equal(c.operations.put.calls, 3);
  assert.equal(c.operations.put.failures, 1);
  assert.deepEqual(c.operations.put.failuresByReason, { 'already-exists': 1 });
  assert.equal(c.operations.get.calls, 2);
  assert.deepEqual(c.operations.get.failuresByReason, { 'not-found': 1 });
  assert.equal(c.operations.putStream.calls, 1);
  assert.equal(c.operations.list.calls, 1);
  assert.equal(c.operations.head.calls, 1);
  assert.equal(c.operations.delete.calls, 1);
  assert.equal(c.bytesPut, 5 + 2 + 5);
  assert.equal(c.bytesGot, 2);
  assert.equal(c.objectsListed, 3);
  s.reset();
  assert.equal(s.calls('put'), 0);
});

it('logs successful GETs only when asked, in call order, and reset clears the log', async () => {
  const quiet = new CountingObjectStore(new MemoryObjectStore());
  await quiet.put('a', bytesOf('12345'));
  await quiet.get('a');
  assert.deepEqual(quiet.getLog, []);
  const s = new CountingObjectStore(new MemoryObjectStore(), { logGets: true });
  await s.put('a', bytesOf('12345'));
  await s.get('a', { range: { offset: 1, length: 2 } });
  await s.get('missing').catch(() => {});
  await s.get('a');
  assert.deepEqual(s.getLog, [
    { path: 'a', range: { offset: 1, length: 2 }, bytes: 2 },
    { path: 'a', range: undefined, bytes: 5 },
  ]);
  s.reset();
  assert.deepEqual(s.getLog, []);
});
