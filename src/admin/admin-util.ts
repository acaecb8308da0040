/**
 * Small helpers the admin API's files share: option-key checks, id and seq argument validation, and progress
 * reporting that never lets a callback's error break the work it reports on.
 *
 * Invariants: a bad argument is an 'invalid' ShaleDBError naming it; ids are u64 (non-negative integers), and
 * those above 2^53 - 1 (which no stored version can have) are refused.
 * Concurrency: pure.
 */
import { invalidError } from '../util/errors.js';
import type { AdminProgress, ProgressCallback, Rounding } from './admin-types.js';

/** Refuses keys of `o` not in `known` ('invalid' INVALID_ARGUMENT). */
export function checkOptionKeys(o: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      throw invalidError(
        'INVALID_ARGUMENT',
        `unknown ${what} ${JSON.stringify(key)} (known: ${known.join(', ')})`,
      );
    }
  }
}

const U64_MAX = (1n << 64n) - 1n;

/** A u64 argument (number or bigint) as a bigint. */
export function toU64(v: unknown, name: string): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw invalidError('INVALID_ARGUMENT', `${name} must be a u64, got ${v}`);
    return v;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw invalidError('INVALID_ARGUMENT', `${name} must be a non-negative integer, got ${String(v)}`);
}

/** A stored-version id argument as a number (ids above 2^53 - 1 are refused: no store holds that many). */
export function toVersionId(v: unknown, name: string): number {
  const id = toU64(v, name);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalidError('INVALID_ARGUMENT', `${name} ${id} is beyond any stored version`);
  }
  return Number(id);
}

/** Calls `cb` with `p`, ignoring anything it throws. */
export function reportProgress(cb: ProgressCallback | undefined, p: AdminProgress): void {
  if (cb === undefined) return;
  try {
    cb(p);
  } catch {
    // A progress display must not break the work it shows.
  }
}

/**
 * A rounding as the `slatedb` CLI's `--round` takes it: "up"/"roundup" or "down"/"rounddown", any case. Anything
 * else is 'invalid' INVALID_ARGUMENT.
 */
export function parseRounding(text: string): Rounding {
  const t = typeof text === 'string' ? text.toLowerCase() : '';
  if (t === 'up' || t === 'roundup') return 'up';
  if (t === 'down' || t === 'rounddown') return 'down';
  throw invalidError(
    'INVALID_ARGUMENT',
    `invalid rounding ${JSON.stringify(text)} (up, roundup, down, rounddown)`,
  );
}
