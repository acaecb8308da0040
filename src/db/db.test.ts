/**
 * Db basics on the memory store: writes, reads, scans both ways, deletes, merges, TTL metadata, flush to L0 and
 * reads from SSTs, reopen with WAL replay, snapshots, and typed errors for bad input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { CountingObjectStore } from '../object-store/counting-store.js';
import { LocalObjectStore } from '../object-store/local-store.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';
import { WriteBatch } from './write-batch.js';

const concat: MergeOperator = (_k, existing, ops) =>
  utf8((existing === undefined ? '' : fromUtf8(existing)) + ops.map(fromUtf8).join(''));

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

async function keys(it: AsyncIterable<{ key: Uint8Array; value: Uint8Array }>): Promise<string[]> {
  const out: string[] = [];
  for await (const kv of it) out.push(`${fromUtf8(kv.key)}=${fromUtf8(kv.value)}`);
  return out;
}

test('put, get, delete, scan, batch', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  const h = await db.put('a', '1');
  assert.equal(h.seq, 1n);
  await db.put('b', '2');
  await db.put('c', '3', { awaitDurable: false });
  assert.equal(fromUtf8((await db.get('a'))!), '1');
  assert.equal(await db.get('zz'), undefined);
  await db.delete('b');
  assert.equal(await db.get('b'), undefined);
  await db.write(new WriteBatch().put('d', '4').put('e', '5').delete('a'));
  assert.deepEqual(await keys(db.scan()), ['c=3', 'd=4', 'e=5']);
  assert.deepEqual(await keys(db.scan({ gte: 'd' }, { order: 'desc' })), ['e=5', 'd=4']);
  assert.deepEqual(await keys(db.scan({ gt: 'c', lt: 'e' })), ['d=4']);
  assert.deepEqual(await keys(db.scanPrefix('d')), ['d=4']);
  const kv = await db.getKeyValue('d');
  assert.equal(kv!.seq, 5n);
  assert.ok(typeof kv!.createTs === 'number');
  await db.close();
  await assert.rejects(db.get('d'), (e) => isShaleDBError(e, 'closed') && e.closeReason === 'clean');
});

test('data survives reopen through WAL replay and through L0', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  for (let i = 0; i < 100; i++)
    await db.put(`k${String(i).padStart(3, '0')}`, `v${i}`, { awaitDurable: i % 10 === 9 });
  await db.flush({ type: 'memtable' });
  for (let i = 100; i < 150; i++)
    await db.put(`k${String(i).padStart(3, '0')}`, `v${i}`, { awaitDurable: false });
  await db.delete('k005');
  await db.close();
  const db2 = await Db.open('db', store, { settings });
  assert.equal(fromUtf8((await db2.get('k042'))!), 'v42');
  assert.equal(fromUtf8((await db2.get('k142'))!), 'v142');
  assert.equal(await db2.get('k005'), undefined);
  const all = await keys(db2.scan());
  assert.equal(all.length, 149);
  assert.equal(db2.status().l0Count, 1);
  await db2.close();
});

test('merges fold across memtable and L0', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings, mergeOperator: concat });
  await db.put('m', 'a');
  await db.merge('m', 'b');
  await db.flush({ type: 'memtable' });
  await db.merge('m', 'c');
  await db.merge('n', 'x');
  assert.equal(fromUtf8((await db.get('m'))!), 'abc');
  assert.equal(fromUtf8((await db.get('n'))!), 'x');
  assert.deepEqual(await keys(db.scan()), ['m=abc', 'n=x']);
  await db.close();
});

test('snapshots see a fixed seq', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings });
  await db.put('a', '1');
  const snap = await db.snapshot();
  await db.put('a', '2');
  await db.put('b', '3');
  assert.equal(fromUtf8((await snap.get('a'))!), '1');
  assert.equal(await snap.get('b'), undefined);
  assert.equal(fromUtf8((await db.get('a'))!), '2');
  snap.close();
  await assert.rejects(snap.get('a'), (e) => isShaleDBError(e, 'closed'));
  await db.close();
});

test('bad input is invalid and the database stays usable', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings });
  const bad: Array<() => Promise<unknown>> = [
    () => db.put('', 'x'),
    () => db.put(new Uint8Array(65_536), 'x'),
    () => db.put(1 as unknown as string, 'x'),
    () => db.put('k', 'v', { ttl: -5 }),
    () => db.put('k', 'v', { awaitDurable: 'yes' as unknown as boolean }),
    () => db.get(''),
    () => db.merge('k', 'v'),
    () => db.write(new WriteBatch()),
    () => db.flush({ type: 'disk' as 'wal' }),
  ];
  for (const f of bad) await assert.rejects(f(), (e) => isShaleDBError(e, 'invalid'));
  assert.throws(
    () => db.scan({ gt: 'a', gte: 'b' }),
    (e) => isShaleDBError(e, 'invalid'),
  );
  await db.put('k', 'v');
  assert.equal(fromUtf8((await db.get('k'))!), 'v');
  await db.close();
  await assert.rejects(Db.open('db', new MemoryObjectStore(), { settings: { flushInterval: 'soon' } }), (e) =>
    isShaleDBError(e, 'invalid'),
  );
  await assert.rejects(Db.open('db', new MemoryObjectStore(), { blockSize: 1000 }), (e) =>
    isShaleDBError(e, 'invalid'),
  );
});

test('a second writer fences the first', async () => {
  const store = new MemoryObjectStore();
  const a = await Db.open('db', store, { settings });
  await a.put('x', '1');
  const b = await Db.open('db', store, { settings });
  assert.equal(fromUtf8((await b.get('x'))!), '1');
  await assert.rejects(a.put('y', '2'), (e) => isShaleDBError(e, 'closed') && e.closeReason === 'fenced');
  await assert.rejects(a.get('x'), (e) => isShaleDBError(e, 'closed') && e.closeReason === 'fenced');
  await b.put('y', '3');
  await a.close().catch(() => {});
  await b.close();
  const c = await Db.open('db', store, { settings });
  assert.equal(fromUtf8((await c.get('y'))!), '3');
  await c.close();
});

test('getMany and getSync', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  for (let i = 0; i < 50; i++) await db.put(`k${i}`, `v${i}`, { awaitDurable: false });
  await db.flush({ type: 'memtable' });
  await db.close();
  const again = await Db.open('db', store, { settings });
  // Nothing is cached after a reopen: the first sync read needs IO.
  assert.throws(
    () => again.getSync('k1'),
    (e) => isShaleDBError(e, 'unavailable', 'NOT_CACHED'),
  );
  const many = await again.getMany(['k1', 'nope', 'k49', 'k1']);
  assert.deepEqual(
    many.map((v) => (v === undefined ? undefined : fromUtf8(v))),
    ['v1', undefined, 'v49', 'v1'],
  );
  assert.equal(fromUtf8(again.getSync('k2')!), 'v2');
  assert.equal(again.getSync('nope'), undefined);
  await again.put('fresh', 'x', { awaitDurable: false });
  assert.equal(fromUtf8(again.getSync('fresh')!), 'x');
  assert.throws(
    () => again.getSync(''),
    (e) => isShaleDBError(e, 'invalid'),
  );
  await again.close();
});

test('flushInterval spaces WAL flushes; a write after a quiet period is flushed at once', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings: { ...settings, flushInterval: '300ms' } });
  const walCount = async () => {
    let n = 0;
    for await (const _ of store.list('db/wal/')) n++;
    return n;
  };
  const before = await walCount(); // the fence
  let t0 = performance.now();
  await db.put('a', '1');
  const first = performance.now() - t0;
  t0 = performance.now();
  await db.put('b', '2');
  const second = performance.now() - t0;
  assert.ok(first < 150, `a write into an idle WAL waited ${first.toFixed(0)} ms`);
  assert.ok(second >= 250, `the next flush came only ${second.toFixed(0)} ms after the previous one`);
  assert.equal((await walCount()) - before, 2);
  // Many writes within one interval share one WAL SST.
  await Promise.all(Array.from({ length: 50 }, (_, i) => db.put(`k${i}`, 'v')));
  assert.equal((await walCount()) - before, 3);
  await db.close();
});

test('values handed out and taken in are private copies, on every store and read path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shaledb-copies-'));
  try {
    for (const store of [new MemoryObjectStore(), new LocalObjectStore(dir)]) {
      const db = await Db.open('db', store, { settings });
      try {
        // Inputs: Buffers (whose slice is a view) small and large; changing them afterwards changes nothing.
        const small = Buffer.from('small-value');
        const large = Buffer.alloc(10_000, 0x61);
        await db.put('s', small, { awaitDurable: false });
        await db.put('l', large, { awaitDurable: false });
        small[0] = 0x58;
        large[0] = 0x58;
        const check = async (where: string) => {
          assert.equal(fromUtf8((await db.get('s'))!), 'small-value', where);
          assert.equal((await db.get('l'))![0], 0x61, where);
        };
        await check('memtable');
        // Outputs: every read path, from the memtable and then from a cached SST block; mutate what came back.
        const mutateAll = async () => {
          (await db.get('s'))![0] = 0x59;
          db.getSync('s')![1] = 0x59;
          (await db.getMany(['s']))[0]![2] = 0x59;
          (await db.getKeyValue('s'))!.value[3] = 0x59;
          (await db.getKeyValue('s'))!.key[0] = 0x59;
          for await (const kv of db.scan()) kv.value[4] = 0x59;
          for (const kv of await db.scan().nextBatch(10)) kv.value[5] = 0x59;
        };
        await mutateAll();
        await check('memtable after mutation');
        await db.flush({ type: 'memtable' });
        await check('sst');
        await mutateAll();
        await check('sst after mutation');
      } finally {
        await db.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on the local store, reads of uncached blocks are synchronous; a damaged block is a data error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shaledb-syncget-'));
  try {
    const store = new LocalObjectStore(dir);
    const db = await Db.open('db', store, { settings });
    for (let i = 0; i < 2000; i++) await db.put(`k${i}`, `v${i}`.repeat(20), { awaitDurable: false });
    await db.flush({ type: 'memtable' });
    await db.close();
    // Reopened: nothing cached, yet getSync answers by reading the SST synchronously.
    const counting = new CountingObjectStore(store);
    const again = await Db.open('db', counting, { settings });
    const before = counting.calls('get');
    assert.equal(fromUtf8(again.getSync('k7')!), 'v7'.repeat(20));
    assert.equal(again.getSync('k7x'), undefined);
    assert.ok(counting.calls('get') > before, 'the first getSync read from the store');
    const many = await again.getMany(['k1999', 'k0', 'none']);
    assert.deepEqual(
      many.map((v) => v && fromUtf8(v)),
      ['v1999'.repeat(20), 'v0'.repeat(20), undefined],
    );
    await again.close();
    // Damage one byte inside the first data block of the SST: reads of it fail as data errors, never a value.
    const sstDir = join(dir, 'db', 'compacted');
    const [name] = readdirSync(sstDir).filter((f) => f.endsWith('.sst'));
    const file = join(sstDir, name!);
    const bytes = readFileSync(file);
    bytes[40] = bytes[40]! ^ 0xff;
    writeFileSync(file, bytes);
    const damaged = await Db.open('db', new LocalObjectStore(dir), { settings });
    const firstKey = 'k0';
    assert.throws(
      () => damaged.getSync(firstKey),
      (e) => isShaleDBError(e, 'data'),
    );
    await assert.rejects(damaged.get(firstKey), (e) => isShaleDBError(e, 'data'));
    await damaged.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a batch written twice writes twice, and writing it again never changes what the first write wrote', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings });
  try {
    const batch = new WriteBatch().put('b', '1').put('a', '1');
    const first = await db.write(batch, { awaitDurable: false });
    const snap = await db.snapshot();
    batch.put('c', '1');
    const second = await db.write(batch, { awaitDurable: false });
    assert.ok(second.seq > first.seq);
    // The snapshot between the writes sees the first write only.
    assert.equal(await snap.get('c'), undefined);
    const kv = (await snap.getKeyValue('a'))!;
    assert.equal(kv.seq, first.seq);
    assert.equal((await db.getKeyValue('a'))!.seq, second.seq);
    assert.deepEqual(await keys(db.scan()), ['a=1', 'b=1', 'c=1']);
    assert.deepEqual(await keys(snap.scan()), ['a=1', 'b=1']);
    snap.close();
  } finally {
    await db.close();
  }
});
