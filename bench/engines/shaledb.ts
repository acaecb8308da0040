/**
 * ShaleDB adapter, written against the public API of src/index.ts (`Db`, `WriteBatch`, `resolveObjectStore`), on
 * a `file://` store in the cell's fresh directory, with the same settings as the SlateDB adapter.
 *
 * Modes: durable = `put`/`write` with `awaitDurable: true` (WAL flush interval 100 ms); non-durable =
 * `awaitDurable: false`. Reads use `getMany` for batches when the API has it; scans the `scan` iterator. Object-store
 * requests are counted by the object-store layer's CountingObjectStore placed directly above the local store
 * (and, with `s3Model`, above the LatencyModelObjectStore, so modelled requests are counted).
 *
 * Until `Db` is exported the adapter reports itself unavailable (probe) and the run goes on with the peers.
 *
 * Invariants: at most one database open per instance; `close` is idempotent and closes the store it made.
 * Concurrency: calls may overlap (ShaleDB's writer queue orders them).
 */
import type { ObjectStore } from '../../src/object-store/object-store.js';
import type { Progress } from '../lib/progress.js';
import { nowMs } from '../lib/timer.js';
import type {
  BenchEngine,
  EngineCapabilities,
  EngineDefinition,
  EngineOpenOptions,
  RequestCounts,
  ScanRange,
  ScanVisitor,
  SettleResult,
} from './engine.js';

/** The part of ShaleDB's public API the adapter uses (names fixed by the API design). */
interface ShaleScanIterator extends AsyncIterable<{ key: Uint8Array; value: Uint8Array }> {
  close?(): Promise<void> | void;
}
interface ShaleDb {
  put(key: Uint8Array, value: Uint8Array, options?: { awaitDurable?: boolean }): Promise<unknown>;
  write(batch: ShaleWriteBatch, options?: { awaitDurable?: boolean }): Promise<unknown>;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  getMany?(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  scan(range: { gte?: Uint8Array; lt?: Uint8Array }, options?: { order?: 'asc' | 'desc' }): ShaleScanIterator;
  flush(options?: { type: 'wal' | 'memtable' }): Promise<void>;
  close(): Promise<void>;
}
interface ShaleWriteBatch {
  put(key: Uint8Array, value: Uint8Array): unknown;
}
interface ShaleModule {
  Db: {
    open(
      path: string,
      store: ObjectStore | string,
      options?: { settings?: Record<string, unknown>; blockSize?: number },
    ): Promise<ShaleDb>;
  };
  WriteBatch: new () => ShaleWriteBatch;
  resolveObjectStore(url: string): Promise<ObjectStore> | ObjectStore;
}
interface CountingStore extends ObjectStore {
  snapshot(): { operations: Record<string, { calls: number }> };
}
interface CountingModule {
  CountingObjectStore: new (inner: ObjectStore) => CountingStore;
}
interface LatencyModule {
  LatencyModelObjectStore: new (inner: ObjectStore) => ObjectStore & { model: Record<string, number> };
}

const DB_PATH = 'db';

async function loadApi(): Promise<ShaleModule | string> {
  const mod = (await import('../../src/index.js')) as unknown as Partial<ShaleModule>;
  if (typeof mod.Db?.open !== 'function') return 'Db is not exported from src/index.ts yet';
  if (typeof mod.WriteBatch !== 'function') return 'WriteBatch is not exported from src/index.ts yet';
  if (typeof mod.resolveObjectStore !== 'function')
    return 'resolveObjectStore is not exported from src/index.ts yet';
  return mod as ShaleModule;
}

async function importOptional<T>(specifier: string): Promise<T | undefined> {
  try {
    return (await import(specifier)) as T;
  } catch {
    return undefined;
  }
}

const CAPABILITIES: EngineCapabilities = {
  objectStore: true,
  syncGet: false,
  getMany: false,
  requestCounts: true,
  compaction: 'background',
  groupCommit: true,
};

class ShaleDbEngine implements BenchEngine {
  readonly id = 'shaledb' as const;
  readonly capabilities: EngineCapabilities = CAPABILITIES;
  #api: ShaleModule | undefined;
  #db: ShaleDb | undefined;
  #counting: CountingStore | undefined;
  #store: ObjectStore | undefined;
  #notes: string[] = [];

  async open(options: EngineOpenOptions): Promise<void> {
    const api = await loadApi();
    if (typeof api === 'string') throw new Error(`shaledb: ${api}`);
    this.#api = api;
    let store = await api.resolveObjectStore(`file://${options.dir}`);
    this.#store = store;
    if (options.s3Model === true) {
      const lm = await importOptional<LatencyModule>('../../src/object-store/latency-model-store.js');
      if (lm === undefined) throw new Error('shaledb: the S3 latency model store is not available');
      store = new lm.LatencyModelObjectStore(store);
    }
    const counting = await importOptional<CountingModule>('../../src/object-store/counting-store.js');
    if (counting !== undefined) {
      this.#counting = new counting.CountingObjectStore(store);
      store = this.#counting;
    }
    this.#db = await api.Db.open(DB_PATH, store, {
      settings: {
        flushInterval: options.flushIntervalMs,
        compactorOptions: {
          pollInterval: options.compactorPollMs,
          schedulerOptions: { min_compaction_sources: '2' },
        },
      },
    });
    this.#notes = [];
  }

  #open(): ShaleDb {
    if (this.#db === undefined) throw new Error('shaledb: not open');
    return this.#db;
  }

  async put(key: Uint8Array, value: Uint8Array, durable: boolean): Promise<void> {
    await this.#open().put(key, value, { awaitDurable: durable });
  }

  async putBatch(
    keys: readonly Uint8Array[],
    values: readonly Uint8Array[],
    durable: boolean,
  ): Promise<void> {
    const batch = new this.#api!.WriteBatch();
    for (let i = 0; i < keys.length; i++) batch.put(keys[i]!, values[i]!);
    await this.#open().write(batch, { awaitDurable: durable });
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#open().get(key);
  }

  async scan(range: ScanRange, visit: ScanVisitor): Promise<number> {
    const it = this.#open().scan({
      ...(range.gte === undefined ? {} : { gte: range.gte }),
      ...(range.lt === undefined ? {} : { lt: range.lt }),
    });
    const limit = range.limit ?? Number.POSITIVE_INFINITY;
    let n = 0;
    try {
      for await (const row of it) {
        n++;
        if (visit(row.key, row.value) === false || n >= limit) break;
      }
    } finally {
      await it.close?.();
    }
    return n;
  }

  async settle(_progress?: Progress): Promise<SettleResult> {
    const t0 = nowMs();
    await this.#open().flush({ type: 'memtable' });
    return { ms: nowMs() - t0, notes: ['memtable flushed'] };
  }

  requestCounts(): RequestCounts {
    const out: Record<string, number> = {};
    const snap = this.#counting?.snapshot();
    for (const [op, c] of Object.entries(snap?.operations ?? {})) if (c.calls > 0) out[op] = c.calls;
    return out;
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db !== undefined) await db.close();
    const store = this.#store;
    this.#store = undefined;
    this.#counting = undefined;
    if (store !== undefined) await store.close();
  }

  describe(): readonly string[] {
    return [
      'durable: awaitDurable true; non-durable: awaitDurable false; flushInterval 100ms',
      'reads: get; scans: scan iterator; settings as SlateDB (compactor poll, min_compaction_sources 2)',
      ...this.#notes,
    ];
  }
}

/** ShaleDB from this checkout. */
export const shaleDbDefinition: EngineDefinition = {
  id: 'shaledb',
  label: 'ShaleDB (this checkout)',
  defaultEnabled: true,
  async probe() {
    try {
      const api = await loadApi();
      return typeof api === 'string' ? api : undefined;
    } catch (e) {
      return `cannot load src/index.ts: ${(e as Error).message}`;
    }
  },
  create: () => new ShaleDbEngine(),
};
