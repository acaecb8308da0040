/**
 * Durations as slatedb-cli 0.12.1 reads its `--lifetime`, `--min-age` and `min_age=`/`period=` values: the
 * humantime 2.2 grammar, which differs from the settings grammar in src/util/duration.ts (plurals, "M" for months,
 * 30.44-day months and 365.25-day years, spaces between a number and its unit).
 *
 * Grammar: one or more spans, each an unsigned integer then a unit, optionally separated by whitespace
 * ("7days 30min 10s", "2h37min", "1 hour"). Units (case-sensitive): nanos nsec ns | usec us µs | millis msec ms |
 * seconds second secs sec s | minutes minute mins min m | hours hour hrs hr h | days day d | weeks week w |
 * months month M (2,630,016 s) | years year y (31,557,600 s). A number without a unit is an error.
 *
 * Invariants: results are whole non-negative milliseconds (sub-millisecond spans round down in the total); bad
 * input is an 'invalid' USAGE error whose message names the option.
 * Concurrency: pure.
 */
import { invalidError } from '../util/errors.js';

const UNIT_NS = new Map<string, bigint>();
const unit = (ns: bigint, ...names: string[]) => {
  for (const n of names) UNIT_NS.set(n, ns);
};
unit(1n, 'nanos', 'nsec', 'ns');
unit(1_000n, 'usec', 'us', 'µs');
unit(1_000_000n, 'millis', 'msec', 'ms');
unit(1_000_000_000n, 'seconds', 'second', 'secs', 'sec', 's');
unit(60_000_000_000n, 'minutes', 'minute', 'mins', 'min', 'm');
unit(3_600_000_000_000n, 'hours', 'hour', 'hrs', 'hr', 'h');
unit(86_400_000_000_000n, 'days', 'day', 'd');
unit(604_800_000_000_000n, 'weeks', 'week', 'w');
unit(2_630_016_000_000_000n, 'months', 'month', 'M');
unit(31_557_600_000_000_000n, 'years', 'year', 'y');

const SPAN = /\s*(\d+)\s*([A-Za-zµ]*)\s*/y;
/** Seconds fit in a u64, as humantime requires. */
const MAX_NS = ((1n << 64n) - 1n) * 1_000_000_000n;

/** Parses a humantime duration into milliseconds; `option` names the flag in the error. */
export function parseHumantimeMs(text: string, option: string): number {
  const fail = (why: string) =>
    invalidError('USAGE', `${option}: ${why} in ${JSON.stringify(text)} (e.g. "24h", "7days 30min 10s")`);
  if (text.trim() === '') throw fail('empty duration');
  let total = 0n;
  let pos = 0;
  while (pos < text.length) {
    SPAN.lastIndex = pos;
    const m = SPAN.exec(text);
    if (m === null) throw fail(`expected a number at ${pos}`);
    const [, digits, name] = m;
    if (name === '') throw fail(`time unit needed after ${digits}`);
    const ns = UNIT_NS.get(name!);
    if (ns === undefined) throw fail(`unknown time unit ${JSON.stringify(name)}`);
    total += BigInt(digits!) * ns;
    if (total > MAX_NS) throw fail('number is too large');
    pos = SPAN.lastIndex;
  }
  return Number(total / 1_000_000n);
}
