/**
 * Durations in SlateDB 0.12.1's settings syntax, or a number of milliseconds. 0.12.1 parses duration strings with
 * the duration-str grammar (checked against the real SlateDB, test/support oracle, in duration.test.ts):
 *
 * - a term is an unsigned integer with an optional unit right after it (no space): "100ms", "5s", "1h"; a bare
 *   number is seconds ("0", "5");
 * - units, case-insensitive: ns nsec nanosecond | us usec microsecond µs | ms msec millisecond | s sec second |
 *   m min minute | h hr hour | d day | w week | mon month (30 days) | y year (365 days); no plurals;
 * - terms add up, separated by whitespace or "+" ("1s 500ms", "1s+500ms", "1h 30m", "1s + 1s"), or directly
 *   after a unit ("1h30m", "1m1" = 61 s); a bare number must be followed by "+" or the end;
 * - or a product "2m*3" / "3 * 2m" / "2*3" (at most one term with a unit; "*" and "+" do not mix);
 * - the total must fit in 2^64-1 nanoseconds; no fractions, no signs.
 *
 * Invariants: results are non-negative finite milliseconds; anything else is an 'invalid' error naming the setting.
 * Concurrency: pure.
 */
import { invalidError } from './errors.js';

/** Nanoseconds per unit, by lower-cased unit name. */
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  nsec: 1n,
  nanosecond: 1n,
  us: 1_000n,
  usec: 1_000n,
  microsecond: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  msec: 1_000_000n,
  millisecond: 1_000_000n,
  s: 1_000_000_000n,
  sec: 1_000_000_000n,
  second: 1_000_000_000n,
  m: 60_000_000_000n,
  min: 60_000_000_000n,
  minute: 60_000_000_000n,
  h: 3_600_000_000_000n,
  hr: 3_600_000_000_000n,
  hour: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  day: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
  week: 604_800_000_000_000n,
  mon: 2_592_000_000_000_000n,
  month: 2_592_000_000_000_000n,
  y: 31_536_000_000_000_000n,
  year: 31_536_000_000_000_000n,
};

// Longer names first, so "ms" is not read as "m" and "mon" not as "m".
const TERM =
  /(\d+)(nanosecond|nsec|ns|microsecond|usec|us|µs|millisecond|msec|ms|second|sec|s|minute|month|min|mon|m|hour|hr|h|day|d|week|w|year|y)?/iy;
const MAX_NS = (1n << 64n) - 1n;

interface Term {
  readonly count: bigint;
  /** Nanoseconds per count (a second for a bare number). */
  readonly unitNs: bigint;
  readonly unit: boolean;
}

/** Reads one term at `pos`, or undefined. */
function termAt(s: string, pos: number): { term: Term; end: number } | undefined {
  TERM.lastIndex = pos;
  const m = TERM.exec(s);
  if (m === null) return undefined;
  const count = BigInt(m[1]!);
  const unit = m[2];
  const unitNs = unit === undefined ? 1_000_000_000n : UNIT_NS[unit.toLowerCase()]!;
  return { term: { count, unitNs, unit: unit !== undefined }, end: TERM.lastIndex };
}

/** Total nanoseconds of a duration string, or undefined when it is not one. */
function parseNs(input: string): bigint | undefined {
  const s = input.trim();
  if (s === '') return undefined;
  if (s.includes('*')) {
    if (s.includes('+')) return undefined;
    let unitNs = 1_000_000_000n;
    let product = 1n;
    let units = 0;
    for (const part of s.split('*')) {
      const f = part.trim();
      const t = termAt(f, 0);
      if (t === undefined || t.end !== f.length) return undefined;
      if (t.term.unit) {
        units++;
        unitNs = t.term.unitNs;
      }
      product *= t.term.count;
    }
    return units > 1 ? undefined : product * unitNs;
  }
  let total = 0n;
  let pos = 0;
  let previous: Term | undefined;
  while (pos < s.length) {
    if (previous !== undefined) {
      const sep = /\s*\+\s*|\s+/y;
      sep.lastIndex = pos;
      const m = sep.exec(s);
      const plus = m?.[0].includes('+') === true;
      if (m !== null) pos = sep.lastIndex;
      // A bare number ends the input or is followed by "+"; a term with a unit may be followed directly.
      if (!plus && !previous.unit) return undefined;
      if (m === null && !/\d/.test(s[pos] ?? '')) return undefined;
    }
    const t = termAt(s, pos);
    if (t === undefined) return undefined;
    total += t.term.count * t.term.unitNs;
    pos = t.end;
    previous = t.term;
  }
  return total;
}

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
  const ns = typeof value === 'string' ? parseNs(value) : undefined;
  if (ns === undefined || ns > MAX_NS) {
    throw invalidError(
      'INVALID_SETTING',
      `${name}: not a duration: ${JSON.stringify(value)} (examples: "100ms", "1s 500ms", "1h30m", "0")`,
    );
  }
  return Number(ns) / 1e6;
}

/** Formats milliseconds the way SlateDB prints durations ("100ms", "5s"). */
export function formatDurationMs(ms: number): string {
  if (ms % 1000 === 0 && ms !== 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
