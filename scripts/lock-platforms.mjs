#!/usr/bin/env node
/**
 * Keeps package-lock.json complete for every platform. A registry that serves only this machine's platform packages
 * makes `npm install` drop the lock entries of other platforms' optional binaries (biome's CLIs, msgpackr's
 * extractors), and `npm ci` then refuses the lock as out of sync. This script restores those entries from the table
 * below (no fetch: the packages are never installed on a platform they do not match).
 *
 *   node scripts/lock-platforms.mjs          add missing entries
 *   node scripts/lock-platforms.mjs --check  exit 1 and name the optional dependencies the lock lacks
 *
 * Invariant: the lock names every optional dependency of every locked package (test/lint/lockfile.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'package-lock.json');

/** Platform packages a registry may not serve here: name → [os, cpu, libc or null]. */
const PLATFORMS = {
  '@biomejs/cli-android-arm64': ['android', 'arm64', null],
  '@biomejs/cli-android-x64': ['android', 'x64', null],
  '@biomejs/cli-darwin-arm64': ['darwin', 'arm64', null],
  '@biomejs/cli-darwin-x64': ['darwin', 'x64', null],
  '@biomejs/cli-linux-arm64': ['linux', 'arm64', 'glibc'],
  '@biomejs/cli-linux-arm64-musl': ['linux', 'arm64', 'musl'],
  '@biomejs/cli-linux-x64': ['linux', 'x64', 'glibc'],
  '@biomejs/cli-linux-x64-musl': ['linux', 'x64', 'musl'],
  '@biomejs/cli-win32-arm64': ['win32', 'arm64', null],
  '@biomejs/cli-win32-x64': ['win32', 'x64', null],
  '@msgpackr-extract/msgpackr-extract-darwin-arm64': ['darwin', 'arm64', null],
  '@msgpackr-extract/msgpackr-extract-darwin-x64': ['darwin', 'x64', null],
  '@msgpackr-extract/msgpackr-extract-linux-arm': ['linux', 'arm', null],
  '@msgpackr-extract/msgpackr-extract-linux-arm64': ['linux', 'arm64', null],
  '@msgpackr-extract/msgpackr-extract-linux-x64': ['linux', 'x64', null],
  '@msgpackr-extract/msgpackr-extract-win32-x64': ['win32', 'x64', null],
};

/** Optional dependencies named by locked packages but absent from the lock: [{ parent, name, version }]. */
export function missingOptional(lock) {
  const pk = lock.packages;
  const missing = [];
  for (const [path, entry] of Object.entries(pk)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      // Node resolution: nested under the parent, then each ancestor's node_modules, then the root.
      let found = false;
      let base = path;
      for (;;) {
        if (pk[`${base ? `${base}/` : ''}node_modules/${name}`]) {
          found = true;
          break;
        }
        if (!base) break;
        const cut = base.lastIndexOf('node_modules/');
        base = cut <= 0 ? '' : base.slice(0, cut - 1);
      }
      if (!found) missing.push({ parent: path, name, version });
    }
  }
  return missing;
}

function main() {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  const missing = missingOptional(lock);
  if (process.argv.includes('--check')) {
    for (const m of missing)
      console.error(`lock lacks optional ${m.name}@${m.version} (of ${m.parent || 'root'})`);
    process.exit(missing.length === 0 ? 0 : 1);
  }
  const parentEntry = (m) => lock.packages[m.parent];
  for (const m of missing) {
    const platform = PLATFORMS[m.name];
    if (!platform) {
      console.error(`no platform data for ${m.name}; add it to PLATFORMS in scripts/lock-platforms.mjs`);
      process.exit(1);
    }
    const [os, cpu, libc] = platform;
    const parent = parentEntry(m);
    const entry = { version: m.version, cpu: [cpu] };
    if (parent.dev) entry.dev = true;
    if (libc) entry.libc = [libc];
    if (parent.license) entry.license = parent.license;
    entry.optional = true;
    entry.os = [os];
    if (parent.engines) entry.engines = parent.engines;
    lock.packages[`node_modules/${m.name}`] = entry;
    console.log(`added ${m.name}@${m.version}`);
  }
  const sorted = {};
  const keys = Object.keys(lock.packages).sort((a, b) =>
    a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en'),
  );
  for (const k of keys) sorted[k] = lock.packages[k];
  lock.packages = sorted;
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
