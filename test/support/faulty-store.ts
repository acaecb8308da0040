/**
 * A store that fails at random and a retry layer above it, as the model tests run the database: injected errors and
 * timeouts (seeded) below a RetryingObjectStore with short backoffs, so faults cost retries, not test time.
 */
import { FaultInjectingObjectStore } from '../../src/object-store/fault-injecting-store.js';
import type { ObjectStore } from '../../src/object-store/object-store.js';
import { RetryingObjectStore } from '../../src/object-store/retrying-store.js';
import type { SeededRand } from '../../src/util/random.js';

/** The fault layer (to read its counts or switch it off) and the retrying store to open the database on. */
export function faultyRetryingStore(
  inner: ObjectStore,
  seed: number,
  rand: SeededRand,
  errorRate: number,
  timeoutRate: number,
): { faulty: FaultInjectingObjectStore; store: RetryingObjectStore } {
  const faulty = new FaultInjectingObjectStore(inner, {
    seed,
    rates: { default: { errorRate, timeoutRate, timeoutMs: 20, appliedFraction: 0.5 } },
  });
  const store = new RetryingObjectStore(faulty, {
    backoffInitialMs: 1,
    backoffMaxMs: 4,
    attemptsMax: 30,
    rand,
  });
  return { faulty, store };
}
