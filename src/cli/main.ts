#!/usr/bin/env node
/**
 * The `shaledb` command line: `quickstart [dir]` (what `npm start` runs), and the standalone services
 * `compactor` and `gc`. `shaledb --version`; `--help` on the command line and on every command.
 *
 * Invariants: exit code 0 on success, 1 on failure (the error's kind, code and message on one line), 2 on bad
 * usage (one line naming the problem and where the help is); never a stack trace. `--help` never runs a command.
 * Concurrency: one command per process.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ShaleDBError } from '../util/errors.js';
import { isUsageError, parseCommandArgs } from './args.js';
import { COMPACTOR_USAGE, runCompactor } from './compactor-command.js';
import { gcCommand } from './gc-command.js';
import { quickstart } from './quickstart.js';

const USAGE = `usage: shaledb <command> [options]

commands:
  quickstart [dir]   open a database on the local filesystem, write, read and scan it (default ./shaledb-quickstart)
  gc --store URL --path DB [--dry-run] [--once] [--min-age DUR]
                     collect a database's garbage as SlateDB 0.12.1 does (see shaledb gc --help)
  compactor          run the compactor of a database until SIGINT/SIGTERM (shaledb compactor --help)

options:
  -h, --help         this text (also after any command)
  -v, --version      the ShaleDB version
`;

const QUICKSTART_USAGE = `usage: shaledb quickstart [dir]

Opens (creating) a database "quickstart" in dir (default ./shaledb-quickstart), writes, reads, scans, flushes and
reopens it, printing each step. The database stays there, closed.
`;

function version(): string {
  // dist/cli/main.js and src/cli/main.ts both sit two levels below the package root.
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));
  return String(pkg.version);
}

/** Runs one command line; returns the exit code. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'quickstart': {
      const { values, positionals } = parseCommandArgs(rest, {}, 1);
      if (values.help) {
        process.stdout.write(QUICKSTART_USAGE);
        return 0;
      }
      await quickstart(positionals[0] ?? 'shaledb-quickstart');
      return 0;
    }
    case 'gc':
      return await gcCommand(rest);
    case 'compactor': {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(COMPACTOR_USAGE);
        return 0;
      }
      const stop = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return runCompactor(rest, stop, (l) => process.stdout.write(`${l}\n`));
    }
    case '-v':
    case '--version':
      process.stdout.write(`${version()}\n`);
      return 0;
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return 0;
    case undefined:
      process.stderr.write(USAGE);
      return 2;
    default:
      process.stderr.write(`shaledb: unknown command ${JSON.stringify(command)} (see shaledb --help)\n`);
      return 2;
  }
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const command = argv[0] ?? '';
    if (isUsageError(e)) {
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(`shaledb ${command}: ${message} (see shaledb ${command} --help)\n`);
      process.exitCode = 2;
      return;
    }
    if (e instanceof ShaleDBError) process.stderr.write(`error (${e.kind}/${e.code}): ${e.message}\n`);
    else process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
