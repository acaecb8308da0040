/**
 * The admin API's public surface (re-exported by src/index.ts): openAdmin and the Admin class, their option and
 * result types, and the JSON serializers that print results as SlateDB 0.12.1's `slatedb` CLI does
 * (docs/admin.md).
 *
 * Invariants: exports only, no side effects.
 * Concurrency: none.
 */
export type { Compaction, CompactionSpec, CompactionStatus, Compactions } from '../format/compactions.js';

export { Admin, type AdminOptions, openAdmin } from './admin.js';
export type { AdminCompactorOptions, CompactorRunResult } from './admin-compactor.js';
export type { AdminGcOnceOptions, AdminGcOptions, AdminGcResourceOptions } from './admin-gc.js';
export {
  checkpointCreateResultText,
  checkpointCreateResultToJson,
  checkpointJsonValue,
  checkpointsToJson,
  checkpointToJson,
  compactionJsonValue,
  compactionListToJson,
  compactionsJsonValue,
  compactionsToJson,
  compactionToJson,
  manifestJsonValue,
  manifestToJson,
  versionFilesToJson,
} from './admin-json.js';
export type {
  AdminProgress,
  CompactionsVersionInfo,
  IdRange,
  ManifestVersionInfo,
  ProgressCallback,
  Rounding,
  VersionFileInfo,
} from './admin-types.js';
export {
  DELETING_MARKER,
  type DeleteDbOptions,
  type DeleteDbReport,
  type ParentCheckpoint,
} from './delete-db.js';
export { chronoRfc3339, type JsonValue, serdeTime, stringifyJson } from './json-text.js';
export { loadObjectStoreFromEnv, parseEnvFile, storeUrlFromEnv } from './store-from-env.js';
export type { CompactionRequest, CompactionSpecInput } from './submit-compaction.js';
