/**
 * A crash-test child: a `tsx` script that prints one JSON message per line on stdout (`{"t":"ready"}` once it has
 * recovered and started, then its acknowledgements), which the parent kills with SIGKILL at a moment it picks.
 *
 * Invariants: `onMessage` sees every complete line in order; `ready` settles on the ready message or on exit,
 * whichever comes first; `kill` resolves after the child exited and reports the signal that ended it.
 * Concurrency: single event loop.
 */
import { spawn } from 'node:child_process';

/** A message from the child; `t` names its type. */
export type ChildMessage = { readonly t: string } & Record<string, unknown>;

/** A running child. */
export interface KillableChild {
  /** Settles when the child said it is ready, or exited first. */
  readonly ready: Promise<void>;
  /** True once the child said it is ready. */
  isReady(): boolean;
  /** Kills it with SIGKILL; resolves with the signal that ended it and what it wrote on stderr. */
  kill(): Promise<{ signal: string | null; stderr: string }>;
}

/**
 * Starts `script` with `args` under tsx (or, for a `.mjs` script such as a bundle from bundle-child.ts, plain
 * node); `onMessage` receives each stdout line, parsed.
 */
export function spawnKillableChild(
  script: string,
  args: readonly string[],
  onMessage: (m: ChildMessage) => void,
): KillableChild {
  const loader = script.endsWith('.mjs') ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let isReady = false;
  let buffered = '';
  let stderr = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const exited = new Promise<string | null>((resolve) =>
    child.on('exit', (_code, signal) => {
      onReady();
      resolve(signal);
    }),
  );
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const m = JSON.parse(line) as ChildMessage;
      if (m.t === 'ready') {
        isReady = true;
        onReady();
      }
      onMessage(m);
    }
  });
  return {
    ready,
    isReady: () => isReady,
    async kill() {
      child.kill('SIGKILL');
      const signal = await exited;
      return { signal, stderr };
    },
  };
}
