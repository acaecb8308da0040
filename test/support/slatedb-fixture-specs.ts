/**
 * The SlateDB 0.12.1 fixture set: which databases scripts/make-slatedb-fixtures.ts asks the oracle to write
 * under testdata/slatedb-0.12.1/, and what each one's workload.json records.
 *
 * Invariants: a fixture's workload is regenerated from its spec (seeded), so workload.json stores only the
 * spec, the settings, the seq and create_ts SlateDB gave each batch, and a hash of SlateDB's final scan.
 * Concurrency: constants and pure functions.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompressionCodec } from '../../src/format/compression.js';
import type { OracleBlockSizeKib } from './slatedb-oracle.js';
import type { BatchHandle, WorkloadSpec } from './slatedb-workload.js';

/** One fixture database. */
export interface FixtureSpec {
  readonly name: string;
  readonly codec: CompressionCodec;
  readonly blockSizeKib: OracleBlockSizeKib;
  readonly workload: WorkloadSpec;
  /** Run the compactor (16 KiB output SSTs) and wait for a sorted run before the last memtable. */
  readonly compact?: boolean;
}

/** What a fixture directory's workload.json holds. */
export interface FixtureRecord {
  readonly spec: FixtureSpec;
  readonly handles: BatchHandle[][];
  readonly scanHash: string;
  readonly slatedbVersion: string;
}

const FILTERED: number[] = Array.from({ length: 11 }, () => 100);

/** The fixtures. Together they stay well under 2 MB. */
export const FIXTURES: readonly FixtureSpec[] = [
  {
    name: 'none-4k',
    codec: 'none',
    blockSizeKib: 4,
    workload: { seed: 101, memtables: [FILTERED, [60, 40], [50, 50]], oversizedValueBytes: 9000 },
  },
  {
    name: 'snappy-1k',
    codec: 'snappy',
    blockSizeKib: 1,
    workload: { seed: 102, memtables: [FILTERED, [40], [30]], oversizedValueBytes: 3000 },
  },
  {
    name: 'zlib-4k',
    codec: 'zlib',
    blockSizeKib: 4,
    workload: { seed: 103, memtables: [FILTERED, [50], [30]] },
  },
  {
    name: 'lz4-64k',
    codec: 'lz4',
    blockSizeKib: 64,
    workload: { seed: 104, memtables: [FILTERED, [50], [30]], oversizedValueBytes: 70_000 },
  },
  {
    name: 'zstd-4k',
    codec: 'zstd',
    blockSizeKib: 4,
    workload: { seed: 105, memtables: [FILTERED, [50], [30]] },
  },
  {
    name: 'compacted-none-4k',
    codec: 'none',
    blockSizeKib: 4,
    workload: { seed: 106, memtables: [[150, 150], [150, 150], [150, 150], [150, 150], [100]] },
    compact: true,
  },
];

/** testdata/slatedb-0.12.1 in the checkout. */
export const FIXTURE_ROOT = join(
  fileURLToPath(new URL('../..', import.meta.url)),
  'testdata',
  'slatedb-0.12.1',
);
