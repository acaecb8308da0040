/**
 * The command line's edges: `--version`, `--help` on every command (never running it: `quickstart --help` creates
 * nothing), and bad usage as exit code 2 with one line on stderr and no stack trace; size and count arguments.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '../../test/support/io-temp-dir.js';
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
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--version prints the package version; --help works on the command line and every command', async () => {
  for (const flag of ['--version', '-v']) {
    const v = shaledb([flag]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), VERSION);
  }
  await withTempDir(async (dir) => {
    for (const [args, text] of [
      [['--help'], /usage: shaledb <command>/],
      [['quickstart', '--help'], /usage: shaledb quickstart \[dir\]/],
      [['quickstart', '-h'], /usage: shaledb quickstart \[dir\]/],
      [['gc', '--help'], /usage: shaledb gc --store URL --path DB/],
      [['compactor', '--help'], /usage: shaledb compactor --store URL --path DB/],
    ] as const) {
      const r = shaledb([...args], dir);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, text);
    }
    assert.deepEqual(readdirSync(dir), [], '--help created nothing');
  });
});

test('bad usage exits 2 with one line on stderr, never a stack trace', async () => {
  await withTempDir(async (dir) => {
    for (const [args, text] of [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['quickstart', 'a', 'b'], /unexpected argument "b"/],
      [['quickstart', '--bogus'], /--bogus/],
      [['gc', '--store', 'file:///tmp'], /--path DB is required/],
      [['gc', '--store', 'file:///tmp', '--path', 'x', '--bogus'], /--bogus/],
      [['gc', '--store'], /--store/],
      [['compactor', '--path', 'db'], /--store and --path are required/],
      [['compactor', '--store', `file://${dir}`, '--path', 'db', '--max-sst-size', '64XB'], /--max-sst-size/],
      [
        ['compactor', '--store', `file://${dir}`, '--path', 'db', '--max-concurrent', '0'],
        /--max-concurrent/,
      ],
      [['compactor', '--store', `file://${dir}`, '--path', 'db', '--what'], /--what/],
    ] as const) {
      const r = shaledb([...args], dir);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')}: one line, got ${r.stderr}`);
      assert.match(lines[0]!, text);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.deepEqual(readdirSync(dir), [], 'nothing ran');
  });
  const none = shaledb([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /usage: shaledb <command>/);
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
