/**
 * Transactions against the real SlateDB 0.12.1 (@slatedb/uniffi):
 * - rows committed by ShaleDB transactions (puts, deletes, merges folded over stored values, TTLs) are ordinary
 *   rows: SlateDB opens the directory and reads exactly what ShaleDB reads (key, value, seq, createTs, expireTs);
 * - differential: one random script of concurrent transactions (both isolation levels: gets, puts, deletes, merges,
 *   markRead, unmarkWrite, commits, rollbacks; scans in snapshot transactions) and plain writes runs on SlateDB's
 *   DbTransaction and on ShaleDB's; every read, every commit outcome and the final contents must agree;
 * - the documented difference: an SSI scan that returned nothing does not protect its range in 0.12.1 (it tracks
 *   only the first..last key returned), while ShaleDB reports the phantom as a conflict.
 * Prints its seed; rerun with SHALEDB_SEED.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Db } from '../../src/db/db.js';
import type { DbTransaction } from '../../src/db/transaction.js';
import { isShaleDBError } from '../../src/util/errors.js';
import { SeededRand, testSeed } from '../../src/util/random.js';
import { concat, shaleScan, showRows } from '../support/db-interop.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { requireOracle } from '../support/slatedb-oracle.js';
import { RemoteOracle } from '../support/slatedb-remote.js';
import { type CommitOutcome, type SlateTxn, SlateTxnDb } from '../support/slatedb-txn-oracle.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;
const str = (v: Uint8Array | undefined) => (v === undefined ? undefined : Buffer.from(v).toString('latin1'));

async function shaleCommit(t: DbTransaction): Promise<CommitOutcome> {
  try {
    return (await t.commit()) === undefined ? 'empty' : 'ok';
  } catch (e) {
    if (isShaleDBError(e, 'transaction', 'TRANSACTION_CONFLICT')) return 'conflict';
    throw e;
  }
}

test('rows committed by ShaleDB transactions are read by SlateDB 0.12.1', async () => {
  await requireOracle();
  await withTempDir(async (dir) => {
    const db = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat });
    await db.put('base/1', 'one');
    await db.merge('log', 'a;');
    const t1 = await db.begin('serializableSnapshot');
    t1.put('txn/1', 'x');
    t1.put('base/1', 'replaced');
    t1.merge('log', 'b;');
    t1.merge('log', 'c;');
    t1.put('ttl', 'soon', { ttl: 3_600_000 });
    await t1.commit();
    await db.flush({ type: 'memtable' });
    const t2 = await db.begin('snapshot');
    const t3 = await db.begin('snapshot');
    t2.delete('txn/1');
    t2.merge('new', 'n;');
    t3.put('txn/1', 'lost');
    await t2.commit();
    await assert.rejects(t3.commit(), (e) => isShaleDBError(e, 'transaction', 'TRANSACTION_CONFLICT'));
    const expected = await shaleScan(db);
    assert.deepEqual(
      expected.map((r) => `${str(r.key)}=${str(r.value)}`),
      ['base/1=replaced', 'log=a;b;c;', 'new=n;', 'ttl=soon'],
    );
    await db.close();
    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat' });
    try {
      assert.deepEqual(showRows(await slate.scan(), true), showRows(expected, true));
    } finally {
      await slate.close('shutdown');
    }
  });
});

interface Pair {
  readonly level: 'snapshot' | 'serializableSnapshot';
  readonly slate: SlateTxn;
  readonly shale: DbTransaction;
}

test('differential: the same transaction script has the same reads and commit outcomes on SlateDB 0.12.1', async () => {
  const m = await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  const slateDir = mkdtempSync(join(tmpdir(), 'txn-slate-'));
  const slate = await SlateTxnDb.open(m, slateDir);
  const shale = await Db.open('db', 'memory:///', { settings, mergeOperator: concat });
  const outcomes = new Map<CommitOutcome, number>();
  try {
    const live: Pair[] = [];
    const key = () => `k${rand.nextInt(8)}`;
    const val = () => String.fromCharCode(97 + rand.nextInt(26));
    for (let step = 0; step < 600; step++) {
      const ctx = `seed ${seed} step ${step}`;
      const p = rand.nextInt(100);
      const x = live.length > 0 ? live[rand.nextInt(live.length)]! : undefined;
      if (x === undefined || (p < 10 && live.length < 4)) {
        const level = rand.nextInt(2) === 0 ? 'snapshot' : 'serializableSnapshot';
        live.push({ level, slate: await slate.begin(level), shale: await shale.begin(level) });
      } else if (p < 30) {
        const k = key();
        assert.equal(str(await x.shale.get(k)), await x.slate.get(k), `${ctx}: get ${k}`);
      } else if (p < 36 && x.level === 'snapshot') {
        // SSI scans are left out: 0.12.1 tracks less of a scanned range than ShaleDB (see the next test).
        const [a, b] = [key(), key()].sort();
        const lo = rand.nextInt(3) === 0 ? undefined : a;
        // An empty range (lo = hi) is left out: 0.12.1's binding rejects it, ShaleDB returns nothing.
        const hi = rand.nextInt(3) === 0 || b === lo ? undefined : b;
        const got: string[] = [];
        const range = { ...(lo === undefined ? {} : { gte: lo }), ...(hi === undefined ? {} : { lt: hi }) };
        for await (const kv of x.shale.scan(range)) got.push(`${str(kv.key)}=${str(kv.value)}`);
        assert.deepEqual(got, await x.slate.scan(lo, hi), `${ctx}: scan ${lo}..${hi}`);
      } else if (p < 58) {
        const k = key();
        const v = val();
        const kind = rand.nextInt(10);
        if (kind < 5) {
          x.shale.put(k, v);
          await x.slate.put(k, v);
        } else if (kind < 7) {
          x.shale.delete(k);
          await x.slate.delete(k);
        } else {
          x.shale.merge(k, v);
          await x.slate.merge(k, v);
        }
      } else if (p < 61) {
        const k = key();
        x.shale.markRead([k]);
        await x.slate.markRead([k]);
      } else if (p < 63) {
        const k = key();
        x.shale.unmarkWrite([k]);
        await x.slate.unmarkWrite([k]);
      } else if (p < 78) {
        const a = await x.slate.commit();
        const b = await shaleCommit(x.shale);
        assert.equal(b, a, `${ctx}: commit outcome`);
        outcomes.set(a, (outcomes.get(a) ?? 0) + 1);
        live.splice(live.indexOf(x), 1);
      } else if (p < 82) {
        await x.slate.rollback();
        x.shale.rollback();
        live.splice(live.indexOf(x), 1);
      } else {
        const k = key();
        if (rand.nextInt(4) === 0) {
          await slate.delete(k);
          await shale.delete(k);
        } else {
          const v = val();
          await slate.put(k, v);
          await shale.put(k, v);
        }
      }
    }
    const mine: string[] = [];
    for await (const kv of shale.scan()) mine.push(`${str(kv.key)}=${str(kv.value)}`);
    assert.deepEqual(mine, await slate.scanAll(), `seed ${seed}: final contents`);
    console.log('commit outcomes', Object.fromEntries(outcomes));
    assert.ok(
      (outcomes.get('conflict') ?? 0) > 3 && (outcomes.get('ok') ?? 0) > 10,
      'both outcomes exercised',
    );
  } finally {
    await shale.close();
    await slate.close();
    rmSync(slateDir, { recursive: true, force: true });
  }
});

test('documented difference: a phantom in an empty SSI scan conflicts in ShaleDB, not in 0.12.1', async () => {
  const m = await requireOracle();
  const slateDir = mkdtempSync(join(tmpdir(), 'txn-slate-'));
  const slate = await SlateTxnDb.open(m, slateDir);
  const shale = await Db.open('db', 'memory:///', { settings, mergeOperator: concat });
  try {
    const a = await slate.begin('serializableSnapshot');
    const b = await shale.begin('serializableSnapshot');
    assert.deepEqual(await a.scan('task/', 'task0'), []);
    const seen: string[] = [];
    for await (const kv of b.scanPrefix('task/')) seen.push(str(kv.key)!);
    assert.deepEqual(seen, []);
    await a.put('summary', 'none');
    b.put('summary', 'none');
    await slate.put('task/1', 'x');
    await shale.put('task/1', 'x');
    assert.equal(await a.commit(), 'ok', '0.12.1 misses the phantom');
    assert.equal(await shaleCommit(b), 'conflict', 'ShaleDB reports it');
  } finally {
    await shale.close();
    await slate.close();
    rmSync(slateDir, { recursive: true, force: true });
  }
});

test('a completed transaction fails as invalid on both engines; a pending value reads with seq u64::MAX', async () => {
  const m = await requireOracle();
  const slateDir = mkdtempSync(join(tmpdir(), 'txn-slate-'));
  const slate = await SlateTxnDb.open(m, slateDir);
  const shale = await Db.open('db', 'memory:///', { settings, mergeOperator: concat });
  try {
    const a = await slate.begin('snapshot');
    const b = await shale.begin('snapshot');
    await a.put('k', 'v');
    b.put('k', 'v');
    assert.equal((await a.getKeyValue('k'))?.seq, 0xffff_ffff_ffff_ffffn);
    assert.equal((await b.getKeyValue('k'))?.seq, 0xffff_ffff_ffff_ffffn);
    assert.equal(await a.commit(), 'ok');
    assert.equal(await shaleCommit(b), 'ok');
    await assert.rejects(a.get('k'), (e) => (e as { tag?: string }).tag === 'Invalid');
    await assert.rejects(b.get('k'), (e) => isShaleDBError(e, 'invalid', 'TRANSACTION_COMPLETED'));
  } finally {
    await shale.close();
    await slate.close();
    rmSync(slateDir, { recursive: true, force: true });
  }
});
