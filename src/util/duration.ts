/**
 * Durations in SlateDB's settings syntax: "100ms", "5s", "1s+500ms", "2m", "1h"; or a number of milliseconds.
 *
 * Invariants: results are non-negative finite milliseconds; anything else is an 'invalid' error naming the setting.
 * Concurrency: pure.
 */
import { invalidError } from './errors.js';

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

/** Parses a duration setting into milliseconds. `name` is used in the error message. */
export function parseDurationMs(value: string | number, name: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw invalidError(
        'INVALID_SETTING',
        `${name}: a duration must be a non-negative number of ms, got ${value}`,
      );
    }
    return value;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidError('INVALID_SETTING', `${name}: not a duration: ${JSON.stringify(value)}`);
  }
  let total = 0;
  for (const part of value.split('+')) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|ms|s|min|m|h)\s*$/.exec(part);
    if (m === null)
      throw invalidError('INVALID_SETTING', `${name}: not a duration: ${JSON.stringify(value)}`);
    total += Number(m[1]) * UNITS[m[2]!]!;
  }
  return total;
}

/** Formats milliseconds the way SlateDB prints durations ("100ms", "5s"). */
export function formatDurationMs(ms: number): string {
  if (ms % 1000 === 0 && ms !== 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
