/**
 * `npm run bench`: the side-by-side benchmark CLI. Parses the options, runs the suite with a progress display on
 * stderr, saves `<name>.md`, `<name>.json` and `<name>.svg` in the output directory, and prints the markdown (or
 * with --json the JSON) on stdout. See bench/README.md for the workloads and the fairness rules.
 *
 * Invariants: temporary databases live under one temp root that is removed at the end, on error and on Ctrl-C;
 * exit status 2 for bad options, 1 for a crashed run (or, with --strict, a selected engine that could not run, a
 * failed cell or a failed check), else 0.
 * Concurrency: one run per process.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { type BenchArgs, parseArgs, USAGE } from './lib/args.js';
import { Progress } from './lib/progress.js';
import { renderMarkdown } from './lib/report-markdown.js';
import { renderSvg } from './lib/report-svg.js';
import type { BenchReport } from './lib/result.js';
import { scaleFor } from './lib/scale.js';
import { runSuite } from './lib/suite.js';
import { TempDirs } from './lib/temp-dirs.js';
import { wallMs } from './lib/timer.js';

function save(args: BenchArgs, report: BenchReport, markdown: string): string[] {
  const dir = resolve(args.outDir);
  mkdirSync(dir, { recursive: true });
  const files = [
    [join(dir, `${args.name}.md`), markdown],
    [join(dir, `${args.name}.json`), `${JSON.stringify(report, null, 2)}\n`],
    [join(dir, `${args.name}.svg`), renderSvg(report)],
  ] as const;
  for (const [path, text] of files) writeFileSync(path, text);
  return files.map(([p]) => p);
}

/** Problems that --strict turns into a failing exit status. */
function problems(report: BenchReport): string[] {
  const out: string[] = [];
  for (const e of report.engines) {
    if (e.selected === true && !e.available) out.push(`${e.id}: selected but could not run: ${e.reason}`);
  }
  for (const c of report.results) {
    const where = `${c.engine} ${c.workload} ${c.phase} ${c.valueBytes} B`;
    if (c.error) out.push(`${where}: ${c.error}`);
    for (const k of ['misses', 'disorder', 'badValues']) {
      if ((c.extra?.[k] ?? 0) > 0) out.push(`${where}: ${k} = ${c.extra?.[k]}`);
    }
  }
  return out;
}

/** Renders the reports of a saved JSON report again (after a change to the renderers); saves next to it. */
function rerender(args: BenchArgs, path: string): number {
  const report = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
  if (report.schema !== 'shaledb-bench/1') throw new Error(`${path}: not a shaledb-bench/1 report`);
  const base = path.replace(/\.json$/, '');
  const markdown = renderMarkdown(report);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.svg`, renderSvg(report));
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : markdown);
  process.stderr.write(`bench: rendered ${base}.md and ${base}.svg from ${path}\n`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.from !== undefined) return rerender(args, args.from);
  const stamp = new Date(wallMs()).toISOString().replace(/[:.]/g, '-');
  const dirs = new TempDirs(args.tempParent ?? os.tmpdir(), stamp);
  const onSignal = (sig: NodeJS.Signals): void => {
    dirs.removeAll();
    process.stderr.write(`\nbench: interrupted (${sig}); temporary databases removed\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = new Progress({
    enabled: args.progress,
    tty: process.stderr.isTTY === true,
    write: (s) => process.stderr.write(s),
  });
  let report: BenchReport;
  try {
    report = await runSuite({
      scale: scaleFor(args.mode),
      engines: args.engines,
      notSelected: args.notSelected,
      workloads: args.workloads,
      valueSizes: args.valueSizes,
      seed: args.seed,
      flushIntervalMs: args.flushIntervalMs,
      compactorPollMs: args.compactorPollMs,
      repeat: args.repeat,
      dirs,
      progress,
      argv,
    });
  } finally {
    progress.finish();
    dirs.removeAll();
  }
  const markdown = renderMarkdown(report);
  const files = save(args, report, markdown);
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : markdown);
  process.stderr.write(`bench: saved ${files.join(', ')}\n`);
  const bad = problems(report);
  if (bad.length > 0) process.stderr.write(`bench: ${bad.length} problem(s):\n  ${bad.join('\n  ')}\n`);
  return args.strict && bad.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
