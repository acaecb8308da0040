/**
 * Always-on assertions, and the switch for expensive invariant checks.
 *
 * Invariants: a failed assertion is a bug and throws ShaleDBError kind 'internal' (code ASSERTION_FAILED); it never
 * returns. Expensive checks run only when `invariants.enabled` (SHALEDB_INVARIANTS=1, set by the test runner).
 * Concurrency: pure; safe anywhere.
 */
import { ShaleDBError } from './errors.js';

/** Throws an internal error when `cond` is false. Narrows types like `asserts`. */
export function assert(cond: unknown, msg: string | (() => string)): asserts cond {
  if (!cond) {
    throw new ShaleDBError('internal', 'ASSERTION_FAILED', typeof msg === 'string' ? msg : msg());
  }
}

/** Marks code that must never run. */
export function unreachable(what: string): never {
  throw new ShaleDBError('internal', 'ASSERTION_FAILED', `unreachable: ${what}`);
}

/** Costly checks (re-verifying orders, re-decoding what was encoded) run only when enabled. */
export const invariants = {
  enabled: typeof process !== 'undefined' && process.env['SHALEDB_INVARIANTS'] === '1',
};
