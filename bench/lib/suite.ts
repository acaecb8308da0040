/**
 * The suite runner: probes the selected engines, plans the cells (workload × value size × engine, engines adjacent
 * in time so they meet the same machine conditions), runs them one at a time with progress, and assembles the
 * BenchReport. A cell that throws becomes a failed cell; the run goes on.
 *
 * Invariants: one engine runs at a time; each cell's directories are removed before the next starts; the machine
 * facts are read before the first cell and the load average again after the last.
 * Concurrency: sequential.
 */
import os from 'node:os';
import type { EngineDefinition, EngineId } from '../engines/engine.js';
import { ENGINES } from '../engines/registry.js';
import { workloadsFor } from '../workloads/registry.js';
import { s3Model } from '../workloads/s3-model.js';
import { failedCell, type WorkloadContext } from '../workloads/workload.js';
import { BenchData, KEY_BYTES } from './data.js';
import { ENGINE_NAMES, fmtUs, rateUnit } from './format.js';
import { machineInfo } from './machine.js';
import { fmtRate, type Progress } from './progress.js';
import type { BenchReport, CellResult, EngineReport, WorkloadId } from './result.js';
import type { Scale } from './scale.js';
import type { TempDirs } from './temp-dirs.js';
import { nowMs, wallMs } from './timer.js';

/** What to run. */
export interface SuiteOptions {
  readonly scale: Scale;
  readonly engines: readonly EngineId[];
  /** Why engines not selected were left out (e.g. excluded from the default set). */
  readonly notSelected: ReadonlyMap<EngineId, string>;
  readonly workloads: readonly WorkloadId[];
  readonly valueSizes: readonly number[];
  readonly seed: number;
  readonly flushIntervalMs: number;
  readonly compactorPollMs: number;
  /** Rounds of the whole plan (default 1). */
  readonly repeat?: number;
  readonly dirs: TempDirs;
  readonly progress: Progress;
  readonly argv: readonly string[];
}

async function probeEngines(
  o: SuiteOptions,
): Promise<{ reports: EngineReport[]; usable: EngineDefinition[] }> {
  const reports: EngineReport[] = [];
  const usable: EngineDefinition[] = [];
  for (const def of ENGINES) {
    const notes = [...def.create().describe()];
    if (!o.engines.includes(def.id)) {
      const reason = o.notSelected.get(def.id) ?? 'not selected';
      reports.push({ id: def.id, label: def.label, available: false, selected: false, reason, notes });
      continue;
    }
    const reason = await def.probe();
    reports.push({
      id: def.id,
      label: def.label,
      available: reason === undefined,
      selected: true,
      reason,
      notes,
    });
    if (reason === undefined) usable.push(def);
    else o.progress.log(`${def.label}: unavailable (${reason})`);
  }
  return { reports, usable };
}

function summarize(cells: readonly CellResult[]): string {
  return cells
    .map((c) =>
      c.error
        ? `${c.phase}: FAILED ${c.error}`
        : `${c.phase} ${fmtRate(c.opsPerSec)} ${rateUnit(c)}${c.latency ? ` p99 ${fmtUs(c.latency.p99Us)}µs` : ''}`,
    )
    .join(' | ');
}

/**
 * One cell per (workload, phase, engine, value size): the median round by throughput among the rounds that did
 * not fail (a failed cell only when all failed), with the rounds' count, minimum and maximum in `extra`.
 */
export function medianRounds(cells: readonly CellResult[]): CellResult[] {
  const groups = new Map<string, CellResult[]>();
  for (const c of cells) {
    const k = `${c.workload}|${c.phase}|${c.engine}|${c.valueBytes}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [c]);
    else g.push(c);
  }
  const out: CellResult[] = [];
  for (const g of groups.values()) {
    const ok = g.filter((c) => c.error === undefined).sort((a, b) => a.opsPerSec - b.opsPerSec);
    if (ok.length === 0) {
      out.push(g[0]!);
      continue;
    }
    const median = ok[(ok.length - 1) >>> 1]!;
    out.push({
      ...median,
      extra: {
        ...median.extra,
        rounds: ok.length,
        roundsMinOpsPerSec: ok[0]!.opsPerSec,
        roundsMaxOpsPerSec: ok[ok.length - 1]!.opsPerSec,
      },
    });
  }
  return out;
}

/** Runs the suite and returns its report. */
export async function runSuite(o: SuiteOptions): Promise<BenchReport> {
  const t0 = nowMs();
  const startedAt = new Date(wallMs()).toISOString();
  const machine = machineInfo(o.dirs.root, startedAt);
  const { reports, usable } = await probeEngines(o);
  const selected = new Set(o.workloads);
  const data = new BenchData(o.seed);
  const plan: { w: ReturnType<typeof workloadsFor>[number]; vb: number; e: EngineDefinition }[] = [];
  for (const w of workloadsFor(selected))
    for (const vb of o.valueSizes) for (const e of usable) if (w.appliesTo(e)) plan.push({ w, vb, e });
  const rounds = o.repeat ?? 1;
  o.progress.setTotal(plan.length * rounds);
  const results: CellResult[] = [];
  for (let round = 0; round < rounds; round++)
    for (const { w, vb, e } of plan) {
      const ctx: WorkloadContext = {
        engine: e,
        valueBytes: vb,
        scale: o.scale,
        data,
        progress: o.progress,
        dirs: o.dirs,
        flushIntervalMs: o.flushIntervalMs,
        compactorPollMs: o.compactorPollMs,
        selected,
      };
      const of = rounds > 1 ? ` · round ${round + 1}/${rounds}` : '';
      o.progress.startCell(`${w.title} · ${ENGINE_NAMES[e.id]} · ${vb} B${of}`);
      const cellStart = nowMs();
      let cells: CellResult[];
      try {
        cells = await w.run(ctx);
      } catch (err) {
        cells = [failedCell(ctx, w.ids.find((id) => selected.has(id)) ?? w.ids[0]!, 'all', err)];
      }
      results.push(...cells);
      machine.loadAvg1mAfterCells.push(Math.round(os.loadavg()[0]! * 100) / 100);
      o.progress.endCell(`${summarize(cells)} (${((nowMs() - cellStart) / 1000).toFixed(1)} s)`);
    }
  machine.loadAvgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const model = selected.has('s3') && usable.some((e) => e.id === 'shaledb') ? s3Model() : undefined;
  return {
    schema: 'shaledb-bench/1',
    mode: o.scale.mode,
    startedAt,
    durationMs: Math.round(nowMs() - t0),
    machine,
    parameters: {
      seed: o.seed,
      keyBytes: KEY_BYTES,
      valueSizes: o.valueSizes,
      workloads: o.workloads,
      flushIntervalMs: o.flushIntervalMs,
      compactorPollMs: o.compactorPollMs,
      repeat: rounds > 1 ? rounds : undefined,
      tempRoot: o.dirs.root,
      scale: o.scale,
      argv: o.argv,
    },
    engines: reports,
    results: rounds > 1 ? medianRounds(results) : results,
    s3Model: model === undefined ? undefined : { ...model },
  };
}
