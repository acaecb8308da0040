/**
 * Runs the `shaledb` command line in-process (src/cli/run.ts) with captured stdout and stderr, an environment of
 * the test's choosing and a stop signal the test fires, so command suites need no child process per command.
 *
 * Invariants: the process's environment, working directory and signal handlers are never touched; `stopWhen`
 * fires the command's stop signal the first time stdout satisfies it.
 * Concurrency: one command per call.
 */
import { runCli } from '../../src/cli/run.js';

/** What one command printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to run it. */
export interface CliRunOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Pretend stdout and stderr are terminals (progress lines are drawn). */
  readonly isTTY?: boolean;
  /** Sends the stop signal (as SIGTERM) once stdout so far satisfies this. */
  readonly stopWhen?: (stdout: string) => boolean;
  /** Pretends stdout's reader went away once this many characters were written. */
  readonly outputClosedAfter?: number;
  /** Sends the stop signal (as SIGTERM) when this settles. */
  readonly stopOn?: Promise<unknown>;
}

/** Runs `shaledb ...argv`. */
export async function cli(argv: readonly string[], o: CliRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let fire: ((signal: string) => void) | undefined;
  const stop = new Promise<string>((resolve) => {
    fire = resolve;
  });
  void o.stopOn?.finally(() => fire?.('SIGTERM'));
  const check = () => {
    if (o.stopWhen?.(stdout) === true) fire?.('SIGTERM');
  };
  const code = await runCli(argv, {
    out: (s) => {
      stdout += s;
      check();
    },
    err: (s) => {
      stderr += s;
    },
    isTTY: o.isTTY ?? false,
    columns: 100,
    env: o.env ?? {},
    cwd: o.cwd ?? process.cwd(),
    stopped: () => {
      check();
      return stop;
    },
    outputClosed: () => o.outputClosedAfter !== undefined && stdout.length >= o.outputClosedAfter,
  });
  return { code, stdout, stderr };
}

/** Runs a command that must succeed and returns its parsed `--json` output. */
export async function cliJson<T = unknown>(argv: readonly string[], o: CliRunOptions = {}): Promise<T> {
  const r = await cli([...argv, '--json'], o);
  if (r.code !== 0) throw new Error(`shaledb ${argv.join(' ')} --json: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
