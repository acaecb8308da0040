/**
 * The local WAL journal tier and the real SlateDB 0.12.1 (@slatedb/uniffi) on one `file://` directory: what the
 * journal acknowledged and a later open shipped is read by SlateDB exactly as ShaleDB reads it (the journal adds
 * no format: WAL SSTs are what reach object storage); and when SlateDB opens the database while a ShaleDB journal
 * still holds unshipped writes, the journal is refused as stale afterwards instead of resurrecting them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Db } from '../../src/db/db.js';
import { isShaleDBError } from '../../src/util/errors.js';
import { testSeed } from '../../src/util/random.js';
import { concat, shaleScan, showRows, toWriteBatch } from '../support/db-interop.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { requireOracle } from '../support/slatedb-oracle.js';
import { RemoteOracle } from '../support/slatedb-remote.js';
import { makeWorkload, type VisibleRow } from '../support/slatedb-workload.js';

// An hour between WAL flushes: after the first write, only the journal makes writes durable.
const settings = { flushInterval: '1h', compactorOptions: null, garbageCollectorOptions: null } as const;
const show = (rows: readonly VisibleRow[]) => showRows(rows, true);

test('writes acknowledged by the journal, shipped after a crash, are read by SlateDB 0.12.1', async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const walJournal = { dir: join(dir, 'journal') };
    const workload = makeWorkload({
      seed,
      memtables: [
        [20, 20],
        [25, 25],
      ],
    });
    const db = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat, walJournal });
    for (const batch of workload.memtables[0]!) await db.write(toWriteBatch(batch));
    await db.flush({ type: 'memtable' });
    for (const batch of workload.memtables[1]!) await db.write(toWriteBatch(batch));
    const expected = await shaleScan(db);
    assert.ok(db.status().durableSeq < db.status().lastCommittedSeq, 'some writes exist only in the journal');
    await db.inner.simulateCrash();

    // The journal's tail is shipped by the next open.
    const again = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat, walJournal });
    assert.deepEqual(show(await shaleScan(again)), show(expected));
    await again.close();

    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat' });
    try {
      assert.deepEqual(show(await slate.scan()), show(expected));
    } finally {
      await slate.close('shutdown');
    }
  });
});

test('SlateDB opening the database makes an unshipped journal stale: refused, not resurrected', async () => {
  await requireOracle();
  await withTempDir(async (dir) => {
    const walJournal = { dir: join(dir, 'journal') };
    const db = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat, walJournal });
    await db.put('shipped', '1');
    await db.flush();
    for (let i = 0; i < 10; i++) await db.put(`local${i}`, `v${i}`);
    await db.inner.simulateCrash();

    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat' });
    const seen = new Set((await slate.scan()).map((r) => Buffer.from(r.key).toString()));
    await slate.close('shutdown');
    assert.ok(seen.has('shipped'));
    assert.equal(seen.has('local0'), false, 'SlateDB never saw the journal-only writes');

    await assert.rejects(
      Db.open('db', `file://${dir}`, { settings, mergeOperator: concat, walJournal }),
      (e) => isShaleDBError(e, 'data', 'JOURNAL_STALE'),
    );
    const d2 = await Db.open('db', `file://${dir}`, {
      settings,
      mergeOperator: concat,
      walJournal: { ...walJournal, discardStale: true },
    });
    assert.equal(await d2.get('local0'), undefined);
    assert.equal(Buffer.from((await d2.get('shipped'))!).toString(), '1');
    await d2.close();
  });
});
