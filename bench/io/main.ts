/**
 * `npm run bench:io`: measures the IO substrate on the real disk and prints a table with ratios, then writes the
 * figures as JSON to bench/results/. Flags: --quick (short windows, for a smoke run), --direct-probe (also run
 * the O_DIRECT probe), --dir <path> (where to put the files; default the OS temp dir).
 *
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
const timing: Timing = quick ? { warmupMs: 100, durationMs: 600 } : { warmupMs: 500, durationMs: 3000 };

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

function printTable(title: string, rows: CaseResult[], ratioOf: (r: CaseResult) => string): void {
  console.log(`\n${title}`);
  console.log(
    `${'case'.padEnd(44)} ${'conc'.padStart(5)} ${'ops/s'.padStart(10)} ${'ratio'.padStart(18)}  notes`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(44)} ${String(r.concurrency).padStart(5)} ${fmt(r.opsPerSec).padStart(10)} ${ratioOf(r).padStart(18)}  ${extraText(r)}`,
    );
  }
}

async function main(): Promise<void> {
  mkdirSync(parent, { recursive: true });
  const base = mkdtempSync(join(parent, 'bench-io-'));
  const results: CaseResult[] = [];
  const run = async (tag: string, fn: (dir: string) => Promise<CaseResult>): Promise<CaseResult> => {
    const r = await inFreshDir(base, tag, fn);
    results.push(r);
    process.stderr.write(`  ${r.name} c${r.concurrency}: ${fmt(r.opsPerSec)}/s\n`);
    return r;
  };
  let probeResults: DirectProbeResult[] | undefined;
  try {
    const baseline = new Map<number, CaseResult>();
    const journal = new Map<number, CaseResult>();
    for (const c of [1, 16, 256]) {
      baseline.set(c, await run('baseline', (d) => baselineAppends(d, c, timing)));
      journal.set(c, await run('journal', (d) => journalAppends(d, c, timing)));
    }
    const publish: CaseResult[] = [];
    for (const c of [1, 16]) {
      publish.push(await run('publish', (d) => ourPublishes(d, c, timing, 'auto')));
      publish.push(await run('wfa', (d) => wfaPublishes(d, c, timing, true)));
    }
    publish.push(await run('publish-none', (d) => ourPublishes(d, 1, timing, 'none')));
    publish.push(await run('wfa-nofsync', (d) => wfaPublishes(d, 1, timing, false)));
    const batch = [
      await run('batch', (d) => batchFiles(d, 1, timing, 16)),
      await run('batch', (d) => batchFiles(d, 4, timing, 16)),
    ];
    if (probe) probeResults = directProbe(base, quick ? 3 : 7);

    const b1 = baseline.get(1)!.opsPerSec;
    printTable('Durable 4 KiB appends', [...baseline.values(), ...journal.values()], (r) => {
      const same = baseline.get(r.concurrency)!.opsPerSec;
      return r.name.startsWith('journal')
        ? `${(r.opsPerSec / same).toFixed(1)}x / ${(r.opsPerSec / b1).toFixed(1)}x`
        : `1.0x / ${(r.opsPerSec / b1).toFixed(1)}x`;
    });
    console.log(
      '  ratio = vs the per-op baseline at the same concurrency / vs the per-op baseline at concurrency 1',
    );
    const wfa = new Map(
      publish.filter((r) => r.name.startsWith('write-file-atomic (fsync')).map((r) => [r.concurrency, r]),
    );
    printTable('Atomic 4 KiB publishes', publish, (r) => {
      const ref = wfa.get(r.concurrency);
      return ref === undefined || r === ref ? '' : `${(r.opsPerSec / ref.opsPerSec).toFixed(2)}x wfa`;
    });
    const p1 = publish[0]!.opsPerSec;
    printTable('Batch lane (files/s)', batch, (r) => `${(r.opsPerSec / p1).toFixed(1)}x publishFile`);
    if (probeResults !== undefined) {
      console.log('\nO_DIRECT probe (write + fdatasync, median MB/s over alternating trials)');
      for (const p of probeResults) {
        console.log(
          `  ${String(p.writeBytes).padStart(8)} B: buffered ${p.bufferedMBps} MB/s, O_DIRECT ${p.directMBps} MB/s`,
        );
      }
    }
    const report = {
      benchmark: 'io',
      date: new Date().toISOString(),
      quick,
      timing,
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        node: process.version,
        kernel: os.release(),
        fsType: fsType(base),
        loadAvg: os.loadavg(),
        gitCommit: gitCommit(),
      },
      results,
      directProbe: probeResults,
      goal: {
        journalC256VsBaselineC256: journal.get(256)!.opsPerSec / baseline.get(256)!.opsPerSec,
        journalC256VsBaselineC1: journal.get(256)!.opsPerSec / b1,
      },
    };
    const outDir = join(root, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, quick ? 'io-quick.local.json' : 'io.json');
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nJSON: ${out}`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
