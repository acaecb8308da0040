/**
 * SlateDB adapter: the real SlateDB 0.12.1 (@slatedb/uniffi, Rust through UniFFI) on a `file://` object store in
 * the cell's fresh directory.
 *
 * Modes: durable = `put` / `write` with `await_durable: true` (resolves once the WAL object holding the write is
 * stored; WAL flush interval 100 ms); non-durable = `await_durable: false`; `drain`, which ends every measured
 * window, writes the WAL buffer (`flush_with_options({ flush_type: 'Wal' })`). Batches are one `WriteBatch`. Reads are
 * `get` (one awaited native call each); scans a `DbIterator` read row by row (the binding's only way). Settings
 * are 0.12.1's defaults except the flush interval, the compactor poll interval (so `settle` does not wait 5 s per
 * poll) and `min_compaction_sources` = 2 (so a loaded data set ends in one sorted run, like the peers' compacted
 * state); ShaleDB runs with the same settings. Object-store requests come from SlateDB's own metrics recorder
 * (`slatedb.object_store.request_count`, by `api` label). Every native handle is disposed in `close`.
 *
 * Invariants: at most one database open per instance; `close` is idempotent and disposes the db, the metrics
 * recorder and the store.
 * Concurrency: calls may overlap; SlateDB serialises writes internally.
 */
import {
  DbBuilder,
  DefaultMetricsRecorder,
  ObjectStore,
  Settings,
  type Db as SlateDb,
  WriteBatch,
} from '@slatedb/uniffi';
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

const CAPABILITIES: EngineCapabilities = {
  objectStore: true,
  syncGet: false,
  getMany: false,
  requestCounts: true,
  compaction: 'background',
  groupCommit: true,
};

const PUT_OPTIONS = { ttl: { tag: 'Default' } } as const;
const DURABLE = { await_durable: true } as const;
const NON_DURABLE = { await_durable: false } as const;
const DB_PATH = 'db';
const SETTLE_POLL_MS = 100;
const SETTLE_MAX_MS = 120_000;
/** The settle wait ends once this long has passed with no running compaction and at most one L0 SST... */
const SETTLE_QUIET_MS = 1500;
/**
 * ...or once the state has not changed this long: no compaction is coming (a running compaction of a loaded data
 * set here takes a few seconds and ends by changing the state).
 */
const SETTLE_STALL_MS = 15_000;

/** The settings both object-store engines run with (SlateDB JSON names). */
export function objectStoreEngineSettings(
  flushIntervalMs: number,
  compactorPollMs: number,
): Record<string, string> {
  return {
    flush_interval: JSON.stringify(`${flushIntervalMs}ms`),
    'compactor_options.poll_interval': JSON.stringify(`${compactorPollMs}ms`),
    'compactor_options.scheduler_options': JSON.stringify({ min_compaction_sources: '2' }),
  };
}

function counterValue(v: unknown): number {
  const m = v as { tag?: string; ''?: unknown };
  const x = m[''];
  return typeof x === 'bigint' ? Number(x) : typeof x === 'number' ? x : 0;
}

class SlateDbEngine implements BenchEngine {
  readonly id = 'slatedb' as const;
  readonly capabilities = CAPABILITIES;
  #db: SlateDb | undefined;
  #store: ObjectStore | undefined;
  #recorder: DefaultMetricsRecorder | undefined;
  #options: EngineOpenOptions | undefined;

  async open(options: EngineOpenOptions): Promise<void> {
    this.#options = options;
    const store = ObjectStore.resolve(`file://${options.dir}`);
    const recorder = new DefaultMetricsRecorder();
    const settings = Settings.default();
    const builder = new DbBuilder(DB_PATH, store);
    try {
      for (const [k, v] of Object.entries(
        objectStoreEngineSettings(options.flushIntervalMs, options.compactorPollMs),
      ))
        settings.set(k, v);
      builder.with_settings(settings);
      builder.with_metrics_recorder(recorder);
      this.#db = await builder.build();
      this.#store = store;
      this.#recorder = recorder;
    } catch (e) {
      recorder.dispose();
      store.dispose();
      throw e;
    } finally {
      builder.dispose();
      settings.dispose();
    }
  }

  #open(): SlateDb {
    if (this.#db === undefined) throw new Error('slatedb: not open');
    return this.#db;
  }

  async put(key: Uint8Array, value: Uint8Array, durable: boolean): Promise<void> {
    await this.#open().put_with_options(key, value, PUT_OPTIONS, durable ? DURABLE : NON_DURABLE);
  }

  async putBatch(
    keys: readonly Uint8Array[],
    values: readonly Uint8Array[],
    durable: boolean,
  ): Promise<void> {
    const batch = new WriteBatch();
    try {
      for (let i = 0; i < keys.length; i++) batch.put(keys[i]!, values[i]!);
      await this.#open().write_with_options(batch, durable ? DURABLE : NON_DURABLE);
    } finally {
      batch.dispose();
    }
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#open().get(key);
  }

  async scan(range: ScanRange, visit: ScanVisitor): Promise<number> {
    const it = await this.#open().scan({
      start: range.gte,
      start_inclusive: true,
      end: range.lt,
      end_inclusive: false,
    });
    let n = 0;
    try {
      const limit = range.limit ?? Number.POSITIVE_INFINITY;
      while (n < limit) {
        const kv = await it.next();
        if (kv === undefined) break;
        n++;
        if (visit(kv.key, kv.value) === false) break;
      }
    } finally {
      it.dispose();
    }
    return n;
  }

  /** Writes the WAL buffer to the store: non-durable writes are not in any object until then. */
  async drain(): Promise<void> {
    await this.#open().flush_with_options({ flush_type: 'Wal' });
  }

  #metric(name: string): number {
    let total = 0;
    for (const m of this.#recorder?.metrics_by_name(name) ?? []) total += counterValue(m.value);
    return total;
  }

  async settle(progress?: Progress): Promise<SettleResult> {
    const t0 = nowMs();
    await this.#open().flush_with_options({ flush_type: 'MemTable' });
    let quietSince = nowMs();
    let changedAt = nowMs();
    let last = '';
    let l0 = 0;
    while (nowMs() - t0 < SETTLE_MAX_MS) {
      await sleepMs(SETTLE_POLL_MS);
      progress?.tick(0);
      l0 = this.#metric('slatedb.db.l0_sst_count');
      const running = this.#metric('slatedb.compactor.running_compactions');
      const state = `${l0}/${running}/${this.#metric('slatedb.compactor.bytes_compacted')}`;
      if (state !== last) {
        last = state;
        changedAt = nowMs();
      }
      if (running > 0 || l0 > 1) quietSince = nowMs();
      else if (nowMs() - quietSince >= SETTLE_QUIET_MS) break;
      if (nowMs() - changedAt >= SETTLE_STALL_MS) break;
    }
    const timedOut = nowMs() - t0 >= SETTLE_MAX_MS;
    return {
      ms: nowMs() - t0,
      notes: [`memtable flushed; compactor idle${timedOut ? ' (timed out)' : ''}; L0 SSTs: ${l0}`],
    };
  }

  requestCounts(): RequestCounts {
    const out: Record<string, number> = {};
    for (const m of this.#recorder?.metrics_by_name('slatedb.object_store.request_count') ?? []) {
      const api = m.labels.find((l) => l.key === 'api')?.value ?? 'other';
      const n = counterValue(m.value);
      if (n > 0) out[api] = (out[api] ?? 0) + n;
    }
    return out;
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    try {
      if (db !== undefined) {
        await db.shutdown();
        db.dispose();
      }
    } finally {
      this.#recorder?.dispose();
      this.#store?.dispose();
      this.#recorder = undefined;
      this.#store = undefined;
    }
  }

  describe(): readonly string[] {
    const o = this.#options;
    return [
      `durable: await_durable true; non-durable: await_durable false; flush_interval ${o?.flushIntervalMs ?? 100}ms`,
      "end of every measured window: flush_with_options({ flush_type: 'Wal' }) (the WAL buffer written to the store)",
      'reads: get (awaited); scans: DbIterator.next per row',
      'settings: 0.12.1 defaults + compactor poll_interval, min_compaction_sources 2 (as ShaleDB)',
    ];
  }
}

/** SlateDB 0.12.1 through @slatedb/uniffi. */
export const slateDbDefinition: EngineDefinition = {
  id: 'slatedb',
  label: 'SlateDB 0.12.1 (@slatedb/uniffi)',
  defaultEnabled: true,
  async probe() {
    return undefined;
  },
  create: () => new SlateDbEngine(),
};
