/**
 * Model-based test of transactions: random interleavings of up to five live transactions (either isolation level)
 * doing gets, full and partial scans in both orders, puts, deletes, merges, markRead, unmarkWrite, commits (some
 * issued together, without awaiting in between), rollbacks, mixed with plain writes, batches and memtable flushes.
 * The model keeps every committed state and implements the conflict rules directly: a commit conflicts when a
 * later commit (transactional or plain) wrote one of its tracked write keys, or, for tracked reads (SSI gets and
 * scanned ranges, markRead), a key it read or a key inside a range it covered. Every read and every commit outcome
 * must match the model, and at the end the database must hold the model's state. Prints its seed; rerun with
 * SHALEDB_SEED.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { isShaleDBError } from '../util/errors.js';
import { SeededRand, testSeed } from '../util/random.js';
import { Db } from './db.js';
import type { DbTransaction } from './transaction.js';
import type { IsolationLevel } from './transaction-manager.js';
import { WriteBatch } from './write-batch.js';

type State = ReadonlyMap<string, string>;
interface Pending {
  base: { readonly del: boolean; readonly v: string } | undefined;
  merges: string[];
}
/** A covered key range; undefined bounds are open. */
interface Span {
  readonly lo: string | undefined;
  readonly loIncl: boolean;
  readonly hi: string | undefined;
  readonly hiIncl: boolean;
}
interface ModelTxn {
  readonly id: number;
  readonly txn: DbTransaction;
  readonly level: IsolationLevel;
  /** Index into `states` of the snapshot it reads. */
  readonly start: number;
  readonly reads: Set<string>;
  readonly spans: Span[];
  readonly writes: Map<string, Pending>;
  readonly untracked: Set<string>;
}

const concat: MergeOperator = (_k, existing, operands) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...operands]);

const settings = {
  flushInterval: '2ms',
  l0SstSizeBytes: 4096,
  l0MaxSsts: 1000,
  compactorOptions: null,
  garbageCollectorOptions: null,
} as const;

function inSpan(s: Span, k: string): boolean {
  if (s.lo !== undefined && (k < s.lo || (k === s.lo && !s.loIncl))) return false;
  if (s.hi !== undefined && (k > s.hi || (k === s.hi && !s.hiIncl))) return false;
  return true;
}

function resolve(p: Pending | undefined, visible: string | undefined): string | undefined {
  if (p === undefined) return visible;
  let v = p.base === undefined ? visible : p.base.del ? undefined : p.base.v;
  if (p.merges.length > 0) v = (v ?? '') + p.merges.join('');
  return v;
}

/** What `t` sees: its snapshot with its pending writes. */
function view(states: State[], t: ModelTxn): Map<string, string> {
  const out = new Map(states[t.start]!);
  for (const [k, p] of t.writes) {
    const v = resolve(p, out.get(k));
    if (v === undefined) out.delete(k);
    else out.set(k, v);
  }
  return out;
}

const str = (v: Uint8Array | undefined) => (v === undefined ? undefined : Buffer.from(v).toString('latin1'));

async function run(seed: number, steps: number): Promise<{ commits: number; conflicts: number }> {
  const db = await Db.open('model', new MemoryObjectStore(), { settings, mergeOperator: concat });
  try {
    return await runOn(db, seed, steps);
  } finally {
    await db.close();
  }
}

async function runOn(db: Db, seed: number, steps: number): Promise<{ commits: number; conflicts: number }> {
  const rand = new SeededRand(seed);
  /** states[i]: the database after i commits (of this run). */
  const states: State[] = [new Map()];
  /** commits[i]: the keys tracked for conflicts by the commit that produced states[i + 1]. */
  const commits: Set<string>[] = [];
  const live: ModelTxn[] = [];
  let nextId = 0;
  let conflicts = 0;
  const key = () => `k${String(rand.nextInt(16)).padStart(2, '0')}`;
  const val = () => String.fromCharCode(97 + rand.nextInt(26)).repeat(1 + rand.nextInt(3));
  const latest = () => states[states.length - 1]!;

  const pushCommit = (keys: Set<string>, apply: (m: Map<string, string>) => void) => {
    const next = new Map(latest());
    apply(next);
    states.push(next);
    commits.push(keys);
  };

  /** Model of committing `t` now: 'conflict', 'empty' or 'ok' (and the state advanced). */
  const modelCommit = (t: ModelTxn): 'conflict' | 'empty' | 'ok' => {
    const tracked = new Set([...t.writes.keys()].filter((k) => !t.untracked.has(k)));
    for (let i = t.start; i < commits.length; i++) {
      for (const k of commits[i]!) {
        if (tracked.has(k) || t.reads.has(k) || t.spans.some((s) => inSpan(s, k))) return 'conflict';
      }
    }
    if (t.writes.size === 0) return 'empty';
    pushCommit(tracked, (m) => {
      for (const [k, p] of t.writes) {
        const v = resolve(p, m.get(k));
        if (v === undefined) m.delete(k);
        else m.set(k, v);
      }
    });
    return 'ok';
  };

  const outcomeOf = async (p: Promise<unknown>): Promise<'conflict' | 'empty' | 'ok'> => {
    try {
      const h = await p;
      return h === undefined ? 'empty' : 'ok';
    } catch (e) {
      if (isShaleDBError(e, 'transaction', 'TRANSACTION_CONFLICT')) return 'conflict';
      throw e;
    }
  };

  for (let step = 0; step < steps; step++) {
    const ctx = `seed ${seed} step ${step}`;

    const p = rand.nextInt(100);
    const t = live.length > 0 ? live[rand.nextInt(live.length)]! : undefined;
    if (t === undefined || (p < 8 && live.length < 5)) {
      const level: IsolationLevel = rand.nextInt(2) === 0 ? 'snapshot' : 'serializableSnapshot';
      const txn = await db.begin(level);
      live.push({
        id: nextId++,
        txn,
        level,
        start: states.length - 1,
        reads: new Set(),
        spans: [],
        writes: new Map(),
        untracked: new Set(),
      });
    } else if (p < 22) {
      const k = key();
      const got = str(await t.txn.get(k));
      if (t.level === 'serializableSnapshot') t.reads.add(k);
      assert.equal(got, view(states, t).get(k), `${ctx}: get ${k} in txn ${t.id}`);
    } else if (p < 30) {
      const a = rand.nextInt(3) === 0 ? undefined : key();
      const b = rand.nextInt(3) === 0 ? undefined : key();
      const [lo, hi] = a !== undefined && b !== undefined && a > b ? [b, a] : [a, b];
      const desc = rand.nextInt(2) === 0;
      const limit = rand.nextInt(3) === 0 ? 1 + rand.nextInt(4) : 1000;
      const range = { ...(lo === undefined ? {} : { gte: lo }), ...(hi === undefined ? {} : { lt: hi }) };
      const it = t.txn.scan(range, { order: desc ? 'desc' : 'asc' });
      const got: string[] = [];
      let ended = false;
      for (let i = 0; i < limit; i++) {
        const kv = await it.next();
        if (kv === undefined) {
          ended = true;
          break;
        }
        got.push(`${str(kv.key)}=${str(kv.value)}`);
      }
      it.close();
      const all = [...view(states, t)]
        .filter(([k]) => inSpan({ lo, loIncl: true, hi, hiIncl: false }, k))
        .sort((x, y) => (x[0] < y[0] ? -1 : 1));
      if (desc) all.reverse();
      const expected = all.slice(0, limit).map(([k, v]) => `${k}=${v}`);
      assert.deepEqual(got, expected, `${ctx}: scan ${JSON.stringify(range)} desc=${desc} in txn ${t.id}`);
      if (t.level === 'serializableSnapshot' && (ended || got.length > 0)) {
        const last = got.length > 0 ? got[got.length - 1]!.split('=')[0]! : undefined;
        if (ended) t.spans.push({ lo, loIncl: true, hi, hiIncl: false });
        else if (desc) t.spans.push({ lo: last, loIncl: true, hi, hiIncl: false });
        else t.spans.push({ lo, loIncl: true, hi: last, hiIncl: true });
      }
    } else if (p < 52) {
      const k = key();
      const kind = rand.nextInt(10);
      const pend = t.writes.get(k) ?? { base: undefined, merges: [] };
      if (kind < 5) {
        const v = val();
        t.txn.put(k, v);
        pend.base = { del: false, v };
        pend.merges = [];
      } else if (kind < 7) {
        t.txn.delete(k);
        pend.base = { del: true, v: '' };
        pend.merges = [];
      } else {
        const v = val();
        t.txn.merge(k, v);
        pend.merges.push(v);
      }
      t.writes.set(k, pend);
    } else if (p < 55) {
      const k = key();
      t.txn.markRead([k]);
      t.reads.add(k);
    } else if (p < 57) {
      const k = key();
      t.txn.unmarkWrite([k]);
      t.untracked.add(k);
    } else if (p < 72) {
      // Commit one transaction, or several at once without awaiting in between (checked in call order).
      const group = rand.nextInt(4) === 0 ? live.filter(() => rand.nextInt(2) === 0) : [t];
      if (group.length === 0) group.push(t);
      const promises = group.map((g) => g.txn.commit({ awaitDurable: rand.nextInt(2) === 0 }));
      const expected = group.map((g) => modelCommit(g));
      const got = await Promise.all(promises.map(outcomeOf));
      assert.deepEqual(got, expected, `${ctx}: commit of txns ${group.map((g) => g.id)}`);
      conflicts += got.filter((o) => o === 'conflict').length;
      for (const g of group) live.splice(live.indexOf(g), 1);
    } else if (p < 76) {
      t.txn.rollback();
      live.splice(live.indexOf(t), 1);
    } else if (p < 96) {
      const n = rand.nextInt(4) === 0 ? 2 + rand.nextInt(3) : 1;
      const b = new WriteBatch();
      const ops: Array<[string, 'put' | 'delete' | 'merge', string]> = [];
      for (let i = 0; i < n; i++) {
        const k = key();
        const kind = rand.nextInt(10);
        const v = val();
        if (kind < 5) b.put(k, v);
        else if (kind < 7) b.delete(k);
        else b.merge(k, v);
        ops.push([k, kind < 5 ? 'put' : kind < 7 ? 'delete' : 'merge', v]);
      }
      await db.write(b, { awaitDurable: rand.nextInt(2) === 0 });
      pushCommit(new Set(ops.map((o) => o[0])), (m) => {
        for (const [k, kind, v] of ops) {
          if (kind === 'put') m.set(k, v);
          else if (kind === 'delete') m.delete(k);
          else m.set(k, (m.get(k) ?? '') + v);
        }
      });
    } else {
      await db.flush({ type: 'memtable' });
    }
  }
  for (const t of live) t.txn.rollback();
  const final: string[] = [];
  for await (const kv of db.scan()) final.push(`${str(kv.key)}=${str(kv.value)}`);
  const expected = [...latest()].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
  assert.deepEqual(final, expected, `seed ${seed}: final state`);
  assert.equal(db.inner.txns.activeCount, 0);
  assert.equal(db.inner.txns.recentCount, 0);
  assert.equal(db.inner.snapshots.size, 0);
  return { commits: commits.length, conflicts };
}

test('transactions match a model of SI and SSI under random interleavings', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  let conflicts = 0;
  let commits = 0;
  for (let i = 0; i < 4; i++) {
    const r = await run(seed + i, 500);
    conflicts += r.conflicts;
    commits += r.commits;
  }
  console.log(`${commits} commits, ${conflicts} conflicts`);
  // The workload must exercise both outcomes, or the test proves little.
  assert.ok(conflicts > 10, `only ${conflicts} conflicts`);
  assert.ok(commits > 200, `only ${commits} commits`);
});
