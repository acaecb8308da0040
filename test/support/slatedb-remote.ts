/**
 * RemoteOracle: the real SlateDB 0.12.1, held open in a child process (slatedb-remote-child.ts) and driven one
 * command at a time, for suites that interleave SlateDB and ShaleDB on one live database (fencing, compaction).
 * SlateDB's native threads never run in the test process, and `close('drop')` SIGKILLs the child: a crash.
 *
 * Invariants: every call resolves or rejects with the child's reply (or its death); the child is always killed by
 * `close`, whatever happened before.
 * Concurrency: calls are queued in order in the child.
 */
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { ChildRpc } from './child-rpc.js';
import type { OracleOptions } from './slatedb-oracle.js';
import type { BatchHandle, VisibleRow, WorkloadOp } from './slatedb-workload.js';

const CHILD = fileURLToPath(new URL('./slatedb-remote-child.ts', import.meta.url));

/** A SlateDB 0.12.1 database in a child process. */
export class RemoteOracle {
  readonly #rpc = new ChildRpc(CHILD, 'SlateDB');

  private constructor() {}

  /** Opens (creating if needed) a SlateDB database in a new child. */
  static async open(options: OracleOptions): Promise<RemoteOracle> {
    const r = new RemoteOracle();
    try {
      await r.#call({ cmd: 'open', options });
    } catch (e) {
      r.#rpc.kill();
      throw e;
    }
    return r;
  }

  /** Everything SlateDB's DbReader reads (latest, or pinned to a checkpoint), as UTF-8 strings, in a fresh child. */
  static async readAll(dir: string, path: string, checkpointId?: string): Promise<Map<string, string>> {
    const r = new RemoteOracle();
    try {
      const entries = (await r.#call({ cmd: 'readAll', dir, path, checkpointId })) as Array<[string, string]>;
      return new Map(entries);
    } finally {
      r.#rpc.kill();
    }
  }

  #call(c: Record<string, unknown>): Promise<unknown> {
    return this.#rpc.call(c);
  }

  /** Writes one batch (durable by default); returns its seq and create_ts. */
  async write(ops: readonly WorkloadOp[], awaitDurable = true): Promise<BatchHandle> {
    const hexOps = ops.map((o) =>
      o.type === 'delete'
        ? { type: o.type, key: toHex(o.key) }
        : o.type === 'merge'
          ? { type: o.type, key: toHex(o.key), value: toHex(o.value) }
          : { type: o.type, key: toHex(o.key), value: toHex(o.value), ttlMs: o.ttlMs },
    );
    return (await this.#call({ cmd: 'write', ops: hexOps, awaitDurable })) as BatchHandle;
  }

  async flushWal(): Promise<void> {
    await this.#call({ cmd: 'flushWal' });
  }

  async flushMemtable(): Promise<void> {
    await this.#call({ cmd: 'flushMemtable' });
  }

  /** Every visible row, through SlateDB's scan. */
  async scan(): Promise<VisibleRow[]> {
    return RemoteOracle.#rows(await this.#call({ cmd: 'scan' }));
  }

  /** The visible rows starting with `prefix`, through SlateDB's scan_prefix. */
  async scanPrefix(prefix: Uint8Array): Promise<VisibleRow[]> {
    return RemoteOracle.#rows(await this.#call({ cmd: 'scanPrefix', prefix: toHex(prefix) }));
  }

  static #rows(reply: unknown): VisibleRow[] {
    const rows = reply as Array<VisibleRow & { key: string; value: string }>;
    return rows.map((r) => ({
      ...r,
      key: fromHex(r.key),
      value: fromHex(r.value),
      createTs: r.createTs ?? undefined,
      expireTs: r.expireTs ?? undefined,
    }));
  }

  /** 'shutdown' closes SlateDB cleanly first; 'drop' kills it as a crash would. The child always ends. */
  async close(mode: 'drop' | 'shutdown' = 'drop'): Promise<void> {
    try {
      if (mode === 'shutdown' && !this.#rpc.dead) await this.#call({ cmd: 'shutdown' });
    } finally {
      this.#rpc.kill();
    }
  }
}
