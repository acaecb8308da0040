/**
 * TableStore encoding stays cooperative: building a large L0 or WAL SST yields to the event loop between slices
 * (other callbacks run during the build), and what it writes reads back row for row.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { turnCounter } from '../../test/support/wait.js';
import { compactedSstPath } from '../format/object-paths.js';
import type { RowEntry } from '../format/row.js';
import { collectRows } from '../format/row-iterator.js';
import { SstReader } from '../format/sst-reader.js';
import { ArrayRowIterator } from '../lsm/array-iterator.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { Ulid } from '../util/ids.js';
import { SeededRand } from '../util/random.js';
import { TableStore } from './table-store.js';

function rows(n: number): RowEntry[] {
  const out: RowEntry[] = [];
  for (let i = 0; i < n; i++) {
    const key = new Uint8Array(16);
    new DataView(key.buffer).setUint32(12, i);
    out.push({
      key,
      value: new Uint8Array(100).fill(i & 0xff),
      seq: i + 1,
      kind: 'value',
      createTs: 1,
      expireTs: undefined,
    });
  }
  return out;
}

test('large L0 and WAL SST builds yield to the event loop, and the L0 reads back', async () => {
  const store = new MemoryObjectStore();
  const ts = new TableStore(store, 'db', {
    codec: null,
    blockSize: 4096,
    minFilterKeys: 1000,
    filterBitsPerKey: 10,
    blockCacheBytes: 0,
  });
  // 200 000 rows take far longer than one 5 ms slice to encode on any machine.
  const input = rows(200_000);
  const l0Turns = turnCounter();
  const id = Ulid.generate(Date.now(), new SeededRand(1));
  const sst = await ts.writeL0(id, new ArrayRowIterator(input), 200_000 * 140);
  l0Turns.stop();
  assert.ok(l0Turns.turns() >= 3, `the event loop ran ${l0Turns.turns()} times during the L0 build`);
  const reader = await SstReader.open(store, compactedSstPath('db', sst.id));
  assert.deepEqual(await collectRows(reader.iter()), input);

  const walTurns = turnCounter();
  await ts.writeWal(1, input, 200_000 * 140);
  walTurns.stop();
  assert.ok(walTurns.turns() >= 3, `the event loop ran ${walTurns.turns()} times during the WAL build`);
  assert.deepEqual(await ts.readWal(1), input);
});
