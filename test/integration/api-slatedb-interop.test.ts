/**
 * API semantics checked against the real SlateDB 0.12.1 (@slatedb/uniffi, in a child process) on one `file://`
 * directory:
 * - scan_prefix with an empty prefix (the whole keyspace), an ordinary prefix, all-0xff prefixes and a prefix that
 *   matches nothing: ShaleDB's Db and Snapshot scans return exactly SlateDB's rows (key, value, seq, timestamps);
 * - `walEnabled: false`: a clean close keeps writes never flushed to L0 in both engines (0.12.1 flushes the
 *   memtable on close when the WAL is off), and each engine reads what the other closed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Db } from '../../src/db/db.js';
import type { DbIterator } from '../../src/db/db-iterator.js';
import { concat, shaleScan, showRows, toWriteBatch } from '../support/db-interop.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { requireOracle } from '../support/slatedb-oracle.js';
import { RemoteOracle } from '../support/slatedb-remote.js';
import type { VisibleRow, WorkloadOp } from '../support/slatedb-workload.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

const show = (rows: readonly VisibleRow[]) => showRows(rows, true);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const put = (key: Uint8Array | string, value: string): WorkloadOp => ({
  type: 'put',
  key: typeof key === 'string' ? enc(key) : key,
  value: enc(value),
});

async function visible(it: DbIterator): Promise<VisibleRow[]> {
  const out: VisibleRow[] = [];
  for await (const kv of it) {
    out.push({
      key: kv.key,
      value: kv.value,
      seq: Number(kv.seq),
      createTs: kv.createTs,
      expireTs: kv.expireTs,
    });
  }
  return out;
}

const PREFIXES: ReadonlyArray<[string, Uint8Array]> = [
  ['empty', new Uint8Array(0)],
  ['a/', enc('a/')],
  ['0xff', Uint8Array.of(0xff)],
  ['0xff 0xff', Uint8Array.of(0xff, 0xff)],
  ['none', enc('zz')],
];

test('scanPrefix (empty, ordinary, all-0xff, unmatched) returns the rows SlateDB scan_prefix returns', async () => {
  await requireOracle();
  await withTempDir(async (dir) => {
    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat' });
    const expected = new Map<string, VisibleRow[]>();
    try {
      await slate.write([put(Uint8Array.of(0x00), 'low'), put('a/1', 'one'), put('a/2', 'two')]);
      await slate.write([put('b/1', 'bee'), { type: 'merge', key: enc('a/2'), value: enc('+') }]);
      await slate.flushMemtable();
      await slate.write([put(Uint8Array.of(0xff), 'ff'), put(Uint8Array.of(0xff, 0xff, 0x01), 'ffff01')]);
      await slate.write([{ type: 'delete', key: enc('a/1') }]);
      for (const [name, p] of PREFIXES) expected.set(name, await slate.scanPrefix(p));
      assert.equal(expected.get('empty')!.length, 5, 'SlateDB: an empty prefix is every key');
      assert.deepEqual(show(expected.get('empty')!), show(await slate.scan()));
    } finally {
      await slate.close('shutdown');
    }
    const db = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat });
    try {
      const snap = await db.snapshot();
      for (const [name, p] of PREFIXES) {
        const want = show(expected.get(name)!);
        assert.deepEqual(show(await visible(db.scanPrefix(p))), want, `Db.scanPrefix ${name}`);
        assert.deepEqual(show(await visible(snap.scanPrefix(p))), want, `Snapshot.scanPrefix ${name}`);
        assert.deepEqual(
          show(await visible(db.scanPrefix(p, { order: 'desc' }))),
          [...want].reverse(),
          `Db.scanPrefix ${name} desc`,
        );
      }
      snap.close();
    } finally {
      await db.close();
    }
  });
});

test('walEnabled false: a clean close keeps unflushed writes in SlateDB and ShaleDB, and each reads the other', async () => {
  await requireOracle();
  const noWal = { ...settings, walEnabled: false };
  const batches: WorkloadOp[][] = [
    [put('k1', 'v1'), put('k2', 'v2')],
    [{ type: 'delete', key: enc('k2') }, put('k3', 'v3')],
    [{ type: 'merge', key: enc('k1'), value: enc('+m') }],
  ];
  // SlateDB writes (never awaiting durability, never flushing) and closes; then both engines read it.
  await withTempDir(async (dir) => {
    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat', settings: { wal_enabled: false } });
    let before: VisibleRow[];
    try {
      for (const b of batches) await slate.write(b, false);
      before = await slate.scan();
      assert.equal(before.length, 2);
    } finally {
      await slate.close('shutdown');
    }
    const again = await RemoteOracle.open({ dir, mergeOperator: 'concat', settings: { wal_enabled: false } });
    try {
      assert.deepEqual(
        show(await again.scan()),
        show(before),
        'SlateDB 0.12.1 keeps them across a clean close',
      );
    } finally {
      await again.close('shutdown');
    }
    const db = await Db.open('db', `file://${dir}`, { settings: noWal, mergeOperator: concat });
    try {
      assert.deepEqual(show(await shaleScan(db)), show(before));
    } finally {
      await db.close();
    }
  });
  // ShaleDB does the same; SlateDB reads what it closed.
  await withTempDir(async (dir) => {
    const db = await Db.open('db', `file://${dir}`, { settings: noWal, mergeOperator: concat });
    for (const b of batches) await db.write(toWriteBatch(b), { awaitDurable: false });
    const before = await shaleScan(db);
    assert.equal(db.status().l0Count, 0);
    await db.close();
    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat', settings: { wal_enabled: false } });
    try {
      assert.deepEqual(show(await slate.scan()), show(before));
    } finally {
      await slate.close('shutdown');
    }
  });
});
