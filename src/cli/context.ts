/**
 * What every database command shares: the global options (`--path`, `--store`, `--env-file`, `--json`, accepted
 * before the command as in slatedb-cli and after it), opening the store and the admin operations for one command,
 * and closing them afterwards.
 *
 * Invariants: a command without `--path` is a usage error before anything is opened; the store is closed when the
 * command's work ends, also on failure.
 * Concurrency: one command per context.
 */
import type { Command } from 'commander';
import { type Admin, openAdmin } from '../admin/admin.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { usageError } from './args.js';
import type { CliIo } from './io.js';
import { openCliStore } from './store-env.js';

/** The options every database command takes. */
export interface GlobalOptions {
  readonly path?: string;
  readonly store?: string;
  readonly envFile?: string;
  readonly json?: boolean;
}

/** An open database location for one command. */
export interface DbHandle {
  readonly store: ObjectStore;
  /** The store URL (given or derived from CLOUD_PROVIDER). */
  readonly url: string;
  /** `--path` as given. */
  readonly path: string;
  /** The admin API on the database (closed with the store). */
  readonly admin: Admin;
}

/** Adds the global options to a subcommand (long forms; the short ones belong to the top level). */
export function withGlobalOptions(cmd: Command): Command {
  return cmd
    .option('-p, --path <path>', 'database path inside the object store')
    .option('--store <url>', 'object store URL (else CLOUD_PROVIDER and its variables)')
    .option('--env-file <file>', '.env file with the object store variables (default ./.env if present)')
    .option('--json', 'print the result as JSON');
}

/** The shared state of one command line run. */
export class CliContext {
  /** The exit code a command asked for (a GC pass with a failed task: 1). */
  exitCode = 0;

  constructor(readonly io: CliIo) {}

  /** The global options, the command's own winning over the top level's. */
  globals(cmd: Command): GlobalOptions {
    const out: Record<string, unknown> = {};
    for (let c: Command | null = cmd; c !== null; c = c.parent) {
      for (const [k, v] of Object.entries(c.opts())) if (out[k] === undefined && v !== undefined) out[k] = v;
    }
    return out as GlobalOptions;
  }

  /** `--json` was given. */
  json(cmd: Command): boolean {
    return this.globals(cmd).json === true;
  }

  /** Runs `f` on the database the options name; closes the store afterwards. A number `f` returns is the exit code. */
  async withDb<T>(cmd: Command, f: (db: DbHandle) => Promise<T>): Promise<T> {
    const g = this.globals(cmd);
    if (g.path === undefined)
      throw usageError('--path <path> is required (the database path inside the store)');
    const { store, url } = await openCliStore(
      { store: g.store, envFile: g.envFile },
      this.io.env,
      this.io.cwd,
    );
    try {
      const admin = await openAdmin(g.path, store, { retry: false });
      const r = await f({ store, url, path: g.path, admin });
      if (typeof r === 'number') this.exitCode = r;
      return r;
    } finally {
      await store.close().catch(() => {});
    }
  }
}
