/**
 * Scale profiles: how many operations, keys and milliseconds each workload gets in each mode, chosen so the default
 * suite (five engines, two value sizes) finishes within 10 minutes on 2 cores, `--quick` within 2 minutes and
 * `--smoke` in seconds. Every measured phase stops at its operation count or its time cap, whichever comes first.
 *
 * Invariants: every count and cap is positive; loaded key counts are given per value size.
 * Concurrency: immutable data.
 */

/** A run mode. */
export type Mode = 'default' | 'quick' | 'smoke';

/** The operation counts and time caps of one mode. */
export interface Scale {
  readonly mode: Mode;
  /** Warm-up before each measured phase: operations and time cap. */
  readonly warmupOps: number;
  readonly warmupMs: number;
  /** 1. Non-durable single puts. */
  readonly putOps: number;
  readonly putCapMs: number;
  /** 2. Batched puts: keys per batch, total keys, cap. */
  readonly batchSize: number;
  readonly batchKeys: number;
  readonly batchCapMs: number;
  /** 3. Durable puts at each concurrency. */
  readonly durableConcurrency: readonly number[];
  readonly durableOps: number;
  readonly durableCapMs: number;
  /** 4-6. Keys loaded (batched, non-durable) then settled, by value size in bytes. */
  readonly loadKeys: Readonly<Record<number, number>>;
  /** 4. Random gets: warm phase (after a warm-up of random gets this long) and cold phase (right after reopening). */
  readonly getWarmupMs: number;
  readonly getOps: number;
  readonly getCapMs: number;
  readonly coldGetOps: number;
  readonly coldGetCapMs: number;
  /** Batched gets (getMany) of this many keys per call, where the engine has it. */
  readonly getManySize: number;
  /** 5. Full scan cap; 100-key range scans. */
  readonly fullScanCapMs: number;
  readonly rangeRows: number;
  readonly rangeScanOps: number;
  readonly rangeScanCapMs: number;
  /** 6. Mixed 80% gets / 20% puts. */
  readonly mixedOps: number;
  readonly mixedCapMs: number;
  /** 8. ShaleDB on the S3 latency model: cap per phase, keys loaded for the cold-get phases (by value size). */
  readonly s3CapMs: number;
  readonly s3LoadKeys: Readonly<Record<number, number>>;
  readonly s3ColdConcurrency: readonly number[];
  /** 9. Paced ingest: target keys/s by value size, and how long. */
  readonly loopKeysPerSec: Readonly<Record<number, number>>;
  readonly loopMs: number;
}

const MS = 1;
const S = 1000 * MS;

/** The default suite: about 7-8 minutes with five engines and two value sizes on 2 cores. */
const DEFAULT: Scale = {
  mode: 'default',
  warmupOps: 2_000,
  warmupMs: 300,
  putOps: 200_000,
  putCapMs: 1.5 * S,
  batchSize: 1_000,
  batchKeys: 1_000_000,
  batchCapMs: 1.5 * S,
  durableConcurrency: [1, 256],
  durableOps: 200_000,
  durableCapMs: 3 * S,
  loadKeys: { 100: 1_000_000, 1024: 200_000 },
  getWarmupMs: 1.5 * S,
  getOps: 1_000_000,
  getCapMs: 1.5 * S,
  coldGetOps: 20_000,
  coldGetCapMs: 1 * S,
  getManySize: 100,
  fullScanCapMs: 3 * S,
  rangeRows: 100,
  rangeScanOps: 100_000,
  rangeScanCapMs: 1.5 * S,
  mixedOps: 1_000_000,
  mixedCapMs: 1.5 * S,
  s3CapMs: 3 * S,
  s3LoadKeys: { 100: 200_000, 1024: 25_000 },
  s3ColdConcurrency: [1, 16],
  loopKeysPerSec: { 100: 100_000, 1024: 25_000 },
  loopMs: 8 * S,
};

/** `--quick`: the same workloads at about a tenth of the scale; under 2 minutes. */
const QUICK: Scale = {
  ...DEFAULT,
  mode: 'quick',
  warmupOps: 500,
  warmupMs: 100,
  putCapMs: 400,
  batchCapMs: 400,
  durableCapMs: 500,
  loadKeys: { 100: 100_000, 1024: 25_000 },
  getWarmupMs: 400,
  getCapMs: 400,
  coldGetCapMs: 300,
  fullScanCapMs: 800,
  rangeScanCapMs: 400,
  mixedCapMs: 400,
  s3CapMs: 1 * S,
  s3LoadKeys: { 100: 50_000, 1024: 6_000 },
  loopMs: 1 * S,
};

/** `--smoke`: a few hundred operations per workload, for the test suite. */
const SMOKE: Scale = {
  ...QUICK,
  mode: 'smoke',
  warmupOps: 50,
  warmupMs: 50,
  putOps: 300,
  putCapMs: 300,
  batchSize: 100,
  batchKeys: 300,
  batchCapMs: 300,
  durableConcurrency: [1, 16],
  durableOps: 300,
  durableCapMs: 300,
  loadKeys: { 100: 2_000, 1024: 500 },
  getWarmupMs: 50,
  getOps: 300,
  getCapMs: 300,
  coldGetOps: 100,
  coldGetCapMs: 200,
  getManySize: 10,
  fullScanCapMs: 300,
  rangeRows: 100,
  rangeScanOps: 100,
  rangeScanCapMs: 200,
  mixedOps: 300,
  mixedCapMs: 300,
  s3CapMs: 400,
  s3LoadKeys: { 100: 500, 1024: 100 },
  s3ColdConcurrency: [1, 4],
  loopMs: 300,
};

/** The scale of a mode. */
export function scaleFor(mode: Mode): Scale {
  return mode === 'default' ? DEFAULT : mode === 'quick' ? QUICK : SMOKE;
}

/** A per-value-size count at `valueBytes` (scaled inversely with the value size for sizes not listed). */
export function countFor(counts: Readonly<Record<number, number>>, valueBytes: number): number {
  const listed = counts[valueBytes];
  if (listed !== undefined) return listed;
  const base = counts[100] ?? 100_000;
  return Math.max(100, Math.round((base * 100) / Math.max(100, valueBytes)));
}

/** Keys loaded for the read workloads at `valueBytes`. */
export function loadKeysFor(scale: Scale, valueBytes: number): number {
  return countFor(scale.loadKeys, valueBytes);
}
