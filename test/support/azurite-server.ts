/**
 * Azurite (the Azure Blob emulator, an npm devDependency) for the Azure suites: started in memory on a free
 * loopback port with `--disableTelemetry --skipApiVersionCheck`, stopped by the pid it was started with.
 * `azureTestTarget()` uses the runner's server (SHALEDB_TEST_AZURE_* variables) or starts one for a file run alone.
 *
 * Invariants: Azurite keeps nothing on disk (in-memory persistence, working directory a temporary one).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, type StartedServer, serverUnavailable, waitFor } from './test-server-process.js';

/** Where and how to reach a Blob endpoint. */
export interface AzureTarget {
  /** Blob service URL including the account, e.g. http://127.0.0.1:10000/devstoreaccount1. */
  readonly url: string;
  readonly accountName: string;
  readonly accountKey: string;
  readonly connectionString: string;
}

export const AZURE_ENV = {
  url: 'SHALEDB_TEST_AZURE_URL',
  accountName: 'SHALEDB_TEST_AZURE_ACCOUNT',
  accountKey: 'SHALEDB_TEST_AZURE_KEY',
  unavailable: 'SHALEDB_TEST_AZURE_UNAVAILABLE',
} as const;

/** Azurite's well-known development account (public, documented by Microsoft). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const INSTALL = 'npm ci (azurite 3.35.0 is a devDependency)';

function targetFor(url: string, accountName: string, accountKey: string): AzureTarget {
  return {
    url,
    accountName,
    accountKey,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${accountName};AccountKey=${accountKey};BlobEndpoint=${url};`,
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts Azurite's blob service; the returned env points SHALEDB_TEST_AZURE_* at it. */
export async function startAzurite(): Promise<StartedServer & { target: AzureTarget }> {
  let main: string;
  try {
    main = join(
      dirname(createRequire(import.meta.url).resolve('azurite/package.json')),
      'dist/src/blob/main.js',
    );
  } catch (e) {
    throw serverUnavailable('Azurite', String(e), INSTALL);
  }
  const dir = mkdtempSync(join(tmpdir(), 'shaledb-azurite-'));
  const port = await freePort();
  const args = ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence'];
  args.push('--disableTelemetry', '--skipApiVersionCheck', '--silent');
  const child: ChildProcess = spawn(process.execPath, [main, ...args], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`azurite exited ${child.exitCode}: ${stderr}`);
        return portOpen(port);
      },
      30_000,
      'Azurite',
    );
  } catch (e) {
    await stop();
    throw serverUnavailable('Azurite', e instanceof Error ? e.message : String(e), INSTALL);
  }
  const target = targetFor(`http://127.0.0.1:${port}/${DEV_ACCOUNT}`, DEV_ACCOUNT, DEV_KEY);
  return {
    target,
    env: {
      [AZURE_ENV.url]: target.url,
      [AZURE_ENV.accountName]: DEV_ACCOUNT,
      [AZURE_ENV.accountKey]: DEV_KEY,
    },
    stop,
  };
}

/** The Blob endpoint for a suite: the runner's, or one started (and later stopped) for this file alone. */
export async function azureTestTarget(): Promise<{ target: AzureTarget; stop(): Promise<void> }> {
  const unavailable = process.env[AZURE_ENV.unavailable];
  if (unavailable !== undefined && unavailable !== '') throw new Error(unavailable);
  const url = process.env[AZURE_ENV.url];
  if (url !== undefined && url !== '') {
    const account = process.env[AZURE_ENV.accountName] ?? DEV_ACCOUNT;
    const key = process.env[AZURE_ENV.accountKey] ?? DEV_KEY;
    return { target: targetFor(url, account, key), stop: async () => {} };
  }
  const started = await startAzurite();
  return { target: started.target, stop: () => started.stop() };
}
