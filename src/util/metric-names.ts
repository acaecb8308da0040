/**
 * SlateDB 0.12.1's metric names (its `*_stats` modules: db_stats.rs, db_cache, compactor, garbage_collector/stats.rs,
 * instrumented_object_store.rs, cached_object_store/stats.rs), which ShaleDB publishes under the same names and
 * labels. 0.12.1 has no `slatedb.wal.*` or `slatedb.memtable_flush.*` families: WAL and memtable flush metrics are
 * `slatedb.db.wal_buffer_*`, `slatedb.db.immutable_memtable_flushes` and `slatedb.db.l0_flush_bytes`.
 *
 * Invariants: constants only; every name starts with "slatedb.".
 * Concurrency: pure.
 */

/** `slatedb.db.*` (0.12.1 db_stats.rs). */
export const DB = {
  REQUEST_COUNT: 'slatedb.db.request_count',
  WRITE_OPS: 'slatedb.db.write_ops',
  WRITE_BATCH_COUNT: 'slatedb.db.write_batch_count',
  BACKPRESSURE_COUNT: 'slatedb.db.backpressure_count',
  IMMUTABLE_MEMTABLE_FLUSHES: 'slatedb.db.immutable_memtable_flushes',
  WAL_BUFFER_FLUSHES: 'slatedb.db.wal_buffer_flushes',
  WAL_BUFFER_FLUSH_REQUESTS: 'slatedb.db.wal_buffer_flush_requests',
  WAL_BUFFER_ESTIMATED_BYTES: 'slatedb.db.wal_buffer_estimated_bytes',
  TOTAL_MEM_SIZE_BYTES: 'slatedb.db.total_mem_size_bytes',
  L0_SST_COUNT: 'slatedb.db.l0_sst_count',
  L0_FLUSH_BYTES: 'slatedb.db.l0_flush_bytes',
  SST_FILTER_FALSE_POSITIVE_COUNT: 'slatedb.db.sst_filter_false_positive_count',
  SST_FILTER_POSITIVE_COUNT: 'slatedb.db.sst_filter_positive_count',
  SST_FILTER_NEGATIVE_COUNT: 'slatedb.db.sst_filter_negative_count',
} as const;

/** `slatedb.merge_operator_operands{path=read|flush|compact}`. */
export const MERGE_OPERATOR_OPERANDS = 'slatedb.merge_operator_operands';

/** `slatedb.db_cache.*` (the block cache; labels entry_kind = filter|index|data_block|stats, result = hit|miss). */
export const DB_CACHE = {
  ACCESS_COUNT: 'slatedb.db_cache.access_count',
  ERROR_COUNT: 'slatedb.db_cache.error_count',
} as const;

/** `slatedb.compactor.*`. */
export const COMPACTOR = {
  BYTES_COMPACTED: 'slatedb.compactor.bytes_compacted',
  LAST_COMPACTION_TS_SEC: 'slatedb.compactor.last_compaction_timestamp_sec',
  RUNNING_COMPACTIONS: 'slatedb.compactor.running_compactions',
  TOTAL_BYTES_BEING_COMPACTED: 'slatedb.compactor.total_bytes_being_compacted',
  TOTAL_THROUGHPUT_BYTES_PER_SEC: 'slatedb.compactor.total_throughput_bytes_per_sec',
} as const;

/** `slatedb.gc.*` (deleted_count labelled resource = manifest|wal|compacted|compactions). */
export const GC = {
  DELETED_COUNT: 'slatedb.gc.deleted_count',
  COUNT: 'slatedb.gc.count',
} as const;

/** `slatedb.object_store.*` (labels component, store_type, op, api). */
export const OBJECT_STORE = {
  REQUEST_COUNT: 'slatedb.object_store.request_count',
  ERROR_COUNT: 'slatedb.object_store.error_count',
  REQUEST_DURATION_SECONDS: 'slatedb.object_store.request_duration_seconds',
} as const;

/** `slatedb.object_store_cache.*` (the local disk cache). */
export const OBJECT_STORE_CACHE = {
  PART_HIT_COUNT: 'slatedb.object_store_cache.part_hit_count',
  PART_ACCESS_COUNT: 'slatedb.object_store_cache.part_access_count',
  CACHE_KEYS: 'slatedb.object_store_cache.cache_keys',
  CACHE_BYTES: 'slatedb.object_store_cache.cache_bytes',
  EVICTED_KEYS: 'slatedb.object_store_cache.evicted_keys',
  EVICTED_BYTES: 'slatedb.object_store_cache.evicted_bytes',
} as const;
