/**
 * `npm run bench:io`: measures the IO substrate on the real disk and prints a table with ratios, then writes the
 * figures as JSON to bench/results/. Flags: --quick (short windows, for a smoke run), --direct-probe (also run
 * the O_DIRECT probe), --dir <path> (where to put the files; default the OS temp dir).
 *
 * Every case runs `rounds` times (3; 1 with --quick), interleaved with the others, and the median is reported
 * with the spread: the disk may be shared, and load changes during a run.
 * Cases: durable 4 KiB appends at concurrency 1, 16 and 256 through the journal against a write + fdatasync per
 * op baseline at the same concurrency (the goal: journal at 256 >= 20x the per-op baseline); atomic 4 KiB
 * publishes against write-file-atomic (which fsyncs the file but not its directory); batch-lane files.
 * Invariants: figures are measured, never asserted; every run directory is removed afterwards.
 * Concurrency: one case at a time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  baselineAppends,
  batchFiles,
  type CaseResult,
  journalAppends,
  ourPublishes,
  type Timing,
  wfaPublishes,
} from './cases.js';
import { type DirectProbeResult, directProbe } from './direct-probe.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const probe = args.includes('--direct-probe');
const dirArg = args.indexOf('--dir');
const parent = dirArg >= 0 ? resolve(args[dirArg + 1]!) : os.tmpdir();
const timing: Timing = quick ? { warmupMs: 100, durationMs: 600 } : { warmupMs: 300, durationMs: 1500 };
const rounds = quick ? 1 : 3;

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function fsType(path: string): string {
  try {
    return execFileSync('df', ['-T', path], { encoding: 'utf8' }).trim().split('\n')[1]!.split(/\s+/)[1]!;
  } catch {
    return 'unknown';
  }
}

async function inFreshDir<T>(base: string, tag: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(base, `${tag}-`));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function extraText(r: CaseResult): string {
  return Object.entries(r.extra)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

interface Measured {
  /** The sample with the median rate. */
  readonly median: CaseResult;
  /** Every sample's rate, in run order. */
  readonly samples: number[];
}

function printTable(title: string, rows: Measured[], ratioOf: (r: CaseResult) => string): void {
  console.log(`\n${title}`);
  console.log(
    `${'case'.padEnd(42)} ${'conc'.padStart(4)} ${'median/s'.padStart(9)} ${'min-max/s'.padStart(17)} ${'ratio'.padStart(16)}  notes`,
  );
  for (const { median: r, samples } of rows) {
    const spread = `${fmt(Math.min(...samples))}-${fmt(Math.max(...samples))}`;
    console.log(
      `${r.name.padEnd(42)} ${String(r.concurrency).padStart(4)} ${fmt(r.opsPerSec).padStart(9)} ${spread.padStart(17)} ${ratioOf(r).padStart(16)}  ${extraText(r)}`,
    );
  }
}

interface CaseSpec {
  readonly key: string;
  readonly run: (dir: string) => Promise<CaseResult>;
}

function caseSpecs(): CaseSpec[] {
  const specs: CaseSpec[] = [];
  for (const c of [1, 16, 256]) {
    specs.push({ key: `baseline-c${c}`, run: (d) => baselineAppends(d, c, timing) });
    specs.push({ key: `journal-c${c}`, run: (d) => journalAppends(d, c, timing) });
  }
  for (const c of [1, 16]) {
    specs.push({ key: `publish-c${c}`, run: (d) => ourPublishes(d, c, timing, 'auto') });
    specs.push({ key: `wfa-c${c}`, run: (d) => wfaPublishes(d, c, timing, true) });
  }
  specs.push({ key: 'publish-none-c1', run: (d) => ourPublishes(d, 1, timing, 'none') });
  specs.push({ key: 'wfa-nofsync-c1', run: (d) => wfaPublishes(d, 1, timing, false) });
  specs.push({ key: 'batch-c1', run: (d) => batchFiles(d, 1, timing, 16) });
  specs.push({ key: 'batch-c4', run: (d) => batchFiles(d, 4, timing, 16) });
  return specs;
}

/** Runs every case `rounds` times, interleaved (so load changes hit all cases alike); keeps the median. */
async function measure(base: string, rounds: number): Promise<Map<string, Measured>> {
  const specs = caseSpecs();
  const samples = new Map<string, CaseResult[]>(specs.map((s) => [s.key, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const spec of specs) {
      const r = await inFreshDir(base, spec.key, spec.run);
      samples.get(spec.key)!.push(r);
      process.stderr.write(`  round ${round}/${rounds} ${r.name} c${r.concurrency}: ${fmt(r.opsPerSec)}/s\n`);
    }
  }
  const out = new Map<string, Measured>();
  for (const [key, rs] of samples) {
    const sorted = [...rs].sort((a, b) => a.opsPerSec - b.opsPerSec);
    out.set(key, { median: sorted[sorted.length >> 1]!, samples: rs.map((r) => Math.round(r.opsPerSec)) });
  }
  return out;
}

function report(m: Map<string, Measured>, probeResults: DirectProbeResult[] | undefined): void {
  const get = (key: string): Measured => m.get(key)!;
  const rate = (key: string): number => get(key).median.opsPerSec;
  const b1 = rate('baseline-c1');
  printTable(
    'Durable 4 KiB appends',
    ['baseline-c1', 'baseline-c16', 'baseline-c256', 'journal-c1', 'journal-c16', 'journal-c256'].map(get),
    (r) => {
      const same = rate(`baseline-c${r.concurrency}`);
      return `${(r.opsPerSec / same).toFixed(1)}x / ${(r.opsPerSec / b1).toFixed(1)}x`;
    },
  );
  console.log(
    '  ratio = vs the per-op baseline at the same concurrency / vs the per-op baseline at concurrency 1',
  );
  printTable(
    'Atomic 4 KiB publishes',
    ['publish-c1', 'wfa-c1', 'publish-c16', 'wfa-c16', 'publish-none-c1', 'wfa-nofsync-c1'].map(get),
    (r) => `${(r.opsPerSec / rate(`wfa-c${r.concurrency}`)).toFixed(2)}x wfa`,
  );
  console.log('  ratio = vs write-file-atomic with fsync at the same concurrency');
  printTable('Batch lane (files/s)', ['batch-c1', 'batch-c4'].map(get), (r) => {
    return `${(r.opsPerSec / rate('publish-c1')).toFixed(1)}x publish c1`;
  });
  if (probeResults !== undefined) {
    console.log('\nO_DIRECT probe (write + fdatasync, median MB/s over alternating trials)');
    for (const p of probeResults) {
      console.log(
        `  ${String(p.writeBytes).padStart(8)} B: buffered ${p.bufferedMBps} MB/s, O_DIRECT ${p.directMBps} MB/s`,
      );
    }
  }
}

async function main(): Promise<void> {
  mkdirSync(parent, { recursive: true });
  const base = mkdtempSync(join(parent, 'bench-io-'));
  const loadAvgStart = os.loadavg();
  try {
    const measured = await measure(base, rounds);
    const probeResults = probe ? directProbe(base, quick ? 3 : 7) : undefined;
    report(measured, probeResults);
    const rate = (key: string): number => measured.get(key)!.median.opsPerSec;
    const json = {
      benchmark: 'io',
      date: new Date().toISOString(),
      quick,
      rounds,
      timing,
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        node: process.version,
        kernel: os.release(),
        fsType: fsType(base),
        loadAvgStart,
        loadAvgEnd: os.loadavg(),
        gitCommit: gitCommit(),
      },
      results: Object.fromEntries(measured),
      directProbe: probeResults,
      goal: {
        journalC256VsBaselineC1: rate('journal-c256') / rate('baseline-c1'),
        journalC256VsBaselineC256: rate('journal-c256') / rate('baseline-c256'),
      },
    };
    const outDir = join(root, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, quick ? 'io-quick.local.json' : 'io.json');
    writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
    console.log(
      `\nload average ${loadAvgStart.map((x) => x.toFixed(2)).join(' ')} -> ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}; JSON: ${out}`,
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
