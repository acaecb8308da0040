/**
 * LMDB adapter (lmdb-js 3.5.6, LMDB 0.9 through N-API): a copy-on-write B+tree in one memory-mapped file.
 *
 * Modes: non-durable = environment opened with `noSync` and `putSync` (each write is its own committed
 * transaction, never fsynced); durable = default environment and `await put(...)` (lmdb-js batches the writes of
 * one event turn into one transaction and resolves once it is committed and flushed to disk: its group commit).
 * `drain`, which ends every measured window, awaits lmdb-js's `flushed` promise.
 * Batches are one transaction (`transactionSync` / `transaction`). Reads are synchronous `get`; scans `getRange`.
 * `settle` only waits for pending flushes: a B+tree has no compaction.
 *
 * Invariants: at most one environment open per instance; `close` is idempotent.
 * Concurrency: reads run on the JS thread; asynchronous writes are committed by lmdb-js's writer thread.
 */
import { open, type RootDatabase } from 'lmdb';
import { nowMs } from '../lib/timer.js';
import type {
  BenchEngine,
  EngineCapabilities,
  EngineDefinition,
  EngineOpenOptions,
  ScanRange,
  ScanVisitor,
  SettleResult,
} from './engine.js';

const CAPABILITIES: EngineCapabilities = {
  objectStore: false,
  syncGet: true,
  getMany: true,
  requestCounts: false,
  compaction: 'none',
  groupCommit: true,
};

type Lmdb = RootDatabase<Buffer, Buffer>;

class LmdbEngine implements BenchEngine {
  readonly id = 'lmdb' as const;
  readonly capabilities = CAPABILITIES;
  #db: Lmdb | undefined;
  #durableEnv = false;

  async open(options: EngineOpenOptions): Promise<void> {
    this.#db = open<Buffer, Buffer>({
      path: options.dir,
      keyEncoding: 'binary',
      encoding: 'binary',
      noSync: !options.durable,
    });
    this.#durableEnv = options.durable;
  }

  #open(): Lmdb {
    if (this.#db === undefined) throw new Error('lmdb: not open');
    return this.#db;
  }

  put(key: Uint8Array, value: Uint8Array, durable: boolean): Promise<void> | undefined {
    const db = this.#open();
    if (durable) {
      if (!this.#durableEnv) throw new Error('lmdb: durable put on an environment opened with noSync');
      return db.put(key as Buffer, value as Buffer).then(() => undefined);
    }
    db.putSync(key as Buffer, value as Buffer);
    return undefined;
  }

  async putBatch(
    keys: readonly Uint8Array[],
    values: readonly Uint8Array[],
    durable: boolean,
  ): Promise<void> {
    const db = this.#open();
    const body = (): void => {
      for (let i = 0; i < keys.length; i++) db.putSync(keys[i] as Buffer, values[i] as Buffer);
    };
    if (durable) await db.transaction(body);
    else db.transactionSync(body);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#open().get(key as Buffer);
  }

  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.#open().getMany(keys as Buffer[]);
  }

  async scan(range: ScanRange, visit: ScanVisitor): Promise<number> {
    let n = 0;
    const rows = this.#open().getRange({
      ...(range.gte === undefined ? {} : { start: range.gte as Buffer }),
      ...(range.lt === undefined ? {} : { end: range.lt as Buffer }),
      ...(range.limit === undefined ? {} : { limit: range.limit }),
    });
    for (const { key, value } of rows) {
      n++;
      if (visit(key, value) === false) break;
    }
    return n;
  }

  /** Waits for lmdb-js's `flushed`: every transaction committed so far is flushed (synced unless `noSync`). */
  async drain(): Promise<void> {
    await this.#open().flushed;
  }

  async settle(): Promise<SettleResult> {
    const t0 = nowMs();
    await this.#open().flushed;
    return { ms: nowMs() - t0, notes: ['B+tree: nothing to compact; waited for pending flushes'] };
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db !== undefined) await db.close();
  }

  describe(): readonly string[] {
    return [
      'non-durable: noSync environment + putSync; durable: default environment + await put (commit + flush)',
      'batches: one transaction; reads: synchronous get; scans: getRange',
      'end of every measured window: await flushed (nothing is pending after putSync in the noSync environment)',
    ];
  }
}

/** LMDB through lmdb-js. */
export const lmdbDefinition: EngineDefinition = {
  id: 'lmdb',
  label: 'LMDB (lmdb 3.5.6)',
  defaultEnabled: true,
  async probe() {
    return undefined;
  },
  create: () => new LmdbEngine(),
};
