/**
 * RemoteOracle: the real SlateDB 0.12.1, held open in a child process (slatedb-remote-child.ts) and driven one
 * command at a time, for suites that interleave SlateDB and ShaleDB on one live database (fencing, compaction).
 * SlateDB's native threads never run in the test process, and `close('drop')` SIGKILLs the child: a crash.
 *
 * Invariants: every call resolves or rejects with the child's reply (or its death); the child is always killed by
 * `close`, whatever happened before.
 * Concurrency: calls are queued in order in the child.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../src/util/bytes.js';
import type { OracleOptions } from './slatedb-oracle.js';
import type { BatchHandle, VisibleRow, WorkloadOp } from './slatedb-workload.js';

const CHILD = fileURLToPath(new URL('./slatedb-remote-child.ts', import.meta.url));

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  message?: string;
}

/** A SlateDB 0.12.1 database in a child process. */
export class RemoteOracle {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #dead: Error | undefined;

  private constructor() {
    this.#child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (r: Reply) => {
      const w = this.#waiting.get(r.id);
      if (w === undefined) return;
      this.#waiting.delete(r.id);
      if (r.ok) w.resolve(r.result);
      else w.reject(new Error(`SlateDB: ${r.message}`));
    });
    this.#child.on('exit', (code, signal) => {
      this.#dead = new Error(`oracle child exited (code ${code}, signal ${signal})`);
      for (const w of this.#waiting.values()) w.reject(this.#dead);
      this.#waiting.clear();
    });
  }

  /** Opens (creating if needed) a SlateDB database in a new child. */
  static async open(options: OracleOptions): Promise<RemoteOracle> {
    const r = new RemoteOracle();
    try {
      await r.#call({ cmd: 'open', options });
    } catch (e) {
      r.#child.kill('SIGKILL');
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
      r.#child.kill('SIGKILL');
    }
  }

  #call(c: Record<string, unknown>): Promise<unknown> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#child.send({ ...c, id });
    });
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
      if (mode === 'shutdown' && this.#dead === undefined) await this.#call({ cmd: 'shutdown' });
    } finally {
      this.#child.kill('SIGKILL');
    }
  }
}
