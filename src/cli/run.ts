/**
 * runCli: the whole `shaledb` command line on one argv, in-process: builds the commander program (every command of
 * slatedb-cli 0.12.1 with its names and flags, plus ShaleDB's scan, stats, inspect, gc, create-clone, delete-db and
 * quickstart), runs the command and turns its outcome into an exit code. main.ts calls it with the process's CliIo;
 * tests call it with captured output.
 *
 * Exit codes: 0 success; 1 internal or unexpected error (and a GC pass with a failed task); 2 bad usage or an
 * 'invalid' ShaleDBError; 3 'data' (damaged or missing database objects); 4 'unavailable' (object store; may be
 * retried); 5 'closed' (e.g. fenced); 6 'transaction'. Errors print one line on stderr: usage errors as
 * `shaledb <command>: <problem> (see shaledb <command> --help)`, ShaleDBErrors as
 * `error (<kind>/<code>): <message>`; never a stack trace.
 * Concurrency: one command per call.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { type ErrorKind, isShaleDBError } from '../util/errors.js';
import { isUsageError } from './args.js';
import { registerCheckpointCommands } from './commands/checkpoints.js';
import { registerCompactorCommand } from './commands/compactor.js';
import { registerFileCommands } from './commands/files.js';
import { registerGcCommands } from './commands/gc.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerScanCommand } from './commands/scan.js';
import { registerSeqCommands } from './commands/seq.js';
import { CliContext } from './context.js';
import { type CliIo, printJson } from './io.js';
import { progress } from './progress.js';
import { quickstart } from './quickstart.js';

/** Exit code by error kind (see the file header). */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  internal: 1,
  invalid: 2,
  data: 3,
  unavailable: 4,
  closed: 5,
  transaction: 6,
};

function version(): string {
  // dist/cli/run.js and src/cli/run.ts both sit two levels below the package root.
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));
  return String(pkg.version);
}

/** The commander program for one run. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('shaledb')
    .description('Administer ShaleDB / SlateDB 0.12.1 databases on object storage')
    .version(version(), '-V, --version', 'the ShaleDB version (also -v)')
    .option(
      '-p, --path <path>',
      'database path inside the object store (slatedb-cli: required, before the command; also accepted after it)',
    )
    .option('-e, --env-file <file>', '.env file with the object store variables (default ./.env if present)')
    .option(
      '--store <url>',
      'object store URL: file:///abs/dir, s3://bucket/prefix, az://..., gs://..., memory:///',
    )
    .option('--json', 'print results as JSON')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: () => {},
    })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nThe object store: --store URL, or CLOUD_PROVIDER (local, memory, aws, azure, gcp) and its variables\n(e.g. LOCAL_PATH), read from the environment and the .env file. See docs/cli.md.\n',
    );

  registerFileCommands(program, ctx);
  registerCheckpointCommands(program, ctx);
  registerGcCommands(program, ctx);
  registerCompactorCommand(program, ctx);
  registerSeqCommands(program, ctx);
  registerScanCommand(program, ctx);
  registerInspectCommands(program, ctx);
  program
    .command('quickstart')
    .description(
      'Opens a database on the local filesystem, writes, reads and scans it (default ./shaledb-quickstart)',
    )
    .argument('[dir]', 'directory', 'shaledb-quickstart')
    .option('--json', 'print the steps as one JSON object {"dir","steps"} at the end')
    .action(async (dir: string, o: { json?: boolean }, cmd: Command) => {
      const json = o.json === true || ctx.json(cmd);
      const steps: string[] = [];
      await quickstart(resolve(ctx.io.cwd, dir), (l) => (json ? steps.push(l) : ctx.io.out(`${l}\n`)));
      if (json) printJson(ctx.io, { dir: resolve(ctx.io.cwd, dir), steps });
    });
  program
    .command('delete-db')
    .description(
      'Deletes a whole database (a dry run listing its objects unless --confirm); stop its writers first',
    )
    .option('--confirm', 'really delete')
    .option('-p, --path <path>', 'database path inside the object store')
    .option('--store <url>', 'object store URL (else CLOUD_PROVIDER and its variables)')
    .option('--env-file <file>', '.env file with the object store variables (default ./.env if present)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { confirm?: boolean }, cmd: Command) => {
      await ctx.withDb(cmd, async (db) => {
        const bar = progress(ctx.io, 'deleting', 'objects');
        const r = await db.admin
          .deleteDb({ confirm: o.confirm === true, onProgress: (p) => bar.update(p.done, p.total) })
          .finally(() => bar.done());
        if (ctx.json(cmd))
          return printJson(ctx.io, {
            dry_run: r.dryRun,
            paths: r.paths,
            parent_checkpoints: r.parentCheckpoints,
          });
        const verb = r.dryRun ? 'would delete' : 'deleted';
        ctx.io.out(
          `${verb} ${r.paths.length} objects of ${db.admin.path}${r.dryRun ? ' (dry run: give --confirm to delete)' : ''}\n`,
        );
        for (const p of r.paths) ctx.io.out(`  ${p}\n`);
        for (const c of r.parentCheckpoints)
          ctx.io.out(`  ${verb} checkpoint ${c.checkpointId} in parent ${c.path}\n`);
      });
    });
  return program;
}

/** The subcommand named in `argv` (for error messages), or undefined. */
function commandName(program: Command, argv: readonly string[]): string | undefined {
  for (const a of argv) {
    const c = program.commands.find((x) => x.name() === a || x.aliases().includes(a));
    if (c !== undefined) return c.name();
  }
  return undefined;
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const ctx = new CliContext(io);
  const program = buildProgram(ctx);
  // `-V` is slatedb-cli's (clap's) version flag; `-v` is kept from earlier shaledb releases.
  if (argv.length === 1 && argv[0] === '-v') {
    io.out(`${version()}\n`);
    return 0;
  }
  if (argv.length === 0) {
    io.err(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError && e.exitCode === 0) return 0;
    // No command: commander printed the help on stderr already.
    if (e instanceof CommanderError && e.code === 'commander.help') return 2;
    const name = commandName(program, argv);
    if (isUsageError(e)) {
      // One line: commander's suggestion ("(Did you mean list-checkpoints?)") joins the message.
      const message = (e as Error).message
        .replace(/^error: /, '')
        .trim()
        .replace(/\s*\n\s*/g, ' ');
      const where = name === undefined ? 'shaledb' : `shaledb ${name}`;
      io.err(`${where}: ${message} (see ${where} --help)\n`);
      return 2;
    }
    if (isShaleDBError(e)) {
      io.err(`error (${e.kind}/${e.code}): ${e.message}\n`);
      return EXIT_CODES[e.kind] ?? 1;
    }
    io.err(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
