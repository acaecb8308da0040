/**
 * Database interop with the real SlateDB 0.12.1 (@slatedb/uniffi) on one `file://` directory, both ways:
 * - SlateDB writes (puts, deletes, merges with a concatenating operator, TTLs, flushed L0s and an unflushed WAL
 *   tail), is dropped without shutdown, and ShaleDB opens the directory and reads exactly what SlateDB read;
 * - ShaleDB writes the same kind of workload and SlateDB opens and reads exactly what ShaleDB read;
 * - fencing both ways: when one engine opens a live database, the other's next durable write fails as fenced,
 *   and every write it acknowledged before is read back by the new owner.
 * Method: SlateDB's own scan and ShaleDB's scan are compared row by row (key, value, seq, createTs, expireTs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Db } from '../../src/db/db.js';
import { isShaleDBError } from '../../src/util/errors.js';
import { testSeed } from '../../src/util/random.js';
import { concat, shaleScan, showRows, toWriteBatch } from '../support/db-interop.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { requireOracle } from '../support/slatedb-oracle.js';
import { runOracleJob, scanRows } from '../support/slatedb-oracle-process.js';
import { RemoteOracle } from '../support/slatedb-remote.js';
import { makeWorkload, type VisibleRow, type WorkloadOp } from '../support/slatedb-workload.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

const show = (rows: readonly VisibleRow[]) => showRows(rows, true);

async function shaleWrite(db: Db, ops: readonly WorkloadOp[]): Promise<void> {
  await db.write(toWriteBatch(ops));
}

test('SlateDB writes, ShaleDB reads the same rows, then writes on for SlateDB', async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const spec = {
      seed,
      memtables: [
        [12, 12],
        [12, 12],
        [20, 20],
      ],
    };
    const job = await runOracleJob({
      kind: 'workload',
      options: { dir, mergeOperator: 'concat' },
      spec,
      compact: false,
    });
    const run = { scan: scanRows(job) };
    assert.ok(run.scan.length > 20);

    const db = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat });
    assert.deepEqual(show(await shaleScan(db)), show(run.scan));
    for (const r of run.scan)
      assert.deepEqual(new Uint8Array((await db.get(r.key))!), new Uint8Array(r.value));
    assert.equal(db.status().l0Count, 2);

    const more = makeWorkload({ seed: seed + 1, memtables: [[15, 15], [15]] });
    await shaleWrite(db, more.memtables[0]![0]!);
    await shaleWrite(db, more.memtables[0]![1]!);
    await db.flush({ type: 'memtable' });
    await shaleWrite(db, more.memtables[1]![0]!);
    const expected = await shaleScan(db);
    await db.close();

    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat' });
    try {
      assert.deepEqual(show(await slate.scan()), show(expected));
    } finally {
      await slate.close('shutdown');
    }
  });
});

test('ShaleDB writes, SlateDB reads the same rows', async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const workload = makeWorkload({ seed, memtables: [[20, 20], [20], [25, 25]] });
    const db = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat });
    const n = workload.memtables.length;
    for (let i = 0; i < n; i++) {
      for (const batch of workload.memtables[i]!) await shaleWrite(db, batch);
      if (i < n - 1) await db.flush({ type: 'memtable' });
    }
    const expected = await shaleScan(db);
    await db.close();

    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat' });
    try {
      assert.deepEqual(show(await slate.scan()), show(expected));
    } finally {
      await slate.close('shutdown');
    }
  });
});

test('fencing both ways: the newer engine owns the database, nothing acknowledged is lost', async () => {
  await requireOracle();
  await withTempDir(async (dir) => {
    const enc = new TextEncoder();
    // ShaleDB is fenced by SlateDB.
    const shale = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat });
    for (let i = 0; i < 20; i++) await shale.put(`s${i}`, `v${i}`);
    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat' });
    await assert.rejects(
      shale.put('late', 'x'),
      (e) => isShaleDBError(e, 'closed') && e.closeReason === 'fenced',
    );
    await shale.close().catch(() => {});
    const seen = new Map(
      (await slate.scan()).map((r) => [Buffer.from(r.key).toString(), Buffer.from(r.value).toString()]),
    );
    for (let i = 0; i < 20; i++) assert.equal(seen.get(`s${i}`), `v${i}`);
    assert.equal(seen.has('late'), false);

    // SlateDB is fenced by ShaleDB.
    for (let i = 0; i < 20; i++)
      await slate.write([{ type: 'put', key: enc.encode(`r${i}`), value: enc.encode(`w${i}`) }]);
    const shale2 = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat });
    await assert.rejects(
      slate.write([{ type: 'put', key: enc.encode('late2'), value: enc.encode('x') }]),
      (e: unknown) => {
        const msg = String((e as Error).message ?? e);
        return /fenc|newer|closed/i.test(msg);
      },
    );
    await slate.close('drop');
    for (let i = 0; i < 20; i++) {
      assert.equal(Buffer.from((await shale2.get(`r${i}`))!).toString(), `w${i}`);
      assert.equal(Buffer.from((await shale2.get(`s${i}`))!).toString(), `v${i}`);
    }
    assert.equal(await shale2.get('late2'), undefined);
    await shale2.close();
  });
});
