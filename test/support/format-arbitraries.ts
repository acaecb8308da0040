/**
 * fast-check arbitraries for format tests: rows with every legal flag combination, sorted row sets for
 * compacted SSTs, and seq-ordered row lists for WAL SSTs.
 *
 * Invariants: generated rows satisfy RowEntry's rules (non-empty keys up to 65535 bytes, tombstones carry an
 * empty value); sorted sets are in compareRows order with unique (key, seq).
 * Concurrency: pure.
 */
import fc from 'fast-check';
import { compareRows, type RowEntry, type RowKind } from '../../src/format/row.js';
import { testSeed } from '../../src/util/random.js';

/** A timestamp in the safe range, biased to realistic milliseconds and i64-ish extremes. */
export const timestampArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  fc.constantFrom(0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
);

/** A row with a given key: any kind, optional timestamps, values up to `maxValue` bytes. */
export function rowArb(key: fc.Arbitrary<Uint8Array>, maxValue = 64): fc.Arbitrary<RowEntry> {
  return fc
    .record({
      key,
      kind: fc.constantFrom<RowKind>('value', 'tombstone', 'merge'),
      value: fc.uint8Array({ maxLength: maxValue }),
      seq: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER)),
      createTs: fc.option(timestampArb, { nil: undefined }),
      expireTs: fc.option(timestampArb, { nil: undefined }),
    })
    .map((r) => ({ ...r, value: r.kind === 'tombstone' ? new Uint8Array(0) : r.value }));
}

/** Short keys drawn from a small alphabet, so prefixes and duplicates are common. */
export const smallKeyArb: fc.Arbitrary<Uint8Array> = fc
  .array(fc.constantFrom(0x00, 0x61, 0x62, 0x63, 0xff), { minLength: 1, maxLength: 12 })
  .map((a) => Uint8Array.from(a));

/** Rows sorted in compareRows order with unique (key, seq). */
export function sortedRowsArb(
  options: { maxRows?: number; maxValue?: number; key?: fc.Arbitrary<Uint8Array> } = {},
): fc.Arbitrary<RowEntry[]> {
  return fc
    .array(rowArb(options.key ?? smallKeyArb, options.maxValue ?? 64), { maxLength: options.maxRows ?? 200 })
    .map((rows) => {
      const sorted = [...rows].sort(compareRows);
      return sorted.filter((r, i) => i === 0 || compareRows(sorted[i - 1]!, r) !== 0);
    });
}

/** Rows in non-decreasing seq order (a WAL's order); keys arbitrary. */
export function walRowsArb(options: { maxRows?: number } = {}): fc.Arbitrary<RowEntry[]> {
  return fc
    .array(rowArb(smallKeyArb), { maxLength: options.maxRows ?? 200 })
    .map((rows) => [...rows].sort((a, b) => a.seq - b.seq));
}

/** Strips views and Buffer-ness so rows compare with deepStrictEqual. */
export function plainRow(r: RowEntry): RowEntry {
  return {
    key: new Uint8Array(r.key),
    value: new Uint8Array(r.value),
    seq: r.seq,
    kind: r.kind,
    createTs: r.createTs,
    expireTs: r.expireTs,
  };
}

/** fast-check parameters seeded from testSeed() (SHALEDB_SEED reruns); prints the seed. */
export function fcParams(label: string, numRuns?: number): fc.Parameters<unknown> {
  const seed = testSeed();
  console.log(`${label}: seed ${seed}`);
  return numRuns === undefined ? { seed } : { seed, numRuns };
}
