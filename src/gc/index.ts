/**
 * The garbage collector's public surface (re-exported by src/index.ts). Importing it also registers the embedded
 * collector, so every database opened with `garbageCollectorOptions` runs one (docs/gc.md).
 *
 * Invariants: exports only; the registration runs once per process (module caching).
 * Concurrency: none.
 */
import './gc-service.js';

export { GarbageCollector, type GarbageCollectorConfig, type GcRunOptions } from './garbage-collector.js';
export { type GcOpenOptions, openGarbageCollector } from './gc-open.js';
export {
  deletedCounts,
  GC_RESOURCES,
  type GcDeleteFailure,
  type GcPassReport,
  type GcResource,
  type GcResourceReport,
  type GcStats,
} from './gc-report.js';
