/**
 * Model-based test of the database: random sequences of put / delete / merge / batch / flush / snapshot / reopen /
 * crash (stop without close) run against the database and an in-memory model, on the memory store and the local
 * filesystem store, with transient faults (some of them applied before failing) injected under the retry layer.
 * After every step the reads checked agree with the model; after a crash the database must hold exactly a prefix of
 * the writes that includes every acknowledged durable write. Prints its seed; rerun with SHALEDB_SEED.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { faultyRetryingStore } from '../../test/support/faulty-store.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { LocalObjectStore } from '../object-store/local-store.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { SeededRand, testSeed } from '../util/random.js';
import { Db } from './db.js';
import type { Snapshot } from './snapshot.js';
import { WriteBatch } from './write-batch.js';

type State = Map<string, Uint8Array>;
type Op =
  | { readonly t: 'put'; readonly k: string; readonly v: Uint8Array }
  | { readonly t: 'delete'; readonly k: string }
  | { readonly t: 'merge'; readonly k: string; readonly v: Uint8Array };

const concat: MergeOperator = (_k, existing, operands) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...operands]);

function apply(state: State, ops: readonly Op[]): void {
  for (const op of ops) {
    if (op.t === 'put') state.set(op.k, op.v);
    else if (op.t === 'delete') state.delete(op.k);
    else state.set(op.k, Buffer.concat([state.get(op.k) ?? new Uint8Array(0), op.v]));
  }
}

function digest(state: State): string {
  return [...state.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${Buffer.from(v).toString('hex')}`)
    .join(',');
}

async function dbState(db: Db | Snapshot): Promise<State> {
  const out: State = new Map();
  for await (const kv of db.scan()) out.set(Buffer.from(kv.key).toString('latin1'), kv.value);
  return out;
}

const settings = {
  flushInterval: '5ms',
  l0SstSizeBytes: 2048,
  l0MaxSsts: 1000,
  manifestPollInterval: '50ms',
  compactorOptions: null,
  garbageCollectorOptions: null,
} as const;

async function run(seed: number, makeStore: () => ObjectStore, steps: number): Promise<void> {
  const rand = new SeededRand(seed);
  const { faulty, store } = faultyRetryingStore(makeStore(), seed, rand, 0.03, 0.005);
  const open = () => Db.open('model', store, { settings, mergeOperator: concat, retry: false });
  let db = await open();
  const stats = { crashes: 0, reopens: 0, lostUnacknowledged: 0, snapshotsChecked: 0 };
  /** The state of every write known durable (a seq prefix: WAL order makes durability a prefix). */
  const base: State = new Map();
  /** Writes not yet known durable, in seq order. */
  let pending: Array<{ seq: number; ops: Op[] }> = [];
  /** base + pending: what reads must see. */
  const committed: State = new Map();
  const snapshots: Array<{ snap: Snapshot; state: State }> = [];
  const key = () => `k${String(rand.nextInt(40)).padStart(2, '0')}`;
  const value = () => Buffer.from(rand.fillBytes(new Uint8Array(rand.nextInt(12))));
  const randomOp = (): Op => {
    const p = rand.nextInt(10);
    if (p < 5) return { t: 'put', k: key(), v: value() };
    if (p < 7) return { t: 'delete', k: key() };
    return { t: 'merge', k: key(), v: value() };
  };
  const settle = (durableThrough: number) => {
    while (pending.length > 0 && pending[0]!.seq <= durableThrough) apply(base, pending.shift()!.ops);
  };

  for (let step = 0; step < steps; step++) {
    const p = rand.nextInt(100);
    if (p < 55) {
      const ops =
        rand.nextInt(4) === 0 ? Array.from({ length: 1 + rand.nextInt(6) }, randomOp) : [randomOp()];
      const durable = rand.nextInt(3) !== 0;
      const b = new WriteBatch();
      for (const op of ops) {
        if (op.t === 'put') b.put(op.k, op.v);
        else if (op.t === 'delete') b.delete(op.k);
        else b.merge(op.k, op.v);
      }
      const h = await db.write(b, { awaitDurable: durable });
      apply(committed, ops);
      pending.push({ seq: Number(h.seq), ops });
      if (durable) settle(Number(h.seq));
    } else if (p < 62) {
      // A burst of concurrent durable puts, acknowledged together by one WAL flush.
      const ops = Array.from({ length: 2 + rand.nextInt(8) }, () => ({
        t: 'put' as const,
        k: key(),
        v: value(),
      }));
      const hs = await Promise.all(ops.map((op) => db.put(op.k, op.v)));
      ops.forEach((op, i) => {
        apply(committed, [op]);
        pending.push({ seq: Number(hs[i]!.seq), ops: [op] });
      });
      pending.sort((a, b) => a.seq - b.seq);
      settle(Math.max(...hs.map((h) => Number(h.seq))));
    } else if (p < 70) {
      const k = key();
      const got = await db.get(k);
      assert.deepEqual(
        got === undefined ? undefined : Buffer.from(got),
        committed.has(k) ? Buffer.from(committed.get(k)!) : undefined,
        `get ${k} at step ${step}`,
      );
    } else if (p < 75) {
      assert.equal(digest(await dbState(db)), digest(committed), `scan at step ${step}`);
      const lo = key();
      const rows: string[] = [];
      for await (const kv of db.scan({ gte: lo }, { order: 'desc' }))
        rows.push(Buffer.from(kv.key).toString('latin1'));
      const want = [...committed.keys()]
        .filter((k) => k >= lo)
        .sort()
        .reverse();
      assert.deepEqual(rows, want, `desc scan at step ${step}`);
    } else if (p < 80) {
      const type = rand.nextInt(2) === 0 ? 'wal' : 'memtable';
      await db.flush({ type });
      settle(Number.MAX_SAFE_INTEGER);
    } else if (p < 85) {
      snapshots.push({ snap: await db.snapshot(), state: new Map(committed) });
    } else if (p < 90 && snapshots.length > 0) {
      const { snap, state } = snapshots.splice(rand.nextInt(snapshots.length), 1)[0]!;
      assert.equal(digest(await dbState(snap)), digest(state), `snapshot at step ${step}`);
      snap.close();
      stats.snapshotsChecked++;
    } else if (p < 94) {
      for (const s of snapshots.splice(0)) s.snap.close();
      await db.close();
      settle(Number.MAX_SAFE_INTEGER);
      db = await open();
      stats.reopens++;
      assert.equal(digest(await dbState(db)), digest(committed), `after reopen at step ${step}`);
    } else {
      for (const s of snapshots.splice(0)) s.snap.close();
      await db.inner.simulateCrash();
      db = await open();
      const actual = digest(await dbState(db));
      // The database must hold every durable write plus some prefix of the others.
      const candidate: State = new Map(base);
      let matched = digest(candidate) === actual ? 0 : -1;
      for (let i = 0; i < pending.length && matched < 0; i++) {
        apply(candidate, pending[i]!.ops);
        if (digest(candidate) === actual) matched = i + 1;
      }
      assert.ok(matched >= 0, `after crash at step ${step}: the database holds no prefix of the writes`);
      stats.crashes++;
      stats.lostUnacknowledged += pending.length - matched;
      settle(pending[matched - 1]?.seq ?? 0);
      pending = [];
      committed.clear();
      for (const [k, v] of base) committed.set(k, v);
    }
  }
  for (const s of snapshots.splice(0)) s.snap.close();
  faulty.enabled = false;
  assert.equal(digest(await dbState(db)), digest(committed), 'final state');
  await db.close();
  const again = await open();
  assert.equal(digest(await dbState(again)), digest(committed), 'final reopen');
  await again.close();
  console.log(`steps ${steps}: ${JSON.stringify(stats)}, faults ${JSON.stringify(faulty.injected)}`);
  assert.ok(faulty.injected.error + faulty.injected.timeout > 0, 'faults were injected');
  assert.ok(stats.crashes + stats.reopens > 0, 'the run restarted the database');
}

test('model check on the memory store with faults', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await run(seed, () => new MemoryObjectStore(), 400);
});

test('model check on the local filesystem store with faults', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const dir = mkdtempSync(join(tmpdir(), 'shaledb-model-'));
  try {
    await run(seed, () => new LocalObjectStore(dir), 250);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
