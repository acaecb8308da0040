/**
 * "shaledb/testing": object stores for tests and benchmarks, kept out of the main entry's types. They wrap a real
 * store to inject faults (FaultInjectingObjectStore) or model an object store's latency and bandwidth
 * (LatencyModelObjectStore); neither belongs in production.
 */
export {
  FaultInjectingObjectStore,
  type FaultInjectingOptions,
} from './object-store/fault-injecting-store.js';
export {
  type LatencyModel,
  LatencyModelObjectStore,
  S3_STANDARD_MODEL,
} from './object-store/latency-model-store.js';
