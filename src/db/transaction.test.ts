/**
 * Transactions: the anomaly classes snapshot isolation prevents (dirty read, non-repeatable read, read skew, lost
 * update) and the ones only serializable snapshot isolation prevents (write skew, phantoms), conflicts with plain
 * writes, and which parts of a scanned range SSI tracks (partial scans, seeks, empty ranges, both orders).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitOutcome, isConflict, rows, str, withDb } from '../../test/support/txn-helpers.js';
import type { DbTransaction } from './transaction.js';
import { WriteBatch } from './write-batch.js';

for (const level of ['snapshot', 'serializableSnapshot'] as const) {
  test(`${level}: dirty read is prevented (uncommitted writes are invisible to others)`, async () => {
    await withDb(async (db) => {
      await db.put('x', '1');
      const t1 = await db.begin(level);
      t1.put('x', '2');
      const t2 = await db.begin(level);
      assert.equal(str(await t2.get('x')), '1');
      assert.equal(str(await db.get('x')), '1');
      t1.rollback();
      assert.equal(str(await t2.get('x')), '1');
      assert.equal(await commitOutcome(t2), 'ok');
      assert.equal(str(await db.get('x')), '1');
    });
  });

  test(`${level}: non-repeatable read is prevented (a read repeats its value)`, async () => {
    await withDb(async (db) => {
      await db.put('x', '1');
      const t1 = await db.begin(level);
      assert.equal(str(await t1.get('x')), '1');
      await db.put('x', '2');
      const t2 = await db.begin(level);
      t2.put('x', '3');
      await t2.commit();
      assert.equal(str(await t1.get('x')), '1');
      assert.deepEqual(await rows(t1.scan()), ['x=1']);
      t1.rollback();
    });
  });

  test(`${level}: read skew is prevented (reads come from one snapshot)`, async () => {
    await withDb(async (db) => {
      await db.put('x', '50');
      await db.put('y', '50');
      const t1 = await db.begin(level);
      assert.equal(str(await t1.get('x')), '50');
      const t2 = await db.begin(level);
      t2.put('x', '10');
      t2.put('y', '90');
      await t2.commit();
      assert.equal(str(await t1.get('y')), '50', 'y from the same snapshot as x: the sum stays 100');
      // Read-only: SI commits it; SSI checks its reads even without writes (as 0.12.1), and x and y were written.
      const outcome = await commitOutcome(t1);
      assert.equal(outcome, level === 'snapshot' ? 'ok' : 'conflict');
    });
  });

  test(`${level}: lost update is prevented (write-write conflict)`, async () => {
    await withDb(async (db) => {
      await db.put('counter', '0');
      const t1 = await db.begin(level);
      const t2 = await db.begin(level);
      const v1 = Number(str(await t1.get('counter')));
      const v2 = Number(str(await t2.get('counter')));
      t1.put('counter', String(v1 + 1));
      t2.put('counter', String(v2 + 1));
      assert.equal(await commitOutcome(t1), 'ok');
      assert.equal(await commitOutcome(t2), 'conflict');
      assert.equal(str(await db.get('counter')), '1');
    });
  });

  test(`${level}: a plain put committed after the transaction began conflicts with its write`, async () => {
    await withDb(async (db) => {
      const t1 = await db.begin(level);
      t1.put('k', 'txn');
      await db.put('k', 'plain');
      await assert.rejects(t1.commit(), isConflict);
      assert.equal(str(await db.get('k')), 'plain');
      assert.ok(t1.completed);
      // Writes committed before the transaction began never conflict.
      const t2 = await db.begin(level);
      t2.put('k', 'txn2');
      assert.equal(await commitOutcome(t2), 'ok');
      assert.equal(str(await db.get('k')), 'txn2');
    });
  });

  test(`${level}: a batch write of other keys does not conflict; one of its keys does`, async () => {
    await withDb(async (db) => {
      const t1 = await db.begin(level);
      t1.put('a', '1');
      await db.write(new WriteBatch().put('b', '1').delete('c'));
      assert.equal(await commitOutcome(t1), 'ok');
      const t2 = await db.begin(level);
      t2.delete('c');
      await db.write(new WriteBatch().put('b', '2').merge('c', 'm'));
      assert.equal(await commitOutcome(t2), 'conflict');
    });
  });
}

test('write skew: snapshot isolation allows it, serializableSnapshot prevents it', async () => {
  for (const level of ['snapshot', 'serializableSnapshot'] as const) {
    await withDb(async (db) => {
      // Invariant the application keeps: at least one doctor on call.
      await db.put('oncall/alice', '1');
      await db.put('oncall/bob', '1');
      const t1 = await db.begin(level);
      const t2 = await db.begin(level);
      const count = async (t: DbTransaction) =>
        Number(str(await t.get('oncall/alice'))) + Number(str(await t.get('oncall/bob')));
      assert.equal(await count(t1), 2);
      assert.equal(await count(t2), 2);
      t1.put('oncall/alice', '0');
      t2.put('oncall/bob', '0');
      assert.equal(await commitOutcome(t1), 'ok');
      const second = await commitOutcome(t2);
      const onCall = Number(str(await db.get('oncall/alice'))) + Number(str(await db.get('oncall/bob')));
      if (level === 'snapshot') {
        assert.equal(second, 'ok', 'SI allows write skew');
        assert.equal(onCall, 0);
      } else {
        assert.equal(second, 'conflict', 'SSI prevents write skew');
        assert.equal(onCall, 1);
      }
    });
  }
});

test('phantom: a scan-then-write commits under SI but conflicts under SSI when a key appears in the range', async () => {
  for (const level of ['snapshot', 'serializableSnapshot'] as const) {
    for (const order of ['asc', 'desc'] as const) {
      await withDb(async (db) => {
        await db.put('task/1', 'a');
        await db.put('zzz', 'outside');
        const t1 = await db.begin(level);
        assert.deepEqual(await rows(t1.scanPrefix('task/', { order })), ['task/1=a']);
        t1.put('summary', 'one task');
        await db.put('task/2', 'b'); // a phantom: inside the scanned range, not a key t1 read
        assert.deepEqual(await rows(t1.scanPrefix('task/')), ['task/1=a'], 'the snapshot does not see it');
        assert.equal(await commitOutcome(t1), level === 'snapshot' ? 'ok' : 'conflict');
      });
    }
  }
});

test('SSI: a phantom in an empty scanned range conflicts (0.12.1 misses this; see docs/transactions.md)', async () => {
  await withDb(async (db) => {
    const t1 = await db.begin('serializableSnapshot');
    assert.deepEqual(await rows(t1.scanPrefix('task/')), []);
    t1.put('summary', 'no tasks');
    await db.put('task/9', 'x');
    await assert.rejects(t1.commit(), isConflict);
  });
});

test('SSI: writes outside the covered part of a partially read scan do not conflict', async () => {
  await withDb(async (db) => {
    for (const k of ['r/1', 'r/3', 'r/5', 'r/7']) await db.put(k, k);
    // Ascending: read two keys, so r/1..r/3 is covered; a write at r/6 is outside.
    const t1 = await db.begin('serializableSnapshot');
    const it = t1.scanPrefix('r/');
    assert.equal(str((await it.next())?.key), 'r/1');
    assert.equal(str((await it.next())?.key), 'r/3');
    it.close();
    t1.put('w', '1');
    await db.put('r/6', 'x');
    assert.equal(await commitOutcome(t1), 'ok');
    // Descending: read r/7 then r/6, so r/6..end is covered; a write at r/65 is inside.
    const t2 = await db.begin('serializableSnapshot');
    const it2 = t2.scanPrefix('r/', { order: 'desc' });
    assert.equal(str((await it2.next())?.key), 'r/7');
    assert.equal(str((await it2.next())?.key), 'r/6');
    t2.put('w', '2');
    await db.put('r/2', 'x'); // below the covered part
    const t3 = await db.begin('serializableSnapshot');
    t3.put('w3', '1');
    assert.equal(await commitOutcome(t3), 'ok');
    await db.put('r/65', 'x');
    assert.equal(await commitOutcome(t2), 'conflict');
  });
});

test('SSI: a seek skips the keys between the last returned key and the seek key', async () => {
  await withDb(async (db) => {
    for (const k of ['s/1', 's/5', 's/9']) await db.put(k, k);
    const t1 = await db.begin('serializableSnapshot');
    const it = t1.scan({ gte: 's/', lt: 's/~' });
    assert.equal(str((await it.next())?.key), 's/1');
    await it.seek('s/8');
    assert.equal(str((await it.next())?.key), 's/9');
    t1.put('w', '1');
    await db.put('s/3', 'skipped'); // in [s/1, s/8): never read
    assert.equal(await commitOutcome(t1), 'ok');
  });
});
