/**
 * DbStats: the database writer's metrics under SlateDB 0.12.1's names (`slatedb.db.*`, `slatedb.db_cache.*`,
 * `slatedb.object_store_cache.*`), registered at open. Event counters are incremented where the event happens
 * (DbInner, the WAL flush callback, the L0 writer); state that lives elsewhere (memtable sizes, L0 count, block cache
 * and disk cache counters) is sampled by `refresh()`, which runs on every WAL flush and before every `db.metrics()`.
 *
 * Not produced yet (0.12.1 registers them): `slatedb.db_cache.access_count{entry_kind=stats}` (ShaleDB does not cache SST stats blocks).
 * Invariants: counters only grow (sampled counters advance by the growth of their source).
 * Concurrency: single event loop.
 */
import type { BlockCache } from '../format/block-cache.js';
import type { FilterStats } from '../format/sst-reader.js';
import type { CachedObjectStore } from '../object-store/disk-cache/cached-store.js';
import { DB, DB_CACHE, MERGE_OPERATOR_OPERANDS, OBJECT_STORE_CACHE } from '../util/metric-names.js';
import { type Counter, type Gauge, labels, type MetricsRecorder } from '../util/metrics.js';

/** What `refresh()` samples. */
export interface DbStatsSources {
  readonly walBufferBytes: () => number;
  readonly memBytes: () => number;
  readonly l0Count: () => number;
  readonly blockCache: BlockCache | undefined;
  readonly filterStats: FilterStats | undefined;
  readonly diskCache: CachedObjectStore | undefined;
}

/** A counter fed from a growing total. */
class Sampled {
  #last = 0;
  constructor(readonly counter: Counter) {}
  advanceTo(total: number): void {
    if (total > this.#last) this.counter.increment(total - this.#last);
    this.#last = Math.max(this.#last, total);
  }
}

function counter(
  r: MetricsRecorder,
  name: string,
  description: string,
  l: Record<string, string> = {},
): Counter {
  return r.registerCounter(name, description, labels(l));
}

function gauge(r: MetricsRecorder, name: string, description: string): Gauge {
  return r.registerGauge(name, description, []);
}

/** The writer's metric handles. */
export class DbStats {
  readonly getRequests: Counter;
  readonly scanRequests: Counter;
  readonly flushRequests: Counter;
  readonly writeOps: Counter;
  readonly writeBatchCount: Counter;
  readonly backpressureCount: Counter;
  readonly immutableMemtableFlushes: Counter;
  readonly l0FlushBytes: Counter;
  readonly walBufferFlushes: Counter;
  readonly walBufferFlushRequests: Counter;
  readonly mergeReadOperands: Counter;
  readonly mergeFlushOperands: Counter;
  readonly #walBufferEstimatedBytes: Gauge;
  readonly #totalMemSizeBytes: Gauge;
  readonly #l0SstCount: Gauge;
  readonly #filter: { positives: Sampled; negatives: Sampled; falsePositives: Sampled };
  readonly #cacheAccess: Record<'filter' | 'index' | 'data_block', { hit: Sampled; miss: Sampled }>;
  readonly #diskCache:
    | {
        hits: Sampled;
        accesses: Sampled;
        evictedKeys: Sampled;
        evictedBytes: Sampled;
        keys: Gauge;
        bytes: Gauge;
      }
    | undefined;
  #sources: DbStatsSources | undefined;

  constructor(r: MetricsRecorder, withDiskCache: boolean) {
    this.getRequests = counter(r, DB.REQUEST_COUNT, 'Database requests', { op: 'get' });
    this.scanRequests = counter(r, DB.REQUEST_COUNT, 'Database requests', { op: 'scan' });
    this.flushRequests = counter(r, DB.REQUEST_COUNT, 'Database requests', { op: 'flush' });
    this.writeOps = counter(r, DB.WRITE_OPS, 'Write operations (put, delete, merge)');
    this.writeBatchCount = counter(r, DB.WRITE_BATCH_COUNT, 'Write batches applied');
    this.backpressureCount = counter(
      r,
      DB.BACKPRESSURE_COUNT,
      'Writes that waited for unflushed bytes to drain',
    );
    this.immutableMemtableFlushes = counter(r, DB.IMMUTABLE_MEMTABLE_FLUSHES, 'Memtables flushed to L0');
    this.l0FlushBytes = counter(r, DB.L0_FLUSH_BYTES, 'Bytes of L0 SSTs written');
    this.walBufferFlushes = counter(r, DB.WAL_BUFFER_FLUSHES, 'WAL SSTs written');
    this.walBufferFlushRequests = counter(
      r,
      DB.WAL_BUFFER_FLUSH_REQUESTS,
      'Requests to flush the WAL buffer',
    );
    const operands = 'Merge operator operands resolved';
    this.mergeReadOperands = counter(r, MERGE_OPERATOR_OPERANDS, operands, { path: 'read' });
    this.mergeFlushOperands = counter(r, MERGE_OPERATOR_OPERANDS, operands, { path: 'flush' });
    this.#walBufferEstimatedBytes = gauge(
      r,
      DB.WAL_BUFFER_ESTIMATED_BYTES,
      'Estimated bytes in the WAL buffer',
    );
    this.#totalMemSizeBytes = gauge(
      r,
      DB.TOTAL_MEM_SIZE_BYTES,
      'Bytes in the memtable and immutable memtables',
    );
    this.#l0SstCount = gauge(r, DB.L0_SST_COUNT, 'L0 SSTs in the manifest');
    this.#filter = {
      positives: new Sampled(
        counter(r, DB.SST_FILTER_POSITIVE_COUNT, 'Bloom filter probes that may contain the key'),
      ),
      negatives: new Sampled(
        counter(r, DB.SST_FILTER_NEGATIVE_COUNT, 'Bloom filter probes that excluded the key'),
      ),
      falsePositives: new Sampled(
        counter(r, DB.SST_FILTER_FALSE_POSITIVE_COUNT, 'Bloom filter positives whose SST lacked the key'),
      ),
    };
    const access = (kind: string, result: string): Sampled =>
      new Sampled(counter(r, DB_CACHE.ACCESS_COUNT, 'Block cache accesses', { entry_kind: kind, result }));
    this.#cacheAccess = {
      filter: { hit: access('filter', 'hit'), miss: access('filter', 'miss') },
      index: { hit: access('index', 'hit'), miss: access('index', 'miss') },
      data_block: { hit: access('data_block', 'hit'), miss: access('data_block', 'miss') },
    };
    counter(r, DB_CACHE.ERROR_COUNT, 'Block cache errors (ShaleDB: none; the cache is in memory)');
    this.#diskCache = withDiskCache
      ? {
          hits: new Sampled(counter(r, OBJECT_STORE_CACHE.PART_HIT_COUNT, 'Disk cache part hits')),
          accesses: new Sampled(counter(r, OBJECT_STORE_CACHE.PART_ACCESS_COUNT, 'Disk cache part accesses')),
          evictedKeys: new Sampled(counter(r, OBJECT_STORE_CACHE.EVICTED_KEYS, 'Disk cache files evicted')),
          evictedBytes: new Sampled(counter(r, OBJECT_STORE_CACHE.EVICTED_BYTES, 'Disk cache bytes evicted')),
          keys: gauge(r, OBJECT_STORE_CACHE.CACHE_KEYS, 'Disk cache files'),
          bytes: gauge(r, OBJECT_STORE_CACHE.CACHE_BYTES, 'Disk cache bytes'),
        }
      : undefined;
  }

  /** Where `refresh()` reads state from (set once the database's parts exist). */
  setSources(sources: DbStatsSources): void {
    this.#sources = sources;
  }

  /** Samples the state-backed metrics. */
  refresh(): void {
    const s = this.#sources;
    if (s === undefined) return;
    this.#walBufferEstimatedBytes.set(s.walBufferBytes());
    this.#totalMemSizeBytes.set(s.memBytes());
    this.#l0SstCount.set(s.l0Count());
    if (s.filterStats !== undefined) {
      this.#filter.positives.advanceTo(s.filterStats.positives);
      this.#filter.negatives.advanceTo(s.filterStats.negatives);
      this.#filter.falsePositives.advanceTo(s.filterStats.falsePositives);
    }
    const bc = s.blockCache?.stats().byKind;
    if (bc !== undefined) {
      for (const kind of ['filter', 'index', 'data_block'] as const) {
        this.#cacheAccess[kind].hit.advanceTo(bc[kind].hits);
        this.#cacheAccess[kind].miss.advanceTo(bc[kind].misses);
      }
    }
    const dc = this.#diskCache;
    if (dc !== undefined && s.diskCache !== undefined) {
      const st = s.diskCache.stats;
      dc.hits.advanceTo(st.partHits);
      dc.accesses.advanceTo(st.partAccesses);
      dc.evictedKeys.advanceTo(st.evictedKeys);
      dc.evictedBytes.advanceTo(st.evictedBytes);
      dc.keys.set(s.diskCache.usage.files);
      dc.bytes.set(s.diskCache.usage.bytes);
    }
  }
}
