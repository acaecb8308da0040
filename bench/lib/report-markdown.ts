/**
 * The markdown report: run header (machine, commit, load), the ratio table (ShaleDB ÷ each peer per workload,
 * phase and value size), one table per workload with ops/s and latency percentiles, object-store requests per
 * 1 000 operations, the S3-model results against their bound, correctness checks, engine configuration and run
 * parameters.
 *
 * Invariants: every number comes from the BenchReport; a missing figure renders as "–", a failed cell shows its
 * error; nothing is computed that the JSON does not also carry except ratios and per-1 000 request rates.
 * Concurrency: pure.
 */
import { ENGINE_IDS, type EngineId } from '../engines/engine.js';
import {
  ENGINE_NAMES,
  fmtBytes,
  fmtDuration,
  fmtNumber,
  fmtRatio,
  fmtSig,
  fmtUs,
  rateUnit,
  ratioToShale,
  slotKey,
  sortCells,
  valueLabel,
  WORKLOAD_TITLES,
} from './format.js';
import { requestsSection } from './report-requests.js';
import type { BenchReport, CellResult, WorkloadId } from './result.js';

const PEERS: readonly EngineId[] = ENGINE_IDS.filter((e) => e !== 'shaledb');

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], align?: string): string[] {
  const sep = align ?? head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ');
  return [row(head), `| ${sep} |`, ...rows.map(row)];
}

function header(r: BenchReport): string[] {
  const m = r.machine;
  const during = m.loadAvg1mAfterCells;
  const range =
    during.length === 0
      ? ''
      : `; 1-min load after each cell ${Math.min(...during)} to ${Math.max(...during)}`;
  const load = `${m.loadAvgStart.join(' / ')} at start, ${m.loadAvgEnd.join(' / ')} at end${range} (${m.cores} cores)`;
  return [
    `# ShaleDB side-by-side benchmark (${r.mode} mode)`,
    '',
    `- Date: ${r.startedAt}; duration ${fmtDuration(r.durationMs)}`,
    `- Commit: ${m.gitCommit.slice(0, 12)}${m.gitDirty ? ' (working tree has uncommitted changes)' : ''}`,
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${fmtBytes(m.memoryBytes)} RAM; ${m.os}`,
    `- Node ${m.node} (V8 ${m.v8})`,
    `- Disk: ${m.disk.device} (${m.disk.fsType}, ${m.disk.kind} per the kernel) mounted at ${m.disk.mountPoint}; temp root ${r.parameters.tempRoot}`,
    `- Load average (1/5/15 min): ${load}`,
    `- Keys ${r.parameters.keyBytes} B; values ${r.parameters.valueSizes.map(valueLabel).join(' and ')}; seed ${r.parameters.seed}`,
    '',
  ];
}

function engineLines(r: BenchReport): string[] {
  const out = ['## Engines', ''];
  for (const e of r.engines) {
    const state = e.available ? 'ran' : `did not run: ${e.reason ?? 'unavailable'}`;
    out.push(`- **${e.label}**: ${state}${e.notes.length > 0 ? `. ${e.notes.join('; ')}` : ''}`);
  }
  return [...out, ''];
}

function ratioSection(r: BenchReport): string[] {
  const shale = sortCells(
    r.results.filter(
      (c) => c.engine === 'shaledb' && !c.error && c.workload !== 's3' && c.workload !== 'loop',
    ),
  );
  const out = ['## ShaleDB ÷ peer (throughput ratio; above 1× ShaleDB is faster)', ''];
  if (shale.length === 0) {
    const why = r.engines.find((e) => e.id === 'shaledb')?.reason ?? 'no ShaleDB results';
    return [...out, `No ratios: ShaleDB did not run (${why}).`, ''];
  }
  // The journal variant is not in the default set: its column appears only when it ran.
  const peerIds = PEERS.filter((p) => p !== 'shaledb-journal' || r.results.some((c) => c.engine === p));
  const rows = shale.map((s) => {
    const peers = peerIds.map((p) => {
      const peer = r.results.find((c) => c.engine === p && slotKey(c) === slotKey(s));
      return peer === undefined ? '–' : fmtRatio(ratioToShale(r.results, peer));
    });
    return [s.workload, s.phase, valueLabel(s.valueBytes), ...peers];
  });
  const head = ['workload', 'phase', 'value', ...peerIds.map((p) => `vs ${ENGINE_NAMES[p]}`)];
  const align = ['---', '---', '---:', ...peerIds.map(() => '---:')].join(' | ');
  return [...out, ...table(head, rows, align), ''];
}

/** A table row for a failed cell: the leading cells, the error, then empty cells up to `width`. */
function errorRow(lead: readonly string[], error: string, width: number): string[] {
  return [...lead, `error: ${error}`, ...new Array<string>(Math.max(0, width - lead.length - 1)).fill('')];
}

function cellRow(r: BenchReport, c: CellResult): string[] {
  if (c.error) return errorRow([c.phase, valueLabel(c.valueBytes), ENGINE_NAMES[c.engine]], c.error, 10);
  const l = c.latency;
  const ratio = c.engine === 'shaledb' ? '1×' : fmtRatio(ratioToShale(r.results, c));
  return [
    c.phase,
    valueLabel(c.valueBytes),
    ENGINE_NAMES[c.engine],
    `${fmtNumber(c.opsPerSec)} ${rateUnit(c)}`,
    fmtUs(l?.p50Us),
    fmtUs(l?.p99Us),
    fmtUs(l?.p999Us),
    fmtNumber(l?.n ?? c.ops),
    fmtSig(c.extra?.['drainMs']),
    ratio,
  ];
}

function workloadSection(r: BenchReport, w: WorkloadId): string[] {
  const cells = sortCells(r.results.filter((c) => c.workload === w));
  if (cells.length === 0) return [];
  const head = [
    'phase',
    'value',
    'engine',
    'throughput',
    'p50 µs',
    'p99 µs',
    'p99.9 µs',
    'samples',
    'drain ms',
    'ShaleDB ÷',
  ];
  const out = [
    `## ${WORKLOAD_TITLES[w]}`,
    '',
    ...table(
      head,
      cells.map((c) => cellRow(r, c)),
      '--- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---:',
    ),
  ];
  const notes = cells.flatMap((c) =>
    (c.notes ?? []).map((n) => `- ${ENGINE_NAMES[c.engine]} ${c.phase} ${valueLabel(c.valueBytes)}: ${n}`),
  );
  const setup = cells.filter((c) => c.extra?.['loadKeysPerSec'] !== undefined);
  for (const c of setup) {
    const x = c.extra!;
    notes.push(
      `- ${ENGINE_NAMES[c.engine]} ${valueLabel(c.valueBytes)}: loaded ${fmtNumber(x['keys'])} keys at ` +
        `${fmtNumber(x['loadKeysPerSec'])} keys/s, settled in ${fmtDuration(x['settleMs'] ?? 0)}, reopened in ${fmtDuration(x['openMs'] ?? 0)}`,
    );
  }
  for (const c of cells) {
    const x = c.extra;
    if (x?.['rounds'] === undefined) continue;
    notes.push(
      `- ${ENGINE_NAMES[c.engine]} ${c.phase} ${valueLabel(c.valueBytes)}: median of ${x['rounds']} rounds; ` +
        `lowest ${fmtNumber(Math.round(x['roundsMinOpsPerSec'] ?? 0))}, highest ${fmtNumber(Math.round(x['roundsMaxOpsPerSec'] ?? 0))} ${rateUnit(c)}`,
    );
  }
  return notes.length > 0 ? [...out, '', ...notes, ''] : [...out, ''];
}

function s3Section(r: BenchReport): string[] {
  const cells = sortCells(r.results.filter((c) => c.workload === 's3'));
  if (cells.length === 0) return [];
  const m = r.s3Model;
  const model =
    m === undefined
      ? ''
      : `Model: GET ${m['getMs']} ms, PUT ${m['putMs']} ms first byte, ${fmtNumber((m['bandwidthBytesPerSec'] ?? 0) / 1e6)} MB/s per request. `;
  const head = [
    'phase',
    'value',
    'ops/s',
    'p50 µs',
    'p99 µs',
    'p99.9 µs',
    'floor ms/op',
    'bound ops/s',
    '% of bound',
    'requests/op',
  ];
  const rows = cells.map((c) => {
    if (c.error) return errorRow([c.phase, valueLabel(c.valueBytes)], c.error, head.length);
    const reqs = Object.values(c.requests ?? {}).reduce((a, b) => a + b, 0);
    return [
      c.phase,
      valueLabel(c.valueBytes),
      fmtNumber(c.opsPerSec),
      fmtUs(c.latency?.p50Us),
      fmtUs(c.latency?.p99Us),
      fmtUs(c.latency?.p999Us),
      fmtNumber(c.extra?.['floorMs']),
      fmtNumber(c.extra?.['boundOpsPerSec']),
      `${fmtNumber(c.extra?.['ofBoundPct'])}%`,
      c.ops > 0 ? fmtSig(reqs / c.ops) : '–',
    ];
  });
  const intro =
    `${model}Each operation needs at least one modelled request on its critical path, so with c in flight ` +
    'throughput is at most c ÷ floor (floor = modelled latency + transfer).';
  return [`## ${WORKLOAD_TITLES.s3}`, '', intro, '', ...table(head, rows), ''];
}

function checksSection(r: BenchReport): string[] {
  const bad: string[] = [];
  for (const c of r.results) {
    const x = c.extra ?? {};
    for (const k of ['misses', 'disorder', 'badValues'] as const) {
      if ((x[k] ?? 0) > 0)
        bad.push(
          `- ${ENGINE_NAMES[c.engine]} ${c.workload} ${c.phase} ${valueLabel(c.valueBytes)}: ${k} = ${x[k]}`,
        );
    }
    if (c.error)
      bad.push(
        `- ${ENGINE_NAMES[c.engine]} ${c.workload} ${c.phase} ${valueLabel(c.valueBytes)}: failed: ${c.error}`,
      );
  }
  const ok = 'Every get returned the loaded value and every scan was in key order.';
  return ['## Correctness checks', '', ...(bad.length === 0 ? [ok] : bad), ''];
}

function parametersSection(r: BenchReport): string[] {
  const s = r.parameters.scale;
  const loads = Object.entries(s.loadKeys).map(
    ([vb, n]) => `${fmtNumber(n)} keys at ${valueLabel(Number(vb))}`,
  );
  return [
    '## Run parameters',
    '',
    `- Mode ${r.mode}; workloads ${r.parameters.workloads.join(', ')}; flush interval ${r.parameters.flushIntervalMs} ms; compactor poll ${r.parameters.compactorPollMs} ms`,
    `- Warm-up: up to ${fmtNumber(s.warmupOps)} ops or ${s.warmupMs} ms of the same operation before each measured phase, on its own keys, then drained; not timed`,
    "- Window: from the first operation to the end of the engine's drain after the last (ShaleDB and SlateDB: a WAL flush; LMDB: `flushed`; LevelDB and RocksDB: nothing deferred); the drain ms column is its share",
    `- Caps (ops / ms): puts ${fmtNumber(s.putOps)} / ${s.putCapMs}; batches ${fmtNumber(s.batchKeys)} keys / ${s.batchCapMs}; durable ${fmtNumber(s.durableOps)} / ${s.durableCapMs} at c = ${s.durableConcurrency.join(', ')}`,
    `- Read data set: ${loads.join(', ')}; gets ${s.coldGetCapMs} ms cold, then ${s.getWarmupMs} ms warm-up and ${s.getCapMs} ms warm; full scan ${s.fullScanCapMs} ms; range scans ${s.rangeScanCapMs} ms; mixed ${s.mixedCapMs} ms`,
    `- S3 model: ${s.s3CapMs} ms per phase; cold gets at c = ${s.s3ColdConcurrency.join(', ')}`,
    ...(r.parameters.repeat === undefined
      ? []
      : [
          `- Rounds: ${r.parameters.repeat}; each figure is the cell's median round by throughput (lowest and highest rounds in the JSON extras)`,
        ]),
    `- Command: ${['npm run bench --', ...r.parameters.argv].join(' ')}`,
    '',
  ];
}

/** Milliseconds from microseconds, 3 significant figures. */
function fmtMsOfUs(us: number | undefined): string {
  return us === undefined ? '–' : fmtSig(us / 1000);
}

function loopSection(r: BenchReport): string[] {
  const cells = sortCells(r.results.filter((c) => c.workload === 'loop'));
  if (cells.length === 0) return [];
  const head = [
    'value',
    'engine',
    'target keys/s',
    'sustained keys/s',
    'loop p50 ms',
    'loop p99 ms',
    'loop p99.9 ms',
    'loop max ms',
    'batch p99 ms',
    'batch max ms',
    'drain ms',
  ];
  const rows = cells.map((c) => {
    if (c.error) return errorRow([valueLabel(c.valueBytes), ENGINE_NAMES[c.engine]], c.error, head.length);
    const l = c.latency;
    return [
      valueLabel(c.valueBytes),
      ENGINE_NAMES[c.engine],
      fmtNumber(c.extra?.['targetKeysPerSec']),
      fmtNumber(c.opsPerSec),
      fmtMsOfUs(l?.p50Us),
      fmtMsOfUs(l?.p99Us),
      fmtMsOfUs(l?.p999Us),
      fmtMsOfUs(l?.maxUs),
      fmtMsOfUs(c.extra?.['batchP99Us']),
      fmtMsOfUs(c.extra?.['batchMaxUs']),
      fmtSig(c.extra?.['drainMs']),
    ];
  });
  return [
    `## ${WORKLOAD_TITLES.loop}`,
    '',
    'The gap between ticks of a 1 ms timer (`monitorEventLoopDelay`; about 1.1 ms on an idle loop) while batches were issued on ' +
      'schedule with a loop turn between them, and how long each batch call took. An engine that encodes on the ' +
      'JavaScript thread delays everything else the application runs; one that works on its own threads does not.',
    '',
    ...table(head, rows, '--- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:'),
    '',
  ];
}

/** Renders the whole report as markdown. */
export function renderMarkdown(r: BenchReport): string {
  const sections = [
    header(r),
    ratioSection(r),
    ...(['put', 'batch', 'durable', 'get', 'scan', 'mixed'] as const).map((w) => workloadSection(r, w)),
    requestsSection(r),
    s3Section(r),
    loopSection(r),
    checksSection(r),
    engineLines(r),
    parametersSection(r),
  ];
  return `${sections.flat().join('\n').trimEnd()}\n`;
}
