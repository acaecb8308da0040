/**
 * L0 and WAL encoding in flush workers: the bytes and SST info equal in-thread encoding for every codec (values,
 * tombstones, merge operands, TTL rows, rows without a create time, enough rows for a bloom filter and many
 * blocks); a WAL encoding goes to a worker only once one has started, and falls back to in-thread encoding if
 * it crashes; packing round-trips rows and yields to the event loop; a worker crash fails the encoding with
 * FLUSH_WORKER_FAILED (kind unavailable) and the next one runs in a fresh worker; close terminates the workers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { turnCounter } from '../../test/support/wait.js';
import { compactedSstPath, walSstPath } from '../format/object-paths.js';
import type { RowEntry, RowKind } from '../format/row.js';
import { ArrayRowIterator } from '../lsm/array-iterator.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { ShaleDBError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import { SeededRand } from '../util/random.js';
import { crashNextFlushTasksForTesting, flushWorkersStarted, L0EncoderPool } from './l0-encoder-pool.js';
import { packRows, unpackRows } from './l0-encoding.js';
import type { CompressionCodec } from './settings.js';
import { TableStore } from './table-store.js';

const CODECS: readonly CompressionCodec[] = [null, 'snappy', 'zlib', 'lz4', 'zstd'];

function mixedRows(n: number, seed: number): RowEntry[] {
  const rand = new SeededRand(seed);
  const out: RowEntry[] = [];
  for (let i = 0; i < n; i++) {
    const key = new Uint8Array(8 + (i % 9));
    new DataView(key.buffer).setUint32(0, i);
    key.fill(i % 251, 4);
    const kinds: RowKind[] = ['value', 'tombstone', 'merge'];
    const kind = kinds[i % 5 === 0 ? 1 : i % 7 === 0 ? 2 : 0]!;
    const value =
      kind === 'tombstone'
        ? new Uint8Array(0)
        : Uint8Array.from({ length: 1 + (i % 300) }, () => rand.nextInt(4));
    out.push({
      key,
      value,
      seq: 1_000_000 - i,
      kind,
      createTs: i % 11 === 0 ? undefined : 1_700_000_000_000 + i,
      expireTs: kind !== 'tombstone' && i % 3 === 0 ? 1_800_000_000_000 + i : undefined,
    });
  }
  return out;
}

function tableStore(store: MemoryObjectStore, codec: CompressionCodec): TableStore {
  return new TableStore(store, 'db', {
    codec,
    blockSize: 4096,
    minFilterKeys: 100,
    filterBitsPerKey: 10,
    blockCacheBytes: 0,
  });
}

test('L0 SSTs encoded in a flush worker are byte-identical to in-thread ones, for every codec', async () => {
  const pool = new L0EncoderPool(1);
  try {
    const input = mixedRows(20_000, 7);
    for (const codec of CODECS) {
      const local = new MemoryObjectStore();
      const remote = new MemoryObjectStore();
      const id = Ulid.generate(1_700_000_000_000, new SeededRand(3));
      const a = await tableStore(local, codec).writeL0(id, new ArrayRowIterator(input), 1 << 20);
      const b = await tableStore(remote, codec).writeL0(id, new ArrayRowIterator(input), 1 << 20, pool);
      assert.deepEqual(b, a, `SST info, codec ${codec}`);
      const path = compactedSstPath('db', id);
      const bytesA = (await local.get(path)).bytes;
      const bytesB = (await remote.get(path)).bytes;
      assert.ok(bytesA.length > 100_000, 'many blocks');
      assert.deepEqual(bytesB, bytesA, `bytes, codec ${codec}`);
    }
    assert.equal(pool.workerCount, 1);
  } finally {
    await pool.close();
  }
});

test('WAL SSTs encoded in a flush worker are byte-identical to in-thread ones; a crash falls back in-thread', async () => {
  const pool = new L0EncoderPool(1);
  try {
    // Commit order: seq ascending, keys in any order.
    const input = mixedRows(5_000, 8)
      .reverse()
      .map((r, i) => ({ ...r, seq: i + 1 }));
    assert.equal(pool.warm(), false, 'no worker has started yet');
    while (!pool.warm()) await sleep(10);
    for (const codec of CODECS) {
      const local = new MemoryObjectStore();
      const remote = new MemoryObjectStore();
      await tableStore(local, codec).writeWal(1, input, 1 << 20);
      await tableStore(remote, codec).writeWal(1, input, 1 << 20, pool);
      const path = walSstPath('db', 1);
      assert.deepEqual((await remote.get(path)).bytes, (await local.get(path)).bytes, `codec ${codec}`);
      assert.deepEqual(await tableStore(remote, codec).readWal(1), input);
    }
    assert.equal(pool.workerCount, 1);
    const started = flushWorkersStarted();
    crashNextFlushTasksForTesting(1);
    const crashed = new MemoryObjectStore();
    await tableStore(crashed, 'lz4').writeWal(2, input, 0, pool);
    const reference = new MemoryObjectStore();
    await tableStore(reference, 'lz4').writeWal(2, input, 0);
    const path = walSstPath('db', 2);
    assert.deepEqual((await crashed.get(path)).bytes, (await reference.get(path)).bytes);
    assert.equal(pool.workerCount, 0, 'the crashed worker left the pool');
    assert.equal(flushWorkersStarted(), started, 'the encoding that crashed was sent to the warm worker');
  } finally {
    crashNextFlushTasksForTesting(0);
    await pool.close();
  }
});

test('packing round-trips rows and yields to the event loop on a large memtable', async () => {
  const input = mixedRows(2_000, 9);
  const packed = await packRows(new ArrayRowIterator(input));
  assert.equal(packed.count, input.length);
  assert.deepEqual([...unpackRows(packed)], input);

  const big = mixedRows(300_000, 11);
  const turns = turnCounter();
  const bigPacked = await packRows(new ArrayRowIterator(big));
  turns.stop();
  assert.equal(bigPacked.count, big.length);
  assert.ok(turns.turns() >= 2, `the event loop ran ${turns.turns()} times during packing`);
});

test('a flush worker crash fails the encoding with FLUSH_WORKER_FAILED; the next runs in a fresh worker', async () => {
  const pool = new L0EncoderPool(1);
  try {
    const ts = tableStore(new MemoryObjectStore(), 'snappy');
    const input = mixedRows(1_000, 5);
    crashNextFlushTasksForTesting(1);
    const id = Ulid.generate(1_700_000_000_000, new SeededRand(4));
    await assert.rejects(ts.writeL0(id, new ArrayRowIterator(input), 0, pool), (e: unknown) => {
      assert.ok(e instanceof ShaleDBError);
      assert.equal(e.kind, 'unavailable');
      assert.equal(e.code, 'FLUSH_WORKER_FAILED');
      return true;
    });
    assert.equal(pool.workerCount, 0, 'the dead worker left the pool');
    const sst = await ts.writeL0(id, new ArrayRowIterator(input), 0, pool);
    assert.equal(sst.id.toString(), id.toString());
    assert.equal(pool.workerCount, 1);
  } finally {
    crashNextFlushTasksForTesting(0);
    await pool.close();
  }
});

test('closing the pool terminates its workers and refuses further encodings', async () => {
  const pool = new L0EncoderPool(2);
  const ts = tableStore(new MemoryObjectStore(), null);
  const id = Ulid.generate(1_700_000_000_000, new SeededRand(6));
  await ts.writeL0(id, new ArrayRowIterator(mixedRows(100, 1)), 0, pool);
  assert.equal(pool.workerCount, 1);
  await pool.close();
  assert.equal(pool.workerCount, 0);
  await assert.rejects(ts.writeL0(id, new ArrayRowIterator(mixedRows(100, 1)), 0, pool), (e: unknown) => {
    assert.ok(e instanceof ShaleDBError);
    assert.equal(e.kind, 'closed');
    return true;
  });
});
