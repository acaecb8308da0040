/**
 * Ceph RGW for the S3 suites: starts a throwaway single-node cluster with scripts/rgw.sh (memstore OSD, loopback,
 * temporary directory, ~12 s) and stops it by the pids the script recorded. `s3TestTarget()` is what a suite
 * calls: it uses the server the test runner started (SHALEDB_TEST_S3_* variables) or, when the file runs alone,
 * starts its own and stops it after the file. If RGW cannot start, the suite fails naming the install command.
 *
 * Invariants: one RGW per runner process tree at most; the owner pid passed to rgw.sh makes its watchdog stop the
 * daemons if the owner dies without stopping them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runCommand, type StartedServer, serverUnavailable } from './test-server-process.js';

/** Where and how to reach an S3 endpoint. */
export interface S3Target {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export const S3_ENV = {
  endpoint: 'SHALEDB_TEST_S3_ENDPOINT',
  accessKeyId: 'SHALEDB_TEST_S3_ACCESS_KEY',
  secretAccessKey: 'SHALEDB_TEST_S3_SECRET_KEY',
  unavailable: 'SHALEDB_TEST_S3_UNAVAILABLE',
} as const;

const INSTALL = 'apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common curl';
const SCRIPT = fileURLToPath(new URL('../../scripts/rgw.sh', import.meta.url));

/** Starts RGW; the returned env points SHALEDB_TEST_S3_* at it. */
export async function startRgw(ownerPid = process.pid): Promise<StartedServer & { target: S3Target }> {
  const dir = mkdtempSync(join(tmpdir(), 'shaledb-rgw-'));
  const [port, monPort] = [await freePort(), await freePort()];
  const r = await runCommand('bash', [SCRIPT, 'start', dir, String(port), String(monPort), String(ownerPid)]);
  const ready = /RGW_READY endpoint=(\S+)/.exec(r.stdout);
  if (r.code !== 0 || ready === null) {
    const log = tail(join(dir, 'log', 'setup.log'), 12);
    await runCommand('bash', [SCRIPT, 'stop', dir]);
    rmSync(dir, { recursive: true, force: true });
    const detail = `scripts/rgw.sh exited ${r.code}: ${(r.stderr || r.stdout).trim()}${log === '' ? '' : `\n${log}`}`;
    throw serverUnavailable('Ceph RGW', detail, INSTALL);
  }
  const target: S3Target = {
    endpoint: ready[1]!,
    region: 'us-east-1',
    accessKeyId: 'TESTKEY',
    secretAccessKey: 'TESTSECRET',
  };
  return {
    target,
    env: {
      [S3_ENV.endpoint]: target.endpoint,
      [S3_ENV.accessKeyId]: target.accessKeyId,
      [S3_ENV.secretAccessKey]: target.secretAccessKey,
    },
    async stop() {
      await runCommand('bash', [SCRIPT, 'stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The S3 endpoint for a suite: the runner's, or one started (and later stopped) for this file alone. */
export async function s3TestTarget(): Promise<{ target: S3Target; stop(): Promise<void> }> {
  const unavailable = process.env[S3_ENV.unavailable];
  if (unavailable !== undefined && unavailable !== '') throw new Error(unavailable);
  const endpoint = process.env[S3_ENV.endpoint];
  if (endpoint !== undefined && endpoint !== '') {
    return {
      target: {
        endpoint,
        region: 'us-east-1',
        accessKeyId: process.env[S3_ENV.accessKeyId] ?? 'TESTKEY',
        secretAccessKey: process.env[S3_ENV.secretAccessKey] ?? 'TESTSECRET',
      },
      stop: async () => {},
    };
  }
  const started = await startRgw();
  return { target: started.target, stop: () => started.stop() };
}

/** The last `lines` non-empty lines of a file, or '' when it cannot be read. */
function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}
