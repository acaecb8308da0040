/**
 * Command-line argument parsing for every `shaledb` command: one parser (node:util parseArgs, strict), usage
 * errors as 'invalid' USAGE ShaleDBErrors with a one-line message, and size and count values ("64MiB", "4").
 *
 * Invariants: a bad argument never reaches a command as a guessed value: unknown options, missing values, extra
 * positionals and malformed sizes are USAGE errors; `main.ts` prints them on one line and exits 2.
 * Concurrency: pure.
 */
import { parseArgs } from 'node:util';
import { invalidError, isShaleDBError, type ShaleDBError } from '../util/errors.js';

/** parseArgs option descriptors. */
export type OptionSpecs = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** A usage error: main prints it on one line with a pointer to `--help`, and exits 2. */
export function usageError(message: string): ShaleDBError {
  return invalidError('USAGE', message);
}

/** True for a usage error (ours, or one node's parseArgs threw). */
export function isUsageError(e: unknown): boolean {
  if (isShaleDBError(e, 'invalid', 'USAGE')) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * Parses `argv` strictly with `options` plus `--help`/`-h`; at most `maxPositionals` positionals. Throws
 * usage errors.
 */
export function parseCommandArgs<O extends OptionSpecs>(
  argv: readonly string[],
  options: O,
  maxPositionals = 0,
): {
  values: {
    [K in keyof O]?: O[K]['multiple'] extends true
      ? string[]
      : O[K]['type'] extends 'string'
        ? string
        : boolean;
  } & {
    help?: boolean;
  };
  positionals: string[];
} {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    // node's messages are one line already, with a hint for the common mistakes.
    throw usageError((e as Error).message.split('\n')[0]!);
  }
  if (parsed.values['help'] !== true && parsed.positionals.length > maxPositionals) {
    throw usageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
  }
  return parsed as never;
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

/** A positive integer count. Throws a usage error naming `option` otherwise. */
export function parseCount(text: string, option: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw usageError(`${option}: expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return n;
}
