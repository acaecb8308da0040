/**
 * Argument values of the `shaledb` commands (commander parses the command line): usage errors as 'invalid' USAGE
 * ShaleDBErrors with a one-line message, ids, sizes and counts ("42", "64MiB", "4").
 *
 * Invariants: a bad argument never reaches a command as a guessed value: malformed ids, sizes and counts are
 * USAGE errors; run.ts prints them on one line and exits 2.
 * Concurrency: pure.
 */
import { CommanderError, InvalidArgumentError } from 'commander';
import { invalidError, isShaleDBError, type ShaleDBError } from '../util/errors.js';

/** A usage error: main prints it on one line with a pointer to `--help`, and exits 2. */
export function usageError(message: string): ShaleDBError {
  return invalidError('USAGE', message);
}

/** True for a usage error (ours, or commander's). */
export function isUsageError(e: unknown): boolean {
  if (isShaleDBError(e, 'invalid', 'USAGE')) return true;
  return e instanceof CommanderError;
}

/** A commander argument parser that wraps our usage errors as commander's, so commander names the option. */
export function argParser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** A u64 id or count that fits a JS safe integer ("0", "42"). */
export function parseId(text: string, option: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw usageError(`${option}: expected a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * A byte size: an integer with an optional unit, "4096", "64MiB", "64M" (binary), "1GB" (decimal), "512 KiB".
 * Throws a usage error naming `option` otherwise.
 */
export function parseSize(text: string, option: string): number {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m === null ? undefined : SIZE_UNITS[m[2]!.toLowerCase()];
  const n = m === null || unit === undefined ? Number.NaN : Number(m[1]) * unit;
  if (!Number.isSafeInteger(n)) {
    throw usageError(`${option}: not a size: ${JSON.stringify(text)} (e.g. 4096, 64MiB, 1GB)`);
  }
  return n;
}

/** A whole number (0 or more) argument, or a usage error naming the option. */
export function parseWhole(text: string, option: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw usageError(`${option}: expected a whole number, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** A positive integer count. Throws a usage error naming `option` otherwise. */
export function parseCount(text: string, option: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw usageError(`${option}: expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return n;
}
