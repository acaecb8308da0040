/**
 * ShaleDB adapter: this checkout's public API (`Db`, `WriteBatch`, `resolveObjectStore` from src/index.ts) on a
 * `file://` store in the cell's fresh directory, with the same settings as the SlateDB adapter.
 *
 * Modes: durable = `put`/`write` with `awaitDurable: true` (resolves once the WAL object holding the write is
 * stored; flush interval 100 ms); non-durable = `awaitDurable: false`; `drain`, which ends every measured window,
 * writes the WAL buffer (`flush({ type: 'wal' })`). Batches are one `WriteBatch`; reads
 * `getSync` (memtables and cached blocks, like LevelDB's `getSync` from the page cache), falling back to `get` when
 * a block must be fetched, and `getMany`; scans the `DbIterator` read with `nextBatch` (1 000 rows per call, like
 * LevelDB's `nextv`). The block cache is 512 MiB: it is ShaleDB's page cache, where the file-based peers read
 * through the operating system's. The store stack, bottom up: the local store (`resolveObjectStore(url, { retry: false })`),
 * the S3 latency model when asked for, the object-store layer's CountingObjectStore (so it counts the requests that
 * reach the store), then Db's own retry wrapper. `settle` flushes the memtable to L0 and waits until the manifest
 * shows at most one L0 SST and no immutable memtable, or stops changing.
 *
 * Variant `shaledb-journal` (not in the default set): the same with the local WAL journal tier (`walJournal` in
 * `<cell dir>/journal`, docs/design/0005-wal-journal.md): a durable write resolves at the journal's group commit
 * (fdatasync) on the local disk; WAL SSTs still reach the store every flush interval.
 *
 * Invariants: at most one database open per instance; `close` is idempotent and closes the store it made.
 * Concurrency: calls may overlap (ShaleDB's write path orders them).
 */

import { join } from 'node:path';
import {
  Db,
  defaultSettings,
  type ObjectStore,
  resolveObjectStore,
  ShaleDBError,
  WriteBatch,
} from '../../src/index.js';
import { CountingObjectStore } from '../../src/object-store/counting-store.js';
import { LatencyModelObjectStore } from '../../src/object-store/latency-model-store.js';
import type { Progress } from '../lib/progress.js';
import { nowMs, sleepMs } from '../lib/timer.js';
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

/** A batched read, when the API has one (checked at run time, so the adapter follows the API as it grows). */
type GetMany = (keys: readonly Uint8Array[]) => Promise<(Uint8Array | undefined)[]>;

function getManyOf(db: Db): GetMany | undefined {
  const f = (db as unknown as { getMany?: GetMany }).getMany;
  return typeof f === 'function' ? f.bind(db) : undefined;
}

const HAS_GET_MANY = typeof (Db.prototype as unknown as { getMany?: unknown }).getMany === 'function';

const CAPABILITIES: EngineCapabilities = {
  objectStore: true,
  syncGet: true,
  getMany: HAS_GET_MANY,
  requestCounts: true,
  compaction: 'background',
  groupCommit: true,
};

const DB_PATH = 'db';
/** Large enough for the read workloads' data sets (1M x 100 B, 200k x 1 KiB). */
const BLOCK_CACHE_BYTES = 512 * 1024 * 1024;
const SCAN_BATCH = 1000;
const SETTLE_POLL_MS = 100;
/** Settling ends once the state is final (at most one L0, no immutable memtable) and quiet this long... */
const SETTLE_QUIET_MS = 1500;
/**
 * ...or once the state has not changed this long: no compaction is coming (a running compaction of a loaded data
 * set here takes a few seconds and ends by changing the state).
 */
const SETTLE_STALL_MS = 15_000;
const SETTLE_MAX_MS = 120_000;

class ShaleDbEngine implements BenchEngine {
  readonly id: 'shaledb' | 'shaledb-journal';
  readonly capabilities = CAPABILITIES;
  #db: Db | undefined;
  #counting: CountingObjectStore | undefined;
  #getMany: GetMany | undefined;
  #options: EngineOpenOptions | undefined;

  constructor(journal: boolean) {
    this.id = journal ? 'shaledb-journal' : 'shaledb';
  }

  async open(options: EngineOpenOptions): Promise<void> {
    this.#options = options;
    let store: ObjectStore = await resolveObjectStore(`file://${options.dir}`, { retry: false });
    if (options.s3Model === true) store = new LatencyModelObjectStore(store);
    const counting = new CountingObjectStore(store);
    try {
      this.#db = await Db.open(DB_PATH, counting, {
        // The block cache is ShaleDB's page cache; the file-based peers read through the OS page cache.
        blockCacheBytes: BLOCK_CACHE_BYTES,
        ...(this.id === 'shaledb-journal' ? { walJournal: { dir: join(options.dir, 'journal') } } : {}),
        settings: {
          flushInterval: options.flushIntervalMs,
          compactorOptions: {
            ...defaultSettings().compactorOptions!,
            pollInterval: options.compactorPollMs,
            schedulerOptions: { min_compaction_sources: '2' },
          },
        },
      });
    } catch (e) {
      await counting.close();
      throw e;
    }
    this.#counting = counting;
    this.#getMany = getManyOf(this.#db);
  }

  #open(): Db {
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
    const batch = new WriteBatch();
    for (let i = 0; i < keys.length; i++) batch.put(keys[i]!, values[i]!);
    await this.#open().write(batch, { awaitDurable: durable });
  }

  get(key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const db = this.#open();
    try {
      // The synchronous path answers from memtables and cached blocks; it throws NOT_CACHED when IO is needed.
      return db.getSync(key);
    } catch (e) {
      if (e instanceof ShaleDBError && e.code === 'NOT_CACHED') return db.get(key);
      throw e;
    }
  }

  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    if (this.#getMany === undefined) throw new Error('shaledb: getMany is not in the API');
    return this.#getMany(keys);
  }

  async scan(range: ScanRange, visit: ScanVisitor): Promise<number> {
    const it = this.#open().scan({
      ...(range.gte === undefined ? {} : { gte: range.gte }),
      ...(range.lt === undefined ? {} : { lt: range.lt }),
    });
    const limit = range.limit ?? Number.POSITIVE_INFINITY;
    let n = 0;
    try {
      for (;;) {
        const rows = await it.nextBatch(Math.min(SCAN_BATCH, limit - n));
        for (const row of rows) {
          n++;
          if (visit(row.key, row.value) === false) return n;
        }
        if (rows.length === 0 || n >= limit) return n;
      }
    } finally {
      it.close();
    }
  }

  /** Writes the WAL buffer to the store: non-durable writes are not in any object until then. */
  async drain(): Promise<void> {
    await this.#open().flush({ type: 'wal' });
  }

  async settle(progress?: Progress): Promise<SettleResult> {
    const t0 = nowMs();
    const db = this.#open();
    await db.flush({ type: 'memtable' });
    let last = '';
    let changedAt = nowMs();
    let s = db.status();
    for (;;) {
      s = db.status();
      const state = `${s.l0Count}/${s.sortedRunCount}/${s.immutableMemtables}`;
      if (state !== last) {
        last = state;
        changedAt = nowMs();
      }
      const quiet = nowMs() - changedAt;
      const final = s.l0Count <= 1 && s.immutableMemtables === 0;
      if ((final && quiet >= SETTLE_QUIET_MS) || quiet >= SETTLE_STALL_MS || nowMs() - t0 >= SETTLE_MAX_MS)
        break;
      await sleepMs(SETTLE_POLL_MS);
      progress?.tick(0);
    }
    return {
      ms: nowMs() - t0,
      notes: [`memtable flushed; L0 SSTs ${s.l0Count}, sorted runs ${s.sortedRunCount}`],
    };
  }

  requestCounts(): RequestCounts {
    const out: Record<string, number> = {};
    const snap = this.#counting?.snapshot();
    if (snap === undefined) return out;
    for (const [op, c] of Object.entries(snap.operations)) if (c.calls > 0) out[op] = c.calls;
    return out;
  }

  async close(): Promise<void> {
    const db = this.#db;
    const counting = this.#counting;
    this.#db = undefined;
    this.#counting = undefined;
    try {
      if (db !== undefined) await db.close();
    } finally {
      await counting?.close();
    }
  }

  describe(): readonly string[] {
    const flush = this.#options?.flushIntervalMs ?? 100;
    return [
      ...(this.id === 'shaledb-journal'
        ? [
            'durable writes resolve at the local WAL journal (fdatasync in <dir>/journal); WAL SSTs ship in the background',
          ]
        : []),
      `durable: awaitDurable true; non-durable: awaitDurable false; flushInterval ${flush}ms`,
      "end of every measured window: flush({ type: 'wal' }) (the WAL buffer written to the store)",
      `reads: get${HAS_GET_MANY ? ', getMany' : ' (no getMany in the API yet)'}; scans: DbIterator.nextBatch(1000)`,
      'settings: 0.12.1 defaults + compactor pollInterval, min_compaction_sources 2 (as SlateDB)',
    ];
  }
}

/** ShaleDB from this checkout. */
export const shaleDbDefinition: EngineDefinition = {
  id: 'shaledb',
  label: 'ShaleDB (this checkout)',
  defaultEnabled: true,
  async probe() {
    return undefined;
  },
  create: () => new ShaleDbEngine(false),
};

/** ShaleDB from this checkout with the local WAL journal tier. */
export const shaleDbJournalDefinition: EngineDefinition = {
  id: 'shaledb-journal',
  label: 'ShaleDB + local WAL journal (this checkout)',
  defaultEnabled: false,
  async probe() {
    return undefined;
  },
  create: () => new ShaleDbEngine(true),
};
