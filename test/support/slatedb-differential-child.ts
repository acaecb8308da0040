/**
 * Child-process side of the SlateDB differential suite (test/integration/db-differential-slatedb.test.ts): holds
 * one SlateDB 0.12.1 database and its snapshots, applies writes and flushes, and answers read requests
 * (differential-reads.ts) through SlateDB's own API: get, get_key_value, scan_with_options (both orders, seeks),
 * scan_prefix_with_options, and the same on snapshots. Keeps SlateDB's native threads out of the test process.
 *
 * Invariants: exactly one reply per command, in arrival order; bytes travel as hex; every native handle a command
 * creates is disposed before its reply (snapshots when released or at shutdown).
 * Concurrency: commands are handled strictly one at a time.
 */
import type * as Slate from '@slatedb/uniffi';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { driveScan, type HexRange, type ReadRequest, type ScanStep } from './differential-reads.js';
import { loadOracle, OracleDb, type OracleOptions } from './slatedb-oracle.js';
import type { WorkloadOp } from './slatedb-workload.js';

/** A write operation in hex. */
export type HexOp =
  | { readonly type: 'put'; readonly key: string; readonly value: string }
  | { readonly type: 'delete'; readonly key: string }
  | { readonly type: 'merge'; readonly key: string; readonly value: string };

/** A command from the parent. */
export type DifferentialCommand =
  | { readonly cmd: 'open'; readonly options: OracleOptions }
  | { readonly cmd: 'write'; readonly ops: readonly HexOp[]; readonly awaitDurable: boolean }
  | { readonly cmd: 'flushWal' }
  | { readonly cmd: 'flushMemtable' }
  | { readonly cmd: 'snapshot'; readonly snap: number }
  | { readonly cmd: 'release'; readonly snap: number }
  | { readonly cmd: 'reads'; readonly requests: readonly ReadRequest[] }
  | { readonly cmd: 'shutdown' };

let m: typeof Slate | undefined;
let db: OracleDb | undefined;
const snaps = new Map<number, Slate.DbSnapshot>();
let chain: Promise<void> = Promise.resolve();

function toOps(ops: readonly HexOp[]): WorkloadOp[] {
  return ops.map((o) =>
    o.type === 'delete'
      ? { type: 'delete', key: fromHex(o.key) }
      : { type: o.type, key: fromHex(o.key), value: fromHex(o.value) },
  );
}

/** SlateDB's seek errors under the codes the model uses; anything else stays a read error. */
function seekError(e: unknown): string | undefined {
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.includes('less than the last returned key')) return 'seek-err:SEEK_KEY_BEHIND';
  if (msg.includes('outside the iterator range')) return 'seek-err:SEEK_KEY_OUT_OF_RANGE';
  return undefined;
}

function errorEvent(e: unknown): string {
  return `err:${e instanceof Error ? e.message : String(e)}`;
}

function keyRange(r: HexRange): Slate.KeyRange {
  return {
    start: r.start === undefined ? undefined : fromHex(r.start),
    start_inclusive: r.startInclusive,
    end: r.end === undefined ? undefined : fromHex(r.end),
    end_inclusive: r.endInclusive,
  };
}

function scanOptions(order: 'asc' | 'desc'): Slate.ScanOptions {
  return {
    durability_filter: m!.DurabilityLevel.Memory,
    dirty: false,
    read_ahead_bytes: 1,
    cache_blocks: true,
    max_fetch_tasks: 1,
    order: order === 'asc' ? m!.IterationOrder.Ascending : m!.IterationOrder.Descending,
  };
}

function drive(it: Slate.DbIterator, steps: readonly ScanStep[]): Promise<string[]> {
  return driveScan(it, steps, { seekError, errorEvent, close: () => it.dispose() });
}

async function read(req: ReadRequest): Promise<string[]> {
  const native = db!.native;
  const src: Slate.Db | Slate.DbSnapshot =
    req.t !== 'prefix' && req.snap !== undefined ? snaps.get(req.snap)! : native;
  try {
    if (req.t === 'get') {
      const v = await src.get(fromHex(req.key));
      return [v === undefined ? 'none' : `v:${toHex(v)}`];
    }
    if (req.t === 'kv') {
      const kv = await src.get_key_value(fromHex(req.key));
      return [kv === undefined ? 'none' : `kv:${toHex(kv.key)}=${toHex(kv.value)}@${Number(kv.seq)}`];
    }
    if (req.t === 'prefix') {
      return drive(await native.scan_prefix_with_options(fromHex(req.prefix), scanOptions(req.order)), []);
    }
    return drive(await src.scan_with_options(keyRange(req.range), scanOptions(req.order)), req.steps);
  } catch (e) {
    return [errorEvent(e)];
  }
}

async function handle(c: DifferentialCommand): Promise<unknown> {
  if (c.cmd === 'open') {
    m = await loadOracle();
    if (m === undefined) throw new Error('@slatedb/uniffi@0.12.1 could not be loaded');
    db = await OracleDb.open(m, c.options);
    return null;
  }
  if (db === undefined) throw new Error('no database open');
  switch (c.cmd) {
    case 'write':
      return (await db.write(toOps(c.ops), c.awaitDurable)).seq;
    case 'flushWal':
      return db.flushWal();
    case 'flushMemtable':
      return db.flushMemtable();
    case 'snapshot':
      snaps.set(c.snap, await db.native.snapshot());
      return null;
    case 'release':
      snaps.get(c.snap)?.dispose();
      snaps.delete(c.snap);
      return null;
    case 'reads': {
      const out: string[][] = [];
      for (const r of c.requests) out.push(await read(r));
      return out;
    }
    case 'shutdown':
      for (const s of snaps.values()) s.dispose();
      snaps.clear();
      await db.close('shutdown');
      db = undefined;
      return null;
  }
}

process.on('message', (c: DifferentialCommand & { id: number }) => {
  chain = chain.then(async () => {
    try {
      process.send!({ id: c.id, ok: true, result: (await handle(c)) ?? null });
    } catch (e) {
      process.send!({
        id: c.id,
        ok: false,
        message: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
    }
  });
});
