#!/usr/bin/env node
// The test runner behind `npm test`: finds every *.test.ts under src/ and test/, starts the shared test servers the
// selected suites need (see scripts/test-servers.mjs), and runs them with node:test through tsx.
//
// Usage: node scripts/test.mjs [--unit] [path-substring ...]
//   --unit      skip suites under test/integration/ (no servers are started)
//   substrings  run only test files whose path contains one of them
// Environment: SHALEDB_SEED reruns randomized tests with one seed; SHALEDB_TEST_CONCURRENCY sets parallel files.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

let files = [...walk(join(root, 'src'), []), ...walk(join(root, 'test'), [])].sort();
if (unitOnly) files = files.filter((f) => !f.startsWith('test/integration/'));
if (filters.length > 0) files = files.filter((f) => filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const env = { ...process.env, SHALEDB_INVARIANTS: '1' };
let servers;
const needsServers = files.some((f) => f.startsWith('test/integration/'));
if (needsServers) {
  const { startTestServers } = await import('./test-servers.mjs');
  servers = await startTestServers(files);
  Object.assign(env, servers.env);
}

const concurrency = process.env.SHALEDB_TEST_CONCURRENCY ?? '2';
const nodeArgs = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=900000',
  ...files,
];
console.log(`running ${files.length} test files (concurrency ${concurrency})`);
const child = spawn(process.execPath, nodeArgs, { cwd: root, env, stdio: 'inherit' });
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
if (servers) await servers.stop();
process.exit(code);
