/**
 * The `shaledb` executable as users run it (a child process of src/cli/main.ts): `--version`, `--help` on the
 * command line and on commands (never running them: `quickstart --help` creates nothing), bad usage as exit code 2
 * with one line on stderr and no stack trace, a typed error's kind, code and exit code, and a closed stdout.
 * The commands themselves are tested in-process (commands.test.ts, services.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { Db } from '../open/open.js';
import { isShaleDBError } from '../util/errors.js';
import { parseCount, parseSize } from './args.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
// Resolved here: the commands run in scratch directories, where a bare `--import tsx` would not resolve.
const TSX = import.meta.resolve('tsx');
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

function shaledb(args: string[], cwd?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CLOUD_PROVIDER: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--version, --help everywhere, bad usage and typed errors from the executable', async () => {
  for (const flag of ['--version', '-V', '-v']) {
    const v = shaledb([flag]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), VERSION);
  }
  await withTempDir(async (dir) => {
    const top = shaledb(['--help'], dir);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /^Usage: shaledb \[options\] \[command\]/);
    for (const c of [
      'read-manifest',
      'list-checkpoints',
      'run-garbage-collection',
      'scan',
      'inspect',
      'quickstart',
    ]) {
      assert.match(top.stdout, new RegExp(`\\n {2}${c} `));
    }
    const qs = shaledb(['quickstart', '--help'], dir);
    assert.equal(qs.code, 0);
    assert.match(qs.stdout, /^Usage: shaledb quickstart \[options\] \[dir\]/);
    const alias = shaledb(['compactor', '-h'], dir);
    assert.match(alias.stdout, /^Usage: shaledb run-compactor\|compactor \[options\]/);

    const bad = shaledb(['list-manifests', '--store', `file://${dir}`, '-p', 'db', '--start', 'x'], dir);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^shaledb list-manifests: option '-s, --start <id>' argument 'x' is invalid\..*\(see shaledb list-manifests --help\)\n$/,
    );
    const missing = shaledb(['--store', `file://${dir}`, '--path', 'db', 'list-checkpoints'], dir);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^error \(data\/MANIFEST_MISSING\): [^\n]+\n$/);
    assert.deepEqual(readdirSync(dir), [], 'nothing was created');
    const none = shaledb([], dir);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^Usage: shaledb/);
  });
});

test('a reader that goes away (shaledb scan | head) ends the scan quietly: exit 0, its checkpoint removed', async () => {
  await withTempDir(async (dir) => {
    const settings = { compactorOptions: null, garbageCollectorOptions: null } as const;
    const db = await Db.open('db', `file://${dir}`, { settings });
    for (let i = 0; i < 5000; i++) await db.put(`key${i}`, 'v'.repeat(100), { awaitDurable: false });
    await db.close();
    const child = spawn(
      process.execPath,
      ['--import', TSX, MAIN, 'scan', '--store', `file://${dir}`, '-p', 'db'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.deepEqual([code, stderr], [0, '']);
    const left = shaledb(['list-checkpoints', '--store', `file://${dir}`, '-p', 'db', '--json']);
    assert.equal(left.stdout, '[]\n');
  });
});

test('sizes and counts', () => {
  assert.equal(parseSize('4096', 'x'), 4096);
  assert.equal(parseSize('64MiB', 'x'), 64 * 1024 * 1024);
  assert.equal(parseSize('64M', 'x'), 64 * 1024 * 1024);
  assert.equal(parseSize('512 KiB', 'x'), 512 * 1024);
  assert.equal(parseSize('1GB', 'x'), 1e9);
  assert.equal(parseSize('2gib', 'x'), 2 * 1024 ** 3);
  for (const bad of ['', 'MiB', '1.5MiB', '-1', '64XB', '9999999999TiB']) {
    assert.throws(
      () => parseSize(bad, '--max-sst-size'),
      (e) => isShaleDBError(e, 'invalid', 'USAGE') && e.message.includes('--max-sst-size'),
      bad,
    );
  }
  assert.equal(parseCount('4', 'x'), 4);
  for (const bad of ['0', '-1', '1.5', 'four', '']) {
    assert.throws(
      () => parseCount(bad, 'x'),
      (e) => isShaleDBError(e, 'invalid', 'USAGE'),
      bad,
    );
  }
});
