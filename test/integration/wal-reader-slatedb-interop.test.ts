/**
 * WalReader interop with the real SlateDB 0.12.1 (@slatedb/uniffi), both ways, on one `file://` directory:
 * - SlateDB writes a workload (puts, deletes, merges, TTLs, several memtables) and is dropped; ShaleDB's WalReader
 *   lists exactly the WAL files SlateDB's own WalReader lists and reads exactly the same rows from each (kind,
 *   key, value, seq, createTs, expireTs), fences included;
 *   and its follow yields those rows in the same order;
 * - ShaleDB writes such a workload; SlateDB's WalReader reads the same files and rows as ShaleDB's, and the
 *   metadata (size, location) of every file agrees.
 * Method: both readers' output compared file by file and row by row.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Db } from '../../src/db/db.js';
import type { RowEntry as WalRow } from '../../src/db/wal-files.js';
import { WalReader } from '../../src/db/wal-reader.js';
import type { RowEntry } from '../../src/format/row.js';
import { testSeed } from '../../src/util/random.js';
import { concat, toWriteBatch } from '../support/db-interop.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { oracleWalRows, requireOracle } from '../support/slatedb-oracle.js';
import { runOracleJob, walRowsOf } from '../support/slatedb-oracle-process.js';
import { makeWorkload } from '../support/slatedb-workload.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

function toStored(r: WalRow): RowEntry {
  return {
    key: r.key,
    value: r.value ?? new Uint8Array(0),
    seq: Number(r.seq),
    kind: r.kind,
    createTs: r.createTs,
    expireTs: r.expireTs,
  };
}

function show(m: Map<number, RowEntry[]>): string[] {
  const out: string[] = [];
  for (const [id, rows] of [...m].sort((a, b) => a[0] - b[0])) {
    out.push(`file ${id}: ${rows.length} rows`);
    for (const r of rows)
      out.push(
        `  ${r.kind} ${Buffer.from(r.key).toString('hex')}=${Buffer.from(r.value).toString('hex')} seq ${r.seq} ct ${r.createTs} et ${r.expireTs}`,
      );
  }
  return out;
}

async function shaleWalRows(dir: string): Promise<Map<number, RowEntry[]>> {
  const reader = await WalReader.open('db', `file://${dir}`);
  const out = new Map<number, RowEntry[]>();
  try {
    for (const f of await reader.list()) {
      const rows: RowEntry[] = [];
      for await (const r of await f.iterator()) rows.push(toStored(r));
      out.set(Number(f.id), rows);
    }
  } finally {
    await reader.close();
  }
  return out;
}

test("SlateDB writes the WAL; ShaleDB's WalReader reads what SlateDB's WalReader reads", async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const job = await runOracleJob({
      kind: 'workload',
      options: { dir, mergeOperator: 'concat' },
      spec: { seed, memtables: [[15, 15], [20], [10, 10, 10]] },
      compact: false,
    });
    const theirs = walRowsOf(job);
    const ours = await shaleWalRows(dir);
    assert.ok(theirs.size >= 2, 'SlateDB wrote WAL files');
    const kinds = new Set([...ours.values()].flat().map((r) => r.kind));
    assert.deepEqual([...kinds].sort(), ['merge', 'tombstone', 'value'], 'every row kind is covered');
    assert.ok(
      [...ours.values()].flat().some((r) => r.expireTs !== undefined),
      'TTL rows are covered',
    );
    assert.deepEqual(show(ours), show(theirs));

    // follow over the same WAL yields SlateDB's rows in file order, each tagged with its file.
    const reader = await WalReader.open('db', `file://${dir}`);
    const expected: string[] = [];
    for (const [id, rows] of [...theirs].sort((a, b) => a[0] - b[0]))
      for (const r of rows) expected.push(`${id} ${show(new Map([[0, [r]]]))[1]}`);
    const followed: string[] = [];
    const follower = reader.follow({ pollIntervalMs: 5 });
    for await (const r of follower) {
      followed.push(`${r.walId} ${show(new Map([[0, [toStored(r)]]]))[1]}`);
      if (followed.length === expected.length) break;
    }
    await reader.close();
    assert.deepEqual(followed, expected);
  });
});

test("ShaleDB writes the WAL; SlateDB's WalReader reads what ShaleDB's reads, with the same metadata", async () => {
  const m = await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const workload = makeWorkload({ seed, memtables: [[20, 20], [20], [25, 25]] });
    const db = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat });
    for (let i = 0; i < workload.memtables.length; i++) {
      for (const batch of workload.memtables[i]!) {
        await db.write(toWriteBatch(batch));
      }
      if (i < workload.memtables.length - 1) await db.flush({ type: 'memtable' });
    }
    await db.close();
    const ours = await shaleWalRows(dir);
    const theirs = await oracleWalRows(m, dir, 'db');
    assert.ok(ours.size >= 5);
    assert.deepEqual(show(theirs), show(ours));

    const store = m.ObjectStore.resolve(`file://${dir}`);
    const slateReader = new m.WalReader('db', store);
    const reader = await WalReader.open('db', `file://${dir}`);
    try {
      const files = await slateReader.list(undefined, undefined);
      const mine = await reader.list();
      assert.deepEqual(
        mine.map((f) => f.id),
        files.map((f) => BigInt(f.id())),
      );
      for (const f of files) {
        const meta = await f.metadata();
        const ourMeta = await reader.get(f.id()).metadata();
        assert.equal(ourMeta.sizeBytes, Number(meta.size_bytes));
        assert.equal(ourMeta.location, meta.location);
        const theirMs =
          Number(meta.last_modified_seconds) * 1000 + Math.floor(meta.last_modified_nanos / 1e6);
        assert.ok(
          Math.abs(ourMeta.lastModifiedMs - theirMs) <= 1000,
          `${ourMeta.lastModifiedMs} vs ${theirMs}`,
        );
        f.dispose();
      }
      // Both agree on ranges: start inclusive, end exclusive.
      const ids = mine.map((f) => f.id);
      const [a, b] = [ids[1]!, ids[3]!];
      const theirRange = await slateReader.list(a, b);
      assert.deepEqual(
        (await reader.list(a, b)).map((f) => f.id),
        theirRange.map((f) => BigInt(f.id())),
      );
      for (const f of theirRange) f.dispose();
    } finally {
      await reader.close();
      slateReader.dispose();
      store.dispose();
    }
  });
});
