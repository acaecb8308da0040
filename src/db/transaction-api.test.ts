/**
 * Transactions: read-your-writes for get and scans in both orders (merges folded over the database value), seeks,
 * TTLs, markRead/unmarkWrite, empty commits, lifecycle and input errors, caller buffers, closed and fenced databases,
 * snapshot pinning and the pruning of conflict state, and concurrent workers with retries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitOutcome, isConflict, rows, settings, str, withDb } from '../../test/support/txn-helpers.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';

test('read-your-writes: get, getKeyValue and scans (both orders) see pending puts, deletes and merges', async () => {
  await withDb(async (db) => {
    await db.put('a', 'A');
    await db.put('b', 'B');
    await db.put('c', 'C');
    await db.merge('m', 'x');
    const t = await db.begin('snapshot');
    t.put('b', 'B2');
    t.delete('c');
    t.put('d', 'D');
    t.merge('a', '+1');
    t.merge('a', '+2');
    t.merge('m', 'y');
    t.merge('n', 'only');
    t.delete('e');
    t.merge('e', 'after-delete');
    assert.equal(str(await t.get('a')), 'A+1+2');
    assert.equal(str(await t.get('b')), 'B2');
    assert.equal(await t.get('c'), undefined);
    assert.equal(str(await t.get('m')), 'xy');
    assert.equal(str(await t.get('n')), 'only');
    assert.equal(str(await t.get('e')), 'after-delete');
    const kv = await t.getKeyValue('b');
    assert.equal(kv?.seq, 0xffff_ffff_ffff_ffffn, 'a pending value shows seq u64::MAX, as in 0.12.1');
    assert.equal(kv?.createTs, undefined);
    const dbKv = await t.getKeyValue('a');
    assert.equal(str(dbKv?.value), 'A+1+2');
    const expected = ['a=A+1+2', 'b=B2', 'd=D', 'e=after-delete', 'm=xy', 'n=only'];
    assert.deepEqual(await rows(t.scan()), expected);
    assert.deepEqual(await rows(t.scan(undefined, { order: 'desc' })), [...expected].reverse());
    assert.deepEqual(await rows(t.scan({ gt: 'a', lte: 'e' })), ['b=B2', 'd=D', 'e=after-delete']);
    // Others do not see the pending writes; after commit everyone does, as ordinary rows.
    assert.equal(str(await db.get('b')), 'B');
    const h = await t.commit();
    assert.ok(h !== undefined && h.seq > 0n);
    const all: string[] = [];
    for await (const r of db.scan()) all.push(`${Buffer.from(r.key)}=${Buffer.from(r.value)}`);
    assert.deepEqual(all, expected);
    const committed = await db.getKeyValue('b');
    assert.equal(committed?.seq, h.seq, 'every row of the commit has its seq');
    assert.equal((await db.getKeyValue('a'))?.seq, h.seq);
  });
});

test('a scan limit counts what the transaction sees: pending deletes and puts are merged in before the limit', async () => {
  await withDb(async (db) => {
    for (const k of ['b', 'c', 'd']) await db.put(k, k.toUpperCase());
    const t = await db.begin('snapshot');
    t.delete('b');
    t.delete('c');
    assert.deepEqual(await rows(t.scan(undefined, { limit: 2 })), ['d=D']);
    t.put('a', 'A');
    t.put('aa', 'AA');
    assert.deepEqual(await rows(t.scan(undefined, { limit: 2 })), ['a=A', 'aa=AA']);
    assert.deepEqual(await rows(t.scan(undefined, { limit: 2, order: 'desc' })), ['d=D', 'aa=AA']);
    assert.deepEqual(await rows(t.scan(undefined, { limit: 0 })), []);
    await t.rollback();
  });
});

test('under SSI a limited scan protects only the keys it reached: a write past them does not conflict', async () => {
  await withDb(async (db) => {
    for (const k of ['a', 'b', 'c']) await db.put(k, k);
    const t = await db.begin('serializableSnapshot');
    assert.deepEqual(await rows(t.scan(undefined, { limit: 1 })), ['a=a']);
    t.put('x', '1');
    await db.put('z', 'after');
    assert.equal(await commitOutcome(t), 'ok');
    const t2 = await db.begin('serializableSnapshot');
    assert.deepEqual(await rows(t2.scan(undefined, { limit: 1 })), ['a=a']);
    t2.put('x', '2');
    await db.put('a', 'changed');
    assert.equal(await commitOutcome(t2), 'conflict');
  });
});

test('a scan sees the writes buffered when it was opened, not later ones; seek works over both sources', async () => {
  await withDb(async (db) => {
    for (const k of ['k1', 'k3', 'k5']) await db.put(k, 'db');
    const t = await db.begin('snapshot');
    t.put('k2', 'tx');
    t.put('k4', 'tx');
    const it = t.scan();
    t.put('k0', 'late');
    t.delete('k3');
    assert.equal(str((await it.next())?.key), 'k1');
    await it.seek('k3');
    assert.deepEqual(
      (await it.nextBatch(10)).map((kv) => `${Buffer.from(kv.key)}=${Buffer.from(kv.value)}`),
      ['k3=db', 'k4=tx', 'k5=db'],
    );
    await assert.rejects(it.seek('k2'), (e) => isShaleDBError(e, 'invalid', 'SEEK_KEY_BEHIND'));
    assert.deepEqual(await rows(t.scan()), ['k0=late', 'k1=db', 'k2=tx', 'k4=tx', 'k5=db']);
    const d = t.scan(undefined, { order: 'desc' });
    assert.equal(str((await d.next())?.key), 'k5');
    await d.seek('k2');
    assert.deepEqual(await rows(d), ['k2=tx', 'k1=db', 'k0=late']);
    await assert.rejects(t.scan({ gte: 'k1', lt: 'k4' }).seek('k9'), (e) =>
      isShaleDBError(e, 'invalid', 'SEEK_KEY_OUT_OF_RANGE'),
    );
    t.rollback();
  });
});

test('pending TTL options become expiry times at commit', async () => {
  await withDb(async (db) => {
    const t = await db.begin('snapshot');
    t.put('ttl', 'v', { ttl: 60_000 });
    t.put('abs', 'v', { ttl: { expireAt: 4_000_000_000_000 } });
    const h = await t.commit();
    assert.ok(h !== undefined);
    const kv = await db.getKeyValue('ttl');
    assert.ok(kv?.createTs !== undefined && kv.expireTs === kv.createTs + 60_000);
    assert.equal((await db.getKeyValue('abs'))?.expireTs, 4_000_000_000_000);
    const t2 = await db.begin('snapshot');
    assert.throws(
      () => t2.put('x', 'v', { ttl: -1 }),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_TTL'),
    );
    t2.rollback();
  });
});

test('markRead makes a snapshot transaction conflict on a read key; unmarkWrite drops a key from conflicts', async () => {
  await withDb(async (db) => {
    const t1 = await db.begin('snapshot');
    await t1.get('guard'); // not tracked under SI
    t1.put('out', '1');
    await db.put('guard', 'changed');
    assert.equal(await commitOutcome(t1), 'ok');

    const t2 = await db.begin('snapshot');
    t2.markRead(['guard']);
    t2.put('out', '2');
    await db.put('guard', 'changed again');
    assert.equal(await commitOutcome(t2), 'conflict');

    // unmarkWrite before or after the write: the key is written but neither conflicts nor causes conflicts.
    const t3 = await db.begin('snapshot');
    t3.unmarkWrite(['counter']);
    t3.put('counter', '3');
    t3.put('other', '3');
    const t4 = await db.begin('serializableSnapshot');
    await t4.get('counter');
    t4.put('x', '4');
    await db.put('counter', 'plain');
    assert.equal(await commitOutcome(t3), 'ok', 'the unmarked write does not conflict with the plain put');
    assert.equal(str(await db.get('counter')), '3', 'but it is written');
    assert.equal(await commitOutcome(t4), 'conflict', 'the plain put of counter is a conflict for t4');

    const t5 = await db.begin('serializableSnapshot');
    await t5.get('counter');
    t5.put('y', '5');
    const t6 = await db.begin('snapshot');
    t6.put('counter', '6');
    t6.unmarkWrite(['counter']);
    assert.equal(await commitOutcome(t6), 'ok');
    assert.equal(await commitOutcome(t5), 'ok', 'an unmarked write never makes others conflict');
  });
});

test('commit of an empty transaction returns undefined; under SSI its reads may still conflict', async () => {
  await withDb(async (db) => {
    const seqBefore = db.status().lastCommittedSeq;
    const t1 = await db.begin('snapshot');
    await t1.get('k');
    await db.put('k', 'v');
    assert.equal(await t1.commit(), undefined);
    assert.equal(db.status().lastCommittedSeq, seqBefore + 1n, 'an empty commit writes nothing');
    const t2 = await db.begin('serializableSnapshot');
    await t2.get('k');
    await db.put('k', 'v2');
    await assert.rejects(t2.commit(), isConflict);
  });
});

test('a transaction is unusable after commit, a failed commit or rollback (invalid TRANSACTION_COMPLETED)', async () => {
  await withDb(async (db) => {
    const completed = (e: unknown) => isShaleDBError(e, 'invalid', 'TRANSACTION_COMPLETED');
    const t1 = await db.begin('snapshot');
    t1.put('a', '1');
    const it = t1.scan();
    await t1.commit();
    assert.ok(t1.completed);
    await assert.rejects(t1.get('a'), completed);
    assert.throws(() => t1.put('a', '2'), completed);
    assert.throws(() => t1.delete('a'), completed);
    assert.throws(() => t1.merge('a', '2'), completed);
    assert.throws(() => t1.markRead(['a']), completed);
    assert.throws(() => t1.unmarkWrite(['a']), completed);
    assert.throws(() => t1.scan(), completed);
    assert.throws(() => t1.rollback(), completed);
    await assert.rejects(t1.commit(), completed);
    await assert.rejects(it.next(), completed, 'an iterator of a completed transaction fails too');

    const t2 = await db.begin('snapshot');
    t2.put('a', 'x');
    await db.put('a', 'y');
    await assert.rejects(t2.commit(), isConflict);
    await assert.rejects(t2.commit(), completed);

    // Two racing commits of one transaction: the second fails, the write happens once.
    const t3 = await db.begin('snapshot');
    t3.put('race', '1');
    const [r1, r2] = await Promise.allSettled([t3.commit(), t3.commit()]);
    assert.equal(r1.status, 'fulfilled');
    assert.ok(r2.status === 'rejected' && completed(r2.reason));
    assert.equal(db.inner.txns.activeCount, 0);
  });
});

test('bad input is invalid and changes nothing', async () => {
  await withDb(async (db) => {
    await assert.rejects(db.begin('serializable' as never), (e) =>
      isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
    );
    const t = await db.begin();
    assert.equal(t.isolation, 'snapshot', 'snapshot is the default, as in 0.12.1');
    assert.throws(
      () => t.put('', 'v'),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_KEY'),
    );
    assert.throws(
      () => t.markRead(['ok', '']),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_KEY'),
    );
    assert.throws(
      () => t.markRead('k' as never),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
    );
    await assert.rejects(t.get(''), (e) => isShaleDBError(e, 'invalid', 'INVALID_KEY'));
    assert.equal(await t.commit(), undefined, 'nothing was buffered');
  });
  await withDb(async (db) => {
    const t = await db.begin();
    assert.throws(
      () => t.merge('k', 'v'),
      (e) => isShaleDBError(e, 'invalid', 'MERGE_OPERATOR_MISSING'),
    );
    t.rollback();
  }, null);
});

test('the caller buffers are copied: changing them after put does not change the transaction', async () => {
  await withDb(async (db) => {
    const t = await db.begin();
    const key = new Uint8Array([1, 2]);
    const value = new Uint8Array([9]);
    t.put(key, value);
    key[0] = 7;
    value[0] = 8;
    const got = await t.get(new Uint8Array([1, 2]));
    assert.deepEqual(got, new Uint8Array([9]));
    got![0] = 5;
    assert.deepEqual(await t.get(new Uint8Array([1, 2])), new Uint8Array([9]), 'reads return copies');
    await t.commit();
    assert.deepEqual(await db.get(new Uint8Array([1, 2])), new Uint8Array([9]));
  });
});

test('a closed or fenced database fails transaction reads and commits as closed', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('txn', store, { settings });
  const t = await db.begin('snapshot');
  t.put('k', 'v');
  const empty = await db.begin('serializableSnapshot');
  await empty.get('k');
  await db.close();
  await assert.rejects(db.begin(), (e) => isShaleDBError(e, 'closed'));
  await assert.rejects(t.get('k'), (e) => isShaleDBError(e, 'closed'));
  await assert.rejects(t.commit(), (e) => isShaleDBError(e, 'closed'));
  assert.ok(t.completed);
  assert.equal(
    await empty.commit(),
    undefined,
    'an empty commit writes nothing, so it needs no open database',
  );

  const w1 = await Db.open('fence', store, { settings });
  const f = await w1.begin('snapshot');
  f.put('k', 'v');
  const w2 = await Db.open('fence', store, { settings });
  await assert.rejects(f.commit(), (e) => isShaleDBError(e, 'closed', 'FENCED'));
  assert.equal(await w2.get('k'), undefined, 'the fenced commit is not visible to the new writer');
  await w2.close();
  await w1.close().catch(() => {});
});

test('a transaction pins its start seq until it completes; conflict state is pruned', async () => {
  await withDb(async (db) => {
    const reg = db.inner.snapshots;
    await db.put('k', '1');
    const t1 = await db.begin('snapshot');
    assert.equal(reg.minSeq(), Number(t1.seq));
    await db.put('k', '2');
    await db.put('j', '2');
    const t2 = await db.begin('serializableSnapshot');
    await db.put('k', '3');
    assert.equal(db.inner.txns.recentCount, 3, 'writes after the oldest start are kept');
    // The memtable flush keeps the version t1 reads.
    await db.flush({ type: 'memtable' });
    assert.equal(str(await t1.get('k')), '1');
    t1.rollback();
    assert.equal(db.inner.txns.recentCount, 1, 'only the write after t2 began is still needed');
    assert.equal(reg.minSeq(), Number(t2.seq));
    t2.rollback();
    assert.equal(reg.minSeq(), undefined);
    assert.equal(db.inner.txns.recentCount, 0);
    await db.put('k', '4');
    assert.equal(db.inner.txns.recentCount, 0, 'nothing is tracked while no transaction is live');
  });
});

test('concurrent read-modify-write transactions with retries lose no update (SI) and keep a sum (SSI)', async () => {
  await withDb(async (db) => {
    await db.put('counter', '0');
    let conflicts = 0;
    const increment = async () => {
      for (;;) {
        const t = await db.begin('snapshot');
        const v = Number(str(await t.get('counter')));
        await new Promise((r) => setImmediate(r)); // let other workers interleave
        t.put('counter', String(v + 1));
        try {
          await t.commit({ awaitDurable: false });
          return;
        } catch (e) {
          if (!isConflict(e)) throw e;
          conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, () => Promise.all([increment(), increment(), increment()])));
    assert.equal(str(await db.get('counter')), '24', 'every increment counted once');
    assert.ok(conflicts > 0, 'the workers did interleave');

    // Transfers between accounts that each check the source balance: SSI keeps the total and no negative balance.
    const accounts = ['acct/a', 'acct/b', 'acct/c'];
    for (const a of accounts) await db.put(a, '10');
    const transfer = async (from: string, to: string, amount: number) => {
      for (;;) {
        const t = await db.begin('serializableSnapshot');
        const balances = await rows(t.scanPrefix('acct/'));
        const get = (k: string) => Number(balances.find((b) => b.startsWith(`${k}=`))!.split('=')[1]);
        await new Promise((r) => setImmediate(r));
        if (get(from) < amount) {
          t.rollback();
          return;
        }
        t.put(from, String(get(from) - amount));
        t.put(to, String(get(to) + amount));
        try {
          await t.commit({ awaitDurable: false });
          return;
        } catch (e) {
          if (!isConflict(e)) throw e;
        }
      }
    };
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) jobs.push(transfer(accounts[i % 3]!, accounts[(i + 1) % 3]!, 1 + (i % 7)));
    await Promise.all(jobs);
    const final = await Promise.all(accounts.map(async (a) => Number(str(await db.get(a)))));
    assert.equal(
      final.reduce((x, y) => x + y, 0),
      30,
      `total kept: ${final}`,
    );
    assert.ok(
      final.every((b) => b >= 0),
      `no negative balance: ${final}`,
    );
    assert.equal(db.inner.txns.activeCount, 0);
  });
});
