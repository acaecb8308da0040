/**
 * RocksDB adapter (@nxtedition/rocksdb 12.2.12, RocksDB 9 through N-API, abstract-level API).
 *
 * Modes: non-durable = `sync: false`; durable = `sync: true` on the batch write (the binding ignores `sync` given to
 * `put`, so every write goes through `batch([...], { sync })`). This binding writes on the JS thread: a durable
 * write blocks the event loop for its fsync, so concurrent durable writers are serialised and get no group commit.
 * `drain` (the end of every measured window) has nothing to wait for: a `sync: false` write has written its WAL
 * record to the OS before it resolves.
 * Reads use the binding's synchronous multi-get with one key (`_getManySync`, its fastest read path); scans an
 * iterator read 1 000 rows per native call. The binding has no flush or compact call: `settle` closes and reopens
 * the database (recovery writes the memtable to L0) and waits until RocksDB reports no pending or running
 * compaction or flush.
 *
 * Invariants: at most one database open per instance; `close` is idempotent.
 * Concurrency: writes and synchronous reads run on the JS thread; iterators and async reads on the thread pool.
 */
import { createRequire } from 'node:module';
import type { Progress } from '../lib/progress.js';
import { nowMs, sleepMs } from '../lib/timer.js';
import type {
  BenchEngine,
  EngineCapabilities,
  EngineDefinition,
  EngineOpenOptions,
  ScanRange,
  ScanVisitor,
  SettleResult,
} from './engine.js';

/** The part of the binding's (untyped) API the adapter uses. */
interface RocksIterator {
  nextv(size: number): Promise<[Buffer, Buffer][]>;
  close(): Promise<void>;
}
interface RocksChainedBatch {
  put(key: Uint8Array, value: Uint8Array): void;
  write(options: { sync: boolean }): Promise<void>;
}
interface RocksLevelDb {
  open(options?: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
  batch(
    ops: { type: 'put'; key: Uint8Array; value: Uint8Array }[],
    options: { sync: boolean },
  ): Promise<void>;
  batch(): RocksChainedBatch;
  getMany(keys: Uint8Array[]): Promise<(Buffer | undefined)[]>;
  _getManySync(keys: Uint8Array[], options: Record<string, unknown>): (Buffer | undefined)[];
  iterator(options: Record<string, unknown>): RocksIterator;
  getProperty(name: string): string;
}
type RocksLevelCtor = new (location: string, options: Record<string, unknown>) => RocksLevelDb;

const require = createRequire(import.meta.url);

function loadBinding(): RocksLevelCtor {
  return (require('@nxtedition/rocksdb') as { RocksLevel: RocksLevelCtor }).RocksLevel;
}

const CAPABILITIES: EngineCapabilities = {
  objectStore: false,
  syncGet: true,
  getMany: true,
  requestCounts: false,
  compaction: 'background',
  groupCommit: false,
};

const OPEN_OPTIONS = { createIfMissing: true, infoLogLevel: null } as const;
const SETTLE_POLL_MS = 100;
const SETTLE_MAX_MS = 120_000;
const EMPTY = {};

class RocksDbEngine implements BenchEngine {
  readonly id = 'rocksdb' as const;
  readonly capabilities = CAPABILITIES;
  #db: RocksLevelDb | undefined;
  #dir = '';

  async open(options: EngineOpenOptions): Promise<void> {
    this.#dir = options.dir;
    await this.#openAt(options.dir);
  }

  async #openAt(dir: string): Promise<void> {
    const RocksLevel = loadBinding();
    const db = new RocksLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open(OPEN_OPTIONS);
    this.#db = db;
  }

  #open(): RocksLevelDb {
    if (this.#db === undefined) throw new Error('rocksdb: not open');
    return this.#db;
  }

  put(key: Uint8Array, value: Uint8Array, durable: boolean): Promise<void> {
    return this.#open().batch([{ type: 'put', key, value }], { sync: durable });
  }

  putBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], durable: boolean): Promise<void> {
    const batch = this.#open().batch();
    for (let i = 0; i < keys.length; i++) batch.put(keys[i]!, values[i]!);
    return batch.write({ sync: durable });
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#open()._getManySync([key], EMPTY)[0];
  }

  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.#open().getMany([...keys]);
  }

  async scan(range: ScanRange, visit: ScanVisitor): Promise<number> {
    const it = this.#open().iterator({
      ...(range.gte === undefined ? {} : { gte: range.gte }),
      ...(range.lt === undefined ? {} : { lt: range.lt }),
      limit: range.limit ?? -1,
    });
    let n = 0;
    try {
      const step = Math.min(1000, range.limit ?? 1000);
      let more = true;
      while (more) {
        const rows = await it.nextv(step);
        if (rows.length === 0) break;
        for (const [k, v] of rows) {
          n++;
          if (visit(k, v) === false) {
            more = false;
            break;
          }
        }
      }
    } finally {
      await it.close();
    }
    return n;
  }

  /** Nothing to finish: a `sync: false` write has written its WAL record to the OS before it resolves. */
  drain(): undefined {
    this.#open();
    return undefined;
  }

  async settle(progress?: Progress): Promise<SettleResult> {
    const t0 = nowMs();
    await this.close();
    await this.#openAt(this.#dir);
    const db = this.#open();
    const busy = (): boolean =>
      db.getProperty('rocksdb.compaction-pending') !== '0' ||
      db.getProperty('rocksdb.num-running-compactions') !== '0' ||
      db.getProperty('rocksdb.num-running-flushes') !== '0' ||
      db.getProperty('rocksdb.mem-table-flush-pending') !== '0';
    let idlePolls = 0;
    while (idlePolls < 3 && nowMs() - t0 < SETTLE_MAX_MS) {
      await sleepMs(SETTLE_POLL_MS);
      idlePolls = busy() ? 0 : idlePolls + 1;
      progress?.tick(0);
    }
    const l0 = db.getProperty('rocksdb.num-files-at-level0');
    return { ms: nowMs() - t0, notes: [`reopened; background compaction idle; L0 files: ${l0}`] };
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db !== undefined) await db.close();
  }

  describe(): readonly string[] {
    return [
      'non-durable: batch sync:false; durable: batch sync:true (written on the JS thread: no group commit)',
      'reads: _getManySync([key]); scans: iterator nextv(1000); settle: reopen + wait for idle compaction',
      'end of every measured window: nothing deferred (a sync:false write is in the OS before it resolves)',
    ];
  }
}

/** RocksDB through @nxtedition/rocksdb. */
export const rocksDbDefinition: EngineDefinition = {
  id: 'rocksdb',
  label: 'RocksDB (@nxtedition/rocksdb 12.2.12)',
  defaultEnabled: true,
  async probe() {
    try {
      loadBinding();
      return undefined;
    } catch (e) {
      return `cannot load @nxtedition/rocksdb: ${(e as Error).message}`;
    }
  },
  create: () => new RocksDbEngine(),
};
