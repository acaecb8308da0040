/**
 * The lock is complete for every platform: `npm ci` on a fresh machine refuses a lock that lacks an optional
 * dependency some locked package names (a registry serving only this platform makes `npm install` drop them;
 * `node scripts/lock-platforms.mjs` restores them). Dependencies are pinned to exact versions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs script without declarations
import { missingOptional } from '../../scripts/lock-platforms.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (name: string) => JSON.parse(readFileSync(join(root, name), 'utf8'));

test('package-lock.json names every optional dependency of every locked package', () => {
  const missing = (missingOptional as (lock: unknown) => { parent: string; name: string }[])(
    read('package-lock.json'),
  );
  assert.deepEqual(
    missing.map((m) => `${m.name} (of ${m.parent})`),
    [],
    'run `node scripts/lock-platforms.mjs` after npm install',
  );
});

test('the lock finds a missing optional dependency', () => {
  const lock = {
    packages: {
      '': { name: 'x' },
      'node_modules/a': { version: '1.0.0', optionalDependencies: { b: '1.0.0', c: '1.0.0' } },
      'node_modules/b': { version: '1.0.0' },
    },
  };
  const missing = (missingOptional as (lock: unknown) => { name: string }[])(lock);
  assert.deepEqual(
    missing.map((m) => m.name),
    ['c'],
  );
});

test('direct dependencies are pinned to exact versions', () => {
  const pkg = read('package.json');
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    for (const [name, spec] of Object.entries<string>(pkg[field] ?? {})) {
      assert.match(spec, /^\d+\.\d+\.\d+(-[\w.]+)?$/, `${field}.${name} is "${spec}": pin an exact version`);
    }
  }
});
