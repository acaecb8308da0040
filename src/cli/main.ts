#!/usr/bin/env node
/**
 * The `shaledb` command line: `quickstart [dir]` (what `npm start` runs), and the standalone services
 * `compactor` and `gc` (see their --help).
 *
 * Invariants: exit code 0 on success, 1 on failure (with the error's kind and code printed), 2 on bad usage.
 * Concurrency: one command per process.
 */
import { ShaleDBError } from '../util/errors.js';
import { runCompactor } from './compactor-command.js';
import { gcCommand } from './gc-command.js';
import { quickstart } from './quickstart.js';

const USAGE = `usage: shaledb <command> [options]

commands:
  quickstart [dir]   open a database on the local filesystem, write, read and scan it (default ./shaledb-quickstart)
  gc --store URL --path DB [--dry-run] [--once] [--min-age DUR]
                     collect a database's garbage as SlateDB 0.12.1 does (see shaledb gc --help)
  compactor          run the compactor of a database until SIGINT/SIGTERM (shaledb compactor --help)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'quickstart':
      await quickstart(rest[0] ?? 'shaledb-quickstart');
      return 0;
    case 'gc':
      return await gcCommand(rest);
    case 'compactor': {
      const stop = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return runCompactor(rest, stop, (l) => process.stdout.write(`${l}\n`));
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ShaleDBError) process.stderr.write(`error (${e.kind}/${e.code}): ${e.message}\n`);
    else process.stderr.write(`error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
