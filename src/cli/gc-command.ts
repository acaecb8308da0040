/**
 * `shaledb gc`: runs the garbage collector on a database from the command line: one pass (`--once`, or
 * `--dry-run` to only report what would be deleted), or passes on the configured intervals until SIGINT/SIGTERM
 * (then the task in progress finishes and the command exits 0). See docs/gc.md#command-line.
 *
 * Invariants: a dry run never deletes or rewrites anything; bad usage exits 2 with a one-line message; an error, or a
 * pass with a failed task, prints the error's kind and code and exits 1; otherwise the exit code is 0.
 * Concurrency: one collector per process; may run beside any writers, compactors and collectors of the database.
 */
import { readFileSync } from 'node:fs';
import { openGarbageCollector } from '../gc/gc-open.js';
import {
  expiredCheckpointCount,
  GC_RESOURCES,
  type GcPassReport,
  type GcResourceReport,
  passFailed,
} from '../gc/gc-report.js';
import type { GarbageCollectorOptions } from '../store/settings.js';
import { invalidError, type ShaleDBError } from '../util/errors.js';
import { parseCommandArgs, usageError } from './args.js';

export const GC_USAGE = `usage: shaledb gc --store URL --path DB [options]

Deletes a database's obsolete objects as SlateDB 0.12.1's garbage collector does: old manifests, WAL SSTs below
the replay point, compacted SSTs no live manifest or checkpoint references, old compactions files.

options:
  --store URL        object store: file:///abs/dir, s3://bucket/prefix, az://container/prefix, gs://bucket/prefix
  --path DB          database path inside the store
  --dry-run          one pass that only reports what it would delete (nothing is deleted or rewritten)
  --once             one pass, then exit
  --min-age DUR      minimum age for every resource (default 300s), e.g. 0s, 90s, 1h
  --interval DUR     interval for every resource (default 60s) when running until stopped
  --settings FILE    JSON file with garbageCollectorOptions (SlateDB names in camelCase, as in Db settings)
  --json             print reports as JSON
Without --once or --dry-run, passes run on the intervals until SIGINT or SIGTERM.
`;

/** Parsed command line. */
export interface GcArgs {
  readonly store: string;
  readonly path: string;
  readonly dryRun: boolean;
  readonly once: boolean;
  readonly minAge: string | undefined;
  readonly interval: string | undefined;
  readonly settings: string | undefined;
  readonly json: boolean;
}

/** Parses `shaledb gc` arguments; throws 'invalid' USAGE errors. */
export function parseGcArgs(argv: readonly string[]): GcArgs {
  const { values } = parseCommandArgs(argv, {
    store: { type: 'string' },
    path: { type: 'string' },
    'dry-run': { type: 'boolean' },
    once: { type: 'boolean' },
    json: { type: 'boolean' },
    'min-age': { type: 'string' },
    interval: { type: 'string' },
    settings: { type: 'string' },
  });
  for (const name of ['store', 'path', 'min-age', 'interval', 'settings'] as const) {
    if (values[name] === '') throw usageError(`--${name} needs a value`);
  }
  const v = new Map<string, string | undefined>([
    ['--store', values.store],
    ['--path', values.path],
    ['--min-age', values['min-age']],
    ['--interval', values.interval],
    ['--settings', values.settings],
  ]);
  const f = new Set(
    (['dry-run', 'once', 'json'] as const).filter((k) => values[k] === true).map((k) => `--${k}`),
  );
  const store = v.get('--store');
  const path = v.get('--path');
  if (store === undefined) throw usageError('--store URL is required');
  if (path === undefined) throw usageError('--path DB is required');
  return {
    store,
    path,
    dryRun: f.has('--dry-run'),
    once: f.has('--once'),
    minAge: v.get('--min-age'),
    interval: v.get('--interval'),
    settings: v.get('--settings'),
    json: f.has('--json'),
  };
}

function readSettingsFile(file: string): Partial<GarbageCollectorOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw invalidError('INVALID_SETTING', `--settings ${file}: ${(e as Error).message}`, e);
  }
  const o = parsed as { garbageCollectorOptions?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.garbageCollectorOptions !== 'object') {
    throw invalidError('INVALID_SETTING', `--settings ${file}: expected {"garbageCollectorOptions": {...}}`);
  }
  return (o.garbageCollectorOptions ?? {}) as Partial<GarbageCollectorOptions>;
}

/** One task as text lines (with the paths when `withPaths`). */
export function formatResourceReport(r: GcResourceReport, withPaths: boolean): string[] {
  const verb = r.dryRun ? 'would delete' : 'deleted';
  if (r.error !== undefined) {
    return [`  ${r.resource.padEnd(12)} FAILED (${r.error.kind}/${r.error.code}): ${r.error.message}`];
  }
  const out = [`  ${r.resource.padEnd(12)} ${verb} ${r.deleted.length} of ${r.listed}`];
  if (r.failed.length > 0) out[0] += `, ${r.failed.length} deletes failed`;
  if (withPaths) for (const p of r.deleted) out.push(`    ${p}`);
  for (const x of r.failed) out.push(`    ! ${x.path}: ${x.error.kind}/${x.error.code} ${x.error.message}`);
  return out;
}

/** A pass as text. */
export function formatPassReport(report: GcPassReport, withPaths = true): string {
  const lines = [`gc pass${report.dryRun ? ' (dry run: nothing deleted)' : ''}`];
  const expired = expiredCheckpointCount(report);
  lines.push(`  checkpoints  ${report.dryRun ? 'would remove' : 'removed'} ${expired} expired`);
  for (const r of report.resources) lines.push(...formatResourceReport(r, withPaths));
  return `${lines.join('\n')}\n`;
}

function errorJson(e: ShaleDBError): { kind: string; code: string; message: string } {
  return { kind: e.kind, code: e.code, message: e.message };
}

/** A pass as JSON. */
export function passReportJson(report: GcPassReport): unknown {
  return {
    dryRun: report.dryRun,
    startedAtMs: report.startedAtMs,
    finishedAtMs: report.finishedAtMs,
    expiredCheckpoints: expiredCheckpointCount(report),
    resources: report.resources.map((r) => ({
      resource: r.resource,
      listed: r.listed,
      deleted: r.deleted,
      failed: r.failed.map((x) => ({ path: x.path, error: errorJson(x.error) })),
      expiredCheckpoints: r.expiredCheckpoints,
      cutoffMs: r.cutoffMs,
      error: r.error === undefined ? undefined : errorJson(r.error),
    })),
  };
}

/** Runs `shaledb gc`; returns the exit code. */
export async function gcCommand(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    out(GC_USAGE);
    return 0;
  }
  let args: GcArgs;
  try {
    args = parseGcArgs(argv);
  } catch (e) {
    err(`shaledb gc: ${(e as Error).message} (see shaledb gc --help)\n`);
    return 2;
  }
  const background = !args.once && !args.dryRun;
  const gc = await openGarbageCollector(args.path, args.store, {
    garbageCollectorOptions: args.settings === undefined ? undefined : readSettingsFile(args.settings),
    minAge: args.minAge,
    interval: args.interval,
    onReport: background ? (r) => out(reportLine(r, args.json)) : undefined,
  });
  try {
    // Fail fast (data/MANIFEST_MISSING) when there is no database at the path.
    await gc.gcStore.readLatestManifest();
    if (background) return await runUntilSignal(gc, out, args.json);
    const report = await gc.runOnce({ dryRun: args.dryRun });
    out(args.json ? `${JSON.stringify(passReportJson(report))}\n` : formatPassReport(report));
    const failed = report.resources.find((r) => r.error !== undefined);
    if (failed?.error !== undefined) {
      err(`error (${failed.error.kind}/${failed.error.code}): ${failed.error.message}\n`);
    }
    return passFailed(report) ? 1 : 0;
  } finally {
    await gc.close();
  }
}

function reportLine(r: GcResourceReport, json: boolean): string {
  if (json)
    return `${JSON.stringify({ ...r, error: r.error && errorJson(r.error), failed: r.failed.length })}\n`;
  return `${formatResourceReport(r, false).join('\n')}\n`;
}

async function runUntilSignal(
  gc: Awaited<ReturnType<typeof openGarbageCollector>>,
  out: (s: string) => void,
  json: boolean,
): Promise<number> {
  const r = gc.resources;
  if (r.length === 0) throw invalidError('INVALID_SETTING', 'every resource is disabled: nothing to collect');
  if (!json) {
    const desc = r.map(
      (x) => `${x} every ${gc.options[x]!.intervalMs} ms (min age ${gc.options[x]!.minAgeMs} ms)`,
    );
    out(`gc running on ${gc.gcStore.root}: ${desc.join(', ')}; stop with SIGINT or SIGTERM\n`);
  }
  gc.start();
  const signal = await new Promise<string>((resolve) => {
    const stop = (name: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(name);
    };
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  await gc.stop();
  const s = gc.stats;
  if (json)
    out(
      `${JSON.stringify({ stopped: signal, deleted: s.deleted, tasks: s.tasks, failedTasks: s.failedTasks })}\n`,
    );
  else {
    const counts = GC_RESOURCES.map((x) => `${x} ${s.deleted[x]}`).join(', ');
    out(`gc stopped (${signal}) after ${s.tasks} tasks: deleted ${counts}; ${s.failedTasks} tasks failed\n`);
  }
  return 0;
}
