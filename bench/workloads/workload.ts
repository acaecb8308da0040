/**
 * Workload: one benchmark scenario run for one engine and one value size, and the helpers every workload shares:
 * opening an engine in a fresh directory (closed and removed afterwards), running a measured phase by the one rule
 * (`measuredPhase`: warm-up and drain before the window, the drain inside it), counting object-store requests
 * around a phase, and turning a measured loop into a CellResult.
 *
 * Invariants: a workload opens engines only through `withEngine`, so each gets a fresh directory on the run's
 * disk and is closed and cleared before the next engine starts; figures exclude warm-up, load and settle time;
 * every window ends with the engine's drain, so it holds all the work its operations created and none of the
 * warm-up's.
 * Concurrency: one workload and one engine at a time.
 */
import type { BenchEngine, EngineDefinition, EngineOpenOptions } from '../engines/engine.js';
import type { BenchData } from '../lib/data.js';
import { type LoopOptions, type LoopResult, runLoop, warmUp } from '../lib/driver.js';
import type { Progress } from '../lib/progress.js';
import type { CellResult, OpUnit, WorkloadId } from '../lib/result.js';
import type { Scale } from '../lib/scale.js';
import type { TempDirs } from '../lib/temp-dirs.js';

/** What a workload gets to run one cell. */
export interface WorkloadContext {
  readonly engine: EngineDefinition;
  readonly valueBytes: number;
  readonly scale: Scale;
  readonly data: BenchData;
  readonly progress: Progress;
  readonly dirs: TempDirs;
  readonly flushIntervalMs: number;
  readonly compactorPollMs: number;
  /** The workload ids the user selected (the read group runs only the selected phases). */
  readonly selected: ReadonlySet<WorkloadId>;
}

/** A benchmark scenario. */
export interface Workload {
  /** The ids of the result rows it produces (the read group produces several). */
  readonly ids: readonly WorkloadId[];
  readonly title: string;
  /** True when it runs on `engine`. */
  appliesTo(engine: EngineDefinition): boolean;
  /** Runs every phase for one engine and value size. */
  run(ctx: WorkloadContext): Promise<CellResult[]>;
}

/** Options for opening an engine inside a workload. */
export interface OpenFor {
  readonly durable: boolean;
  readonly s3Model?: boolean;
}

/** Opens the cell's engine in a fresh directory, runs `fn`, then closes it and removes the directory. */
export async function withEngine<T>(
  ctx: WorkloadContext,
  tag: string,
  open: OpenFor,
  fn: (engine: BenchEngine, options: EngineOpenOptions) => Promise<T>,
): Promise<T> {
  const dir = ctx.dirs.fresh(`${tag}-${ctx.engine.id}-${ctx.valueBytes}`);
  const engine = ctx.engine.create();
  const options: EngineOpenOptions = {
    dir,
    flushIntervalMs: ctx.flushIntervalMs,
    compactorPollMs: ctx.compactorPollMs,
    durable: open.durable,
    ...(open.s3Model === undefined ? {} : { s3Model: open.s3Model }),
  };
  try {
    await engine.open(options);
    return await fn(engine, options);
  } finally {
    try {
      await engine.close();
    } finally {
      await ctx.dirs.remove(dir);
    }
  }
}

/** A warm-up: the phase's own operation on keys (or a random stream) of its own, run before the window. */
export interface WarmUpSpec {
  readonly op: (i: number) => unknown;
  readonly maxOps: number;
  readonly capMs: number;
  readonly concurrency?: number;
}

/** What a measured phase returns: the loop's figures and the object-store requests made in its window. */
export interface MeasuredPhase {
  readonly loop: LoopResult;
  readonly requests: Record<string, number> | undefined;
}

/**
 * Runs one measured phase by the rule every phase follows (bench/README.md, "Timing"): the warm-up (untimed), then
 * the engine's drain (untimed, so the window holds none of the warm-up's deferred work), then the window: the
 * loop, and the engine's drain after its last operation, timed as part of it. Requests are counted over the window.
 * `name` labels the phase in the progress display.
 */
export async function measuredPhase<P>(
  engine: BenchEngine,
  name: string,
  warm: WarmUpSpec | undefined,
  loop: Omit<LoopOptions<P>, 'drain'>,
): Promise<MeasuredPhase> {
  if (warm !== undefined) {
    loop.progress?.phase(`warm-up: ${name}`);
    await warmUp(warm.op, warm.maxOps, warm.capMs, warm.concurrency ?? loop.concurrency);
  }
  await engine.drain();
  const before = requestSnapshot(engine);
  loop.progress?.phase(name, loop.capMs);
  const result = await runLoop({ ...loop, drain: () => engine.drain() });
  return { loop: result, requests: requestDelta(engine, before) };
}

/** Object-store request counts of `engine` now (empty when it has none). */
export function requestSnapshot(engine: BenchEngine): Record<string, number> {
  return { ...(engine.requestCounts?.() ?? {}) };
}

/** Requests made between two snapshots (undefined when the engine does not count). */
export function requestDelta(
  engine: BenchEngine,
  before: Record<string, number>,
  after: Record<string, number> = requestSnapshot(engine),
): Record<string, number> | undefined {
  if (engine.requestCounts === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/** Fields of a cell besides the loop's figures. */
export interface CellFields {
  readonly workload: WorkloadId;
  readonly phase: string;
  readonly unit: OpUnit;
  readonly concurrency: number;
  /** Units per loop operation (batch size for batched puts). Default 1. */
  readonly unitsPerOp?: number;
  readonly requests?: Record<string, number> | undefined;
  readonly extra?: Record<string, number>;
  readonly notes?: readonly string[];
}

/** Builds a CellResult from a measured loop. */
export function cellFromLoop(ctx: WorkloadContext, loop: LoopResult, f: CellFields): CellResult {
  const units = loop.ops * (f.unitsPerOp ?? 1);
  return {
    workload: f.workload,
    phase: f.phase,
    engine: ctx.engine.id,
    valueBytes: ctx.valueBytes,
    unit: f.unit,
    concurrency: f.concurrency,
    ops: units,
    elapsedMs: round(loop.elapsedMs),
    opsPerSec: round(loop.opsPerSec * (f.unitsPerOp ?? 1)),
    latency: loop.histogram.summary(),
    requests: f.requests,
    extra: { ...f.extra, drainMs: round(loop.drainMs) },
    notes: f.notes,
  };
}

/** A failed cell. */
export function failedCell(
  ctx: WorkloadContext,
  workload: WorkloadId,
  phase: string,
  error: unknown,
): CellResult {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    workload,
    phase,
    engine: ctx.engine.id,
    valueBytes: ctx.valueBytes,
    unit: 'op',
    concurrency: 0,
    ops: 0,
    elapsedMs: 0,
    opsPerSec: 0,
    error: message,
  };
}

/** Rounds to 3 decimals. */
export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
