/**
 * CliIo: everything a `shaledb` command touches outside its arguments (stdout, stderr, whether stderr is a
 * terminal, environment, working directory, the stop signal), so the whole command line runs in-process in tests
 * with captured output and the real process wires it once in main.ts.
 *
 * Invariants: commands write results only through `out` and diagnostics and progress only through `err`; a
 * command that runs until stopped awaits `stopped()` and never installs signal handlers itself; a closed stdout
 * (EPIPE) is not an error: output is dropped and `outputClosed()` turns true.
 * Concurrency: one command per CliIo.
 */

/** The outside world of one command run. */
export interface CliIo {
  /** Writes to standard output. */
  readonly out: (text: string) => void;
  /** Writes to standard error. */
  readonly err: (text: string) => void;
  /** Standard output is a terminal (progress bars are drawn only then, on stderr). */
  readonly isTTY: boolean;
  /** Terminal width for progress bars. */
  readonly columns: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Resolves with the signal's name when the user asks a long-running command to stop (SIGINT/SIGTERM). */
  readonly stopped: () => Promise<string>;
  /** True once stdout's reader went away (`shaledb scan | head`): output is dropped, commands may stop early. */
  readonly outputClosed: () => boolean;
}

/** The process's CliIo. Signal handlers are installed on the first `stopped()` call and removed when it fires. */
export function processIo(): CliIo {
  let stop: Promise<string> | undefined;
  let closed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
  });
  return {
    out: (s) => {
      if (!closed) process.stdout.write(s);
    },
    outputClosed: () => closed,
    err: (s) => process.stderr.write(s),
    isTTY: process.stdout.isTTY === true && process.stderr.isTTY === true,
    columns: process.stderr.columns ?? 80,
    env: process.env,
    cwd: process.cwd(),
    stopped: () => {
      stop ??= new Promise<string>((resolve) => {
        const done = (name: string) => () => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          resolve(name);
        };
        const onInt = done('SIGINT');
        const onTerm = done('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
      });
      return stop;
    },
  };
}

/** Writes `value` as one line of JSON (bigints as numbers when safe, else as decimal strings). */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${toJson(value)}\n`);
}

/** Writes JSON text the admin serializers made (exact u64 integers), as one line. */
export function printJsonText(io: CliIo, text: string): void {
  io.out(`${text}\n`);
}

/** JSON text of `value`; bigints become numbers (exact when safe) or decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v,
  );
}
