/**
 * Checkpoint and reader interop with the real SlateDB 0.12.1 (@slatedb/uniffi) on one `file://` directory:
 * - SlateDB's reader creates its checkpoint (10 minutes, pinning the version that adds it); ShaleDB lists it, and
 *   a ShaleDB reader pinned to it sees exactly what SlateDB's readers (the one that made it, and one pinned to it)
 *   see, although a SlateDB writer wrote on meanwhile; a ShaleDB managed reader follows that writer;
 * - ShaleDB's Db.createCheckpoint (scope 'durable' and 'all') is read by SlateDB's reader pinned to it, exactly as
 *   ShaleDB's own pinned reader reads it, and SlateDB's managed reader beside a live ShaleDB writer neither fences
 *   it nor misses a durable write.
 * Method: full scans compared row by row (key, value, seq, createTs, expireTs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listCheckpoints } from '../../src/db/checkpoint.js';
import { Db } from '../../src/db/db.js';
import { DbReader } from '../../src/db/db-reader.js';
import { testSeed } from '../../src/util/random.js';
import { concat, shaleScan, showRows, toWriteBatch } from '../support/db-interop.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { OracleDb, requireOracle } from '../support/slatedb-oracle.js';
import { OracleReader } from '../support/slatedb-reader.js';
import { makeWorkload, type VisibleRow } from '../support/slatedb-workload.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;
const show = (rows: readonly VisibleRow[]) => showRows(rows, true);

test("SlateDB's reader checkpoint: a ShaleDB reader pinned to it sees exactly SlateDB's view", async () => {
  const m = await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const url = `file://${dir}`;
    const w = makeWorkload({ seed, memtables: [[12, 12], [15, 15], [10]] });
    const writer = await OracleDb.open(m, { dir });
    for (const b of w.memtables[0]!) await writer.write(b);
    await writer.flushMemtable();
    for (const b of w.memtables[1]!) await writer.write(b);
    await writer.close('shutdown');

    const slateReader = await OracleReader.open(m, dir);
    const slateView = await slateReader.scan();
    assert.ok(slateView.length > 20);
    const cps = await listCheckpoints('db', url);
    assert.equal(cps.length, 1);
    const cp = cps[0]!;
    assert.equal(cp.expireTime!.getTime() - cp.createTime.getTime(), 600_000);
    assert.equal(cp.name, undefined);

    // SlateDB writes on: the checkpoint's state must not change.
    const writer2 = await OracleDb.open(m, { dir });
    for (const b of w.memtables[2]!) await writer2.write(b);
    await writer2.flushMemtable();
    await writer2.write([{ type: 'put', key: Buffer.from('zz-after'), value: Buffer.from('1') }]);

    const pinned = await DbReader.open('db', url, { checkpointId: cp.id, mergeOperator: concat });
    assert.equal(pinned.status().manifestId, cp.manifestId);
    assert.deepEqual(show(await shaleScan(pinned)), show(slateView));
    const slatePinned = await OracleReader.open(m, dir, { checkpointId: cp.id });
    assert.deepEqual(show(await slatePinned.scan()), show(slateView));

    // A ShaleDB managed reader follows the live SlateDB writer.
    const follower = await DbReader.open('db', url, { mergeOperator: concat });
    const latest = await writer2.scan();
    assert.ok(latest.some((r) => Buffer.from(r.key).toString() === 'zz-after'));
    assert.deepEqual(show(await shaleScan(follower)), show(latest));
    assert.equal((await listCheckpoints('db', url)).length, 2);
    await follower.close();
    await slatePinned.close();
    await pinned.close();
    await slateReader.close();
    // Both managed readers removed their checkpoints on close.
    assert.deepEqual(await listCheckpoints('db', url), []);
    await writer2.write([{ type: 'put', key: Buffer.from('zz-still-writing'), value: Buffer.from('1') }]);
    await writer2.close('shutdown');
  });
});

test("ShaleDB's checkpoints ('durable' and 'all'): SlateDB's pinned reader sees exactly ShaleDB's view", async () => {
  const m = await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const url = `file://${dir}`;
    const w = makeWorkload({ seed: seed + 7, memtables: [[12, 12], [15, 15], [10, 10], [5]] });
    const db = await Db.open('db', url, { settings, mergeOperator: concat });
    for (const b of w.memtables[0]!) await db.write(toWriteBatch(b));
    await db.flush({ type: 'memtable' });
    for (const b of w.memtables[1]!) await db.write(toWriteBatch(b));
    const durable = await db.createCheckpoint({ scope: 'durable', name: 'interop' });
    const atDurable = await shaleScan(db);

    // Unacknowledged-durability writes, then an 'all' checkpoint: it must hold them.
    for (const b of w.memtables[2]!) await db.write(toWriteBatch(b), { awaitDurable: false });
    const all = await db.createCheckpoint({ scope: 'all', lifetime: '1h' });
    const atAll = await shaleScan(db);
    assert.notDeepEqual(show(atAll), show(atDurable));
    for (const b of w.memtables[3]!) await db.write(toWriteBatch(b));

    for (const [cp, expected] of [
      [durable, atDurable],
      [all, atAll],
    ] as const) {
      const slate = await OracleReader.open(m, dir, { checkpointId: cp.id });
      const shale = await DbReader.open('db', url, { checkpointId: cp.id, mergeOperator: concat });
      assert.deepEqual(show(await slate.scan()), show(expected), `SlateDB on ${cp.id}`);
      assert.deepEqual(show(await shaleScan(shale)), show(expected), `ShaleDB on ${cp.id}`);
      await slate.close();
      await shale.close();
    }

    // SlateDB's managed reader beside the live ShaleDB writer: sees every durable write, fences nothing.
    const slateManaged = await OracleReader.open(m, dir);
    assert.deepEqual(show(await slateManaged.scan()), show(await shaleScan(db)));
    const named = await db.listCheckpoints('interop');
    assert.deepEqual(
      named.map((c) => c.id),
      [durable.id],
    );
    assert.equal((await db.listCheckpoints()).length, 3);
    await slateManaged.close();
    assert.equal((await db.listCheckpoints()).length, 2);
    await db.put('still-mine', '1');
    assert.equal(db.status().closeReason, undefined);
    await db.close();
  });
});
