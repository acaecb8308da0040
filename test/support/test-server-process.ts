/**
 * Shared pieces of the test-server helpers (RGW, Azurite): free loopback ports, child processes with captured
 * output, and the rule that an unavailable server fails its suite with a message naming the fix, never skips it.
 *
 * Invariants: servers listen on 127.0.0.1 only; a helper stops exactly the processes it started, by pid.
 * Concurrency: any number of servers at once; ports are picked by binding port 0.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A started server: the environment that points tests at it, and how to stop it. */
export interface StartedServer {
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound and released; a tiny race with other binders remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a command to completion, returning its exit code and output. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: 127, stdout: '', stderr: String(e) });
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (e) => {
      stderr += String(e);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Resolves when `check` returns true, polling every `intervalMs`, or rejects after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

/** The error an integration suite fails with when its server is missing (never a skip). */
export function serverUnavailable(what: string, detail: string, install: string): Error {
  return new Error(
    `${what} is not available, so this suite cannot run (it never skips): ${detail}\nInstall: ${install}`,
  );
}
