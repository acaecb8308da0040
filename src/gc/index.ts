/**
 * The garbage collector's public surface (re-exported by src/index.ts). The embedded collector is started by the
 * root open (src/open/open.ts), not by importing this module (docs/gc.md).
 *
 * Invariants: exports only, no side effects.
 * Concurrency: none.
 */

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
