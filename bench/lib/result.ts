/**
 * The result model of a benchmark run: one CellResult per measured phase of a workload on one engine and value
 * size, and the BenchReport that carries them with the machine and run parameters. It is what `--json` prints and
 * what the markdown and SVG renderers read.
 *
 * Invariants: `opsPerSec` = ops / (elapsedMs / 1000) of the measured phase only (warm-up, load and settle are
 * excluded and reported in `extra`); latencies are per awaited operation, in µs. A failed cell has `error` set
 * and no figures.
 * Concurrency: plain data.
 */
import type { EngineId } from '../engines/engine.js';
import type { LatencySummary } from './histogram.js';
import type { MachineInfo } from './machine.js';
import type { Mode, Scale } from './scale.js';

/** Workload identifiers, in report order. */
export const WORKLOAD_IDS = ['put', 'batch', 'durable', 'get', 'scan', 'mixed', 's3', 'loop'] as const;

/** One of {@link WORKLOAD_IDS}. */
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** What one counted operation is. */
export type OpUnit = 'op' | 'key' | 'row' | 'scan';

/** One measured phase of one workload on one engine and value size. */
export interface CellResult {
  readonly workload: WorkloadId;
  /** The phase within the workload, e.g. "c256", "warm", "range100". */
  readonly phase: string;
  readonly engine: EngineId;
  readonly valueBytes: number;
  /** What `ops` counts (keys for batched puts, rows for full scans). */
  readonly unit: OpUnit;
  readonly concurrency: number;
  readonly ops: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  /** Per awaited call (a batch, a range scan, a get). */
  readonly latency?: LatencySummary | undefined;
  /** Object-store requests issued while the phase ran, by API name. */
  readonly requests?: Readonly<Record<string, number>> | undefined;
  /** Other figures: openMs, loadMs, settleMs, rows, misses, bound figures... */
  readonly extra?: Readonly<Record<string, number>> | undefined;
  readonly notes?: readonly string[] | undefined;
  readonly error?: string | undefined;
}

/** An engine as the run saw it. */
export interface EngineReport {
  readonly id: EngineId;
  readonly label: string;
  readonly available: boolean;
  /** It was selected for the run (absent in reports saved before this field existed). */
  readonly selected?: boolean;
  /** Why it did not run (unavailable, excluded from the default set, or not selected). */
  readonly reason?: string | undefined;
  /** How the adapter drives it. */
  readonly notes: readonly string[];
}

/** Everything a run produced. */
export interface BenchReport {
  readonly schema: 'shaledb-bench/1';
  readonly mode: Mode;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: MachineInfo;
  readonly parameters: {
    readonly seed: number;
    readonly keyBytes: number;
    readonly valueSizes: readonly number[];
    readonly workloads: readonly WorkloadId[];
    readonly flushIntervalMs: number;
    readonly compactorPollMs: number;
    /** Rounds run (absent: 1); with more, each cell is its median round by throughput. */
    readonly repeat?: number | undefined;
    readonly tempRoot: string;
    readonly scale: Scale;
    readonly argv: readonly string[];
  };
  readonly engines: readonly EngineReport[];
  readonly results: readonly CellResult[];
  /** The S3 latency model used by workload 8, when it ran. */
  readonly s3Model?: Readonly<Record<string, number>> | undefined;
}
