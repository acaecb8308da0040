/**
 * Child-process side of RemoteOracle (slatedb-remote.ts): holds one SlateDB 0.12.1 database (OracleDb) and runs
 * commands sent over IPC one at a time, replying to each. Running SlateDB here keeps its native threads out of the
 * test process; the parent ends a "drop" with SIGKILL, exactly like a crash.
 *
 * Invariants: exactly one reply per command, in order; bytes travel as hex.
 * Concurrency: commands are handled strictly in arrival order.
 */
import { fromHex, toHex } from '../../src/util/bytes.js';
import { slateReadAll } from './gc-oracle.js';
import { loadOracle, OracleDb, type OracleOptions } from './slatedb-oracle.js';
import type { WorkloadOp } from './slatedb-workload.js';

type HexOp =
  | { type: 'put'; key: string; value: string; ttlMs?: number }
  | { type: 'delete'; key: string }
  | { type: 'merge'; key: string; value: string };

type Command =
  | { id: number; cmd: 'open'; options: OracleOptions }
  | { id: number; cmd: 'write'; ops: HexOp[]; awaitDurable: boolean }
  | { id: number; cmd: 'flushWal' }
  | { id: number; cmd: 'flushMemtable' }
  | { id: number; cmd: 'scan' }
  | { id: number; cmd: 'scanPrefix'; prefix: string }
  | { id: number; cmd: 'shutdown' }
  | { id: number; cmd: 'readAll'; dir: string; path: string; checkpointId?: string };

let db: OracleDb | undefined;
let chain: Promise<void> = Promise.resolve();

function toOps(ops: HexOp[]): WorkloadOp[] {
  return ops.map((o) =>
    o.type === 'delete'
      ? { type: 'delete', key: fromHex(o.key) }
      : o.type === 'merge'
        ? { type: 'merge', key: fromHex(o.key), value: fromHex(o.value) }
        : o.ttlMs === undefined
          ? { type: 'put', key: fromHex(o.key), value: fromHex(o.value) }
          : { type: 'put', key: fromHex(o.key), value: fromHex(o.value), ttlMs: o.ttlMs },
  );
}

async function handle(c: Command): Promise<unknown> {
  if (c.cmd === 'readAll') {
    const m = await loadOracle();
    if (m === undefined) throw new Error('@slatedb/uniffi is not installed');
    const rows = await slateReadAll(m, c.dir, c.path, c.checkpointId);
    return [...rows.entries()];
  }
  if (c.cmd === 'open') {
    const m = await loadOracle();
    if (m === undefined) throw new Error('@slatedb/uniffi is not installed');
    db = await OracleDb.open(m, c.options);
    return null;
  }
  if (db === undefined) throw new Error('no database open');
  switch (c.cmd) {
    case 'write':
      return db.write(toOps(c.ops), c.awaitDurable);
    case 'flushWal':
      return db.flushWal();
    case 'flushMemtable':
      return db.flushMemtable();
    case 'scan':
      return (await db.scan()).map((r) => ({ ...r, key: toHex(r.key), value: toHex(r.value) }));
    case 'scanPrefix':
      return (await db.scanPrefix(fromHex(c.prefix))).map((r) => ({
        ...r,
        key: toHex(r.key),
        value: toHex(r.value),
      }));
    case 'shutdown':
      await db.close('shutdown');
      db = undefined;
      return null;
  }
}

process.on('message', (c: Command) => {
  chain = chain.then(async () => {
    try {
      process.send!({ id: c.id, ok: true, result: (await handle(c)) ?? null });
    } catch (e) {
      process.send!({ id: c.id, ok: false, message: e instanceof Error ? e.message : String(e) });
    }
  });
});
