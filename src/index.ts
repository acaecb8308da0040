/**
 * The public API of ShaleDB: everything a user imports from "shaledb" is re-exported here, and nothing else is
 * public. Test and benchmark helpers live in "shaledb/testing" (testing.ts), the abstract-level adapter in
 * "shaledb/level" (level/index.ts).
 */
export * from './admin/index.js';
export {
  type CheckpointAdminOptions,
  type CheckpointCreateResult,
  type CheckpointInfo,
  type CheckpointOptions,
  createDetachedCheckpoint,
  type DbCheckpointOptions,
  deleteCheckpoint,
  listCheckpoints,
  refreshCheckpoint,
} from './db/checkpoint.js';
export { type CloneOptions, createClone } from './db/clone.js';
export type { DbOpenOptions, DbStatus } from './db/db.js';
export { DbIterator, type KeyValue } from './db/db-iterator.js';
export { DbReader, type DbReaderOptions, type DbReaderStatus } from './db/db-reader.js';
export type { DbStatusSubscription } from './db/db-status-watch.js';
export type {
  DurabilityFilter,
  FlushOptions,
  MergeOptions,
  PutOptions,
  ReadOptions,
  ScanOptions,
  ScanRange,
  WriteHandle,
  WriteOptions,
} from './db/options.js';
export { Snapshot } from './db/snapshot.js';
export { DbTransaction } from './db/transaction.js';
export { TransactionIterator } from './db/transaction-iterator.js';
export type { IsolationLevel } from './db/transaction-manager.js';
export type { RowEntry } from './db/wal-files.js';
export type { FollowedRow, FollowOptions, WalFollower, WalGap } from './db/wal-follow.js';
export type { WalJournalOptions } from './db/wal-journal.js';
export {
  openWalReader,
  type WalFile,
  type WalFileIterator,
  type WalFileMetadata,
  WalReader,
} from './db/wal-reader.js';
export { type BatchOpOptions, type Ttl, WriteBatch } from './db/write-batch.js';
export type { Manifest } from './format/manifest.js';
export * from './gc/index.js';
export type { MergeOperator } from './lsm/merge-operator.js';
export { CountingObjectStore, type RequestCounts } from './object-store/counting-store.js';
export {
  CachedObjectStore,
  type CachedObjectStoreOptions,
} from './object-store/disk-cache/cached-store.js';
export type { ObjectStoreCacheOptions, PreloadLevel } from './object-store/disk-cache/options.js';
export {
  InstrumentedObjectStore,
  type ObjectStoreComponent,
} from './object-store/instrumented-store.js';
export { LocalObjectStore, type LocalObjectStoreOptions } from './object-store/local-store.js';
export { MemoryObjectStore } from './object-store/memory-store.js';
export {
  type GetOptions,
  type GetResult,
  isObjectStoreError,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  ObjectStoreError,
  type ObjectStoreErrorReason,
  type PutMode,
  type PutOptions as ObjectPutOptions,
  type PutResult,
} from './object-store/object-store.js';
export { type ResolveObjectStoreOptions, resolveObjectStore } from './object-store/resolve.js';
export { RetryingObjectStore, type RetryingObjectStoreOptions } from './object-store/retrying-store.js';
export { Db } from './open/open.js';
export {
  type CompactorOptions,
  type CompressionCodec,
  type Duration,
  defaultSettings,
  type GarbageCollectorDirectoryOptions,
  type GarbageCollectorOptions,
  type Settings,
} from './store/settings.js';
export {
  DEFAULT_SETTINGS_FILES,
  type LoadSettingsOptions,
  loadSettings,
  settingsFromEnv,
  settingsFromFile,
} from './store/settings-load.js';
export type { CloseReason, ErrorCode, ErrorKind } from './util/errors.js';
export { isDataError, ShaleDBError } from './util/errors.js';
export {
  defaultLogger,
  jsonLogger,
  type LogFields,
  type Logger,
  type LogLevel,
} from './util/logger.js';
export {
  type Counter,
  DefaultMetricsRecorder,
  findMetric,
  type Gauge,
  type Histogram,
  type HistogramValue,
  LATENCY_BOUNDARIES,
  type Metric,
  type MetricLabel,
  type MetricsRecorder,
  noopMetricsRecorder,
  type UpDownCounter,
} from './util/metrics.js';
export { type OtelMeterLike, openTelemetryRecorder } from './util/metrics-otel.js';
export { prometheusName, toPrometheusText } from './util/metrics-prometheus.js';
