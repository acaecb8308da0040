/**
 * Garbage collection from the command line: slatedb-cli 0.12.1's `run-garbage-collection` (one resource once,
 * `-r/--resource`, `-m/--min-age` in humantime syntax) and `schedule-garbage-collection` (`--manifest`, `--wal`,
 * `--compacted`, `--compactions` as `min_age=<duration>,period=<duration>`, until SIGINT/SIGTERM), and ShaleDB's
 * `gc` (every resource: one pass, a dry run, or until stopped). See docs/gc.md#command-line and docs/cli.md.
 *
 * Invariants: a dry run never deletes or rewrites anything; a pass with a failed task prints the error's kind and
 * code and exits 1; a stop signal lets the task in progress finish, then the command exits 0.
 * Concurrency: one collector per process; may run beside any writers, compactors and collectors of the database.
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { AdminGcResourceOptions } from '../../admin/admin-gc.js';
import {
  expiredCheckpointCount,
  GC_RESOURCES,
  type GcPassReport,
  type GcResource,
  type GcResourceReport,
  passFailed,
} from '../../gc/gc-report.js';
import type { GarbageCollectorOptions } from '../../store/settings.js';
import { parseDurationMs } from '../../util/duration.js';
import { dataError, invalidError, type ShaleDBError } from '../../util/errors.js';
import { argParser, usageError } from '../args.js';
import { type CliContext, type DbHandle, withGlobalOptions } from '../context.js';
import { parseHumantimeMs } from '../humantime.js';
import { type CliIo, printJson, toJson } from '../io.js';
import { progress } from '../progress.js';

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

/** One resource's task as JSON, in snake_case like every other command's JSON; `failed` in full or as a count. */
function resourceJson(r: GcResourceReport, failedInFull: boolean): unknown {
  return {
    resource: r.resource,
    dry_run: r.dryRun,
    listed: r.listed,
    deleted: r.deleted,
    failed: failedInFull
      ? r.failed.map((x) => ({ path: x.path, error: errorJson(x.error) }))
      : r.failed.length,
    expired_checkpoints: r.expiredCheckpoints,
    cutoff_ms: r.cutoffMs,
    error: r.error === undefined ? undefined : errorJson(r.error),
  };
}

/** A pass as JSON. */
export function passReportJson(report: GcPassReport): unknown {
  return {
    dry_run: report.dryRun,
    started_at_ms: report.startedAtMs,
    finished_at_ms: report.finishedAtMs,
    expired_checkpoints: expiredCheckpointCount(report),
    resources: report.resources.map((r) => resourceJson(r, true)),
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

type GcOptions = Partial<Record<GcResource, AdminGcResourceOptions | null>>;

const OPTION_KEY: Record<GcResource, keyof GarbageCollectorOptions> = {
  manifest: 'manifestOptions',
  wal: 'walOptions',
  compacted: 'compactedOptions',
  compactions: 'compactionsOptions',
};

/** `gc`'s resources: 0.12.1's defaults (or the settings file's), then --min-age/--interval for every one. */
function gcCommandOptions(o: { minAge?: string; interval?: string; settings?: string }): GcOptions {
  const file = o.settings === undefined ? {} : readSettingsFile(o.settings);
  const out: GcOptions = {};
  for (const r of GC_RESOURCES) {
    const given = file[OPTION_KEY[r]];
    if (given === null) continue;
    const minAgeMs = parseDurationMs(o.minAge ?? given?.minAge ?? '300s', '--min-age');
    const intervalMs = parseDurationMs(o.interval ?? given?.interval ?? '60s', '--interval');
    if (intervalMs <= 0) throw invalidError('INVALID_SETTING', 'interval: must be greater than zero');
    out[r] = { minAge: minAgeMs, interval: intervalMs };
  }
  return out;
}

/** Fails (data/MANIFEST_MISSING) when there is no database at the path. */
async function requireDb(db: DbHandle): Promise<void> {
  if ((await db.admin.readManifest()) === undefined) {
    throw dataError('MANIFEST_MISSING', `${db.path}: no manifest (is this a database?)`);
  }
}

/** A GC pass with a progress line (resources done of total) when on a terminal. */
async function passWithProgress(
  io: CliIo,
  db: DbHandle,
  o: GcOptions,
  dryRun: boolean,
): Promise<GcPassReport> {
  await requireDb(db);
  const bar = progress(io, dryRun ? 'gc (dry run)' : 'gc', 'resources');
  try {
    return await db.admin.runGcOnce({ ...o, dryRun, onProgress: (p) => bar.update(p.done, p.total) });
  } finally {
    bar.done();
  }
}

/** Prints a pass and returns the exit code (1 when a task failed). */
function finishPass(io: CliIo, report: GcPassReport, json: boolean): number {
  if (json) printJson(io, passReportJson(report));
  else io.out(formatPassReport(report));
  const failed = report.resources.find((r) => r.error !== undefined);
  if (failed?.error !== undefined) {
    io.err(`error (${failed.error.kind}/${failed.error.code}): ${failed.error.message}\n`);
  }
  return passFailed(report) ? 1 : 0;
}

/** Collects on the resources' intervals until the user stops the command; prints each task and a summary. */
async function runUntilStopped(io: CliIo, db: DbHandle, o: GcOptions, json: boolean): Promise<number> {
  const resources = GC_RESOURCES.filter((r) => o[r] != null);
  if (resources.length === 0)
    throw invalidError('INVALID_SETTING', 'every resource is disabled: nothing to collect');
  await requireDb(db);
  if (!json) {
    const desc = resources.map((x) => `${x} every ${o[x]!.interval} ms (min age ${o[x]!.minAge} ms)`);
    io.out(`gc running on ${db.admin.path}: ${desc.join(', ')}; stop with SIGINT or SIGTERM\n`);
  }
  const abort = new AbortController();
  let signal = '';
  void io.stopped().then((name) => {
    signal = name;
    abort.abort();
  });
  const bar = progress(io, 'gc', 'tasks');
  const s = await db.admin
    .runGc(
      {
        ...o,
        onReport: (r) => io.out(reportLine(r, json)),
        onProgress: (p) => bar.update(p.done),
      },
      abort.signal,
    )
    .finally(() => bar.done());
  if (json)
    printJson(io, { stopped: signal, deleted: s.deleted, tasks: s.tasks, failed_tasks: s.failedTasks });
  else {
    const counts = GC_RESOURCES.map((x) => `${x} ${s.deleted[x]}`).join(', ');
    io.out(
      `gc stopped (${signal}) after ${s.tasks} tasks: deleted ${counts}; ${s.failedTasks} tasks failed\n`,
    );
  }
  return 0;
}

function reportLine(r: GcResourceReport, json: boolean): string {
  if (json) return `${toJson(resourceJson(r, false))}\n`;
  return `${formatResourceReport(r, false).join('\n')}\n`;
}

/** A `min_age=<duration>,period=<duration>` schedule, as slatedb-cli 0.12.1 parses it (other keys ignored). */
export function parseGcSchedule(text: string, option: string): AdminGcResourceOptions {
  const parts = new Map<string, string>();
  for (const kv of text.split(',')) {
    const eq = kv.indexOf('=');
    if (eq >= 0) parts.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  const minAge = parts.get('min_age');
  if (minAge === undefined) throw usageError(`${option}: missing or invalid 'min_age'`);
  const period = parts.get('period');
  if (period === undefined) throw usageError(`${option}: missing or invalid 'period'`);
  const periodMs = parseHumantimeMs(period, `${option} period`);
  if (periodMs <= 0) throw usageError(`${option}: period must be greater than zero`);
  return { minAge: parseHumantimeMs(minAge, `${option} min_age`), interval: periodMs };
}

/** Registers `run-garbage-collection`, `schedule-garbage-collection` and `gc`. */
export function registerGcCommands(program: Command, ctx: CliContext): void {
  const io = ctx.io;

  withGlobalOptions(
    program
      .command('run-garbage-collection')
      .description('Runs garbage collection of one resource once')
      .addOption(
        new Option('-r, --resource <resource>', 'what to collect')
          .choices(['manifest', 'wal', 'compacted', 'compactions'])
          .makeOptionMandatory(),
      )
      .requiredOption(
        '-m, --min-age <duration>',
        'only objects older than this, e.g. "24h", "7days"',
        argParser((t) => parseHumantimeMs(t, '--min-age')),
      )
      .option('--dry-run', 'only report what would be deleted'),
  ).action(async (o: { resource: GcResource; minAge: number; dryRun?: boolean }, cmd: Command) => {
    await ctx.withDb(cmd, async (db) => {
      const report = await passWithProgress(
        io,
        db,
        { [o.resource]: { minAge: o.minAge } },
        o.dryRun === true,
      );
      return finishPass(io, report, ctx.json(cmd));
    });
  });

  const schedule = (name: GcResource) =>
    new Option(
      `--${name} <schedule>`,
      `collect ${name} files: min_age=<duration>,period=<duration>`,
    ).argParser(argParser((t) => parseGcSchedule(t, `--${name}`)));
  withGlobalOptions(
    program
      .command('schedule-garbage-collection')
      .description('Runs garbage collection periodically until SIGINT/SIGTERM (at least one resource)')
      .addOption(schedule('manifest'))
      .addOption(schedule('wal'))
      .addOption(schedule('compacted'))
      .addOption(schedule('compactions')),
  ).action(async (o: GcOptions, cmd: Command) => {
    if (GC_RESOURCES.every((r) => o[r] === undefined)) {
      throw usageError('give at least one of --manifest, --wal, --compacted, --compactions');
    }
    const only: GcOptions = {};
    for (const r of GC_RESOURCES) if (o[r] !== undefined) only[r] = o[r];
    await ctx.withDb(cmd, (db) => runUntilStopped(io, db, only, ctx.json(cmd)));
  });

  withGlobalOptions(
    program
      .command('gc')
      .description('Collects every resource: one pass (--once), a dry run, or on intervals until stopped')
      .option(
        '--dry-run',
        'one pass that only reports what it would delete (nothing is deleted or rewritten)',
      )
      .option('--once', 'one pass, then exit')
      .option('--min-age <duration>', 'minimum age for every resource (default 300s), e.g. 0s, 90s, 1h')
      .option('--interval <duration>', 'interval for every resource (default 60s) when running until stopped')
      .option('--settings <file>', 'JSON file with garbageCollectorOptions (SlateDB names in camelCase)'),
  ).action(
    async (
      o: { dryRun?: boolean; once?: boolean; minAge?: string; interval?: string; settings?: string },
      cmd: Command,
    ) => {
      const options = gcCommandOptions(o);
      await ctx.withDb(cmd, async (db) => {
        const json = ctx.json(cmd);
        if (o.once === true || o.dryRun === true) {
          return finishPass(io, await passWithProgress(io, db, options, o.dryRun === true), json);
        }
        return runUntilStopped(io, db, options, json);
      });
    },
  );
}
