/**
 * `shaledb gc` as a user runs it: spawned as a process (`node --import tsx src/cli/main.ts gc ...`) on a temporary
 * file:// database full of garbage (test/support/gc-scenario.ts).
 * - `--dry-run` prints what it would delete and changes no file; `--json` gives the same lists as data;
 * - `--once` deletes exactly what the dry run listed, and afterwards the database reopens and reads every write,
 *   and reopens at the kept checkpoint and reads exactly what it read when the checkpoint was made;
 * - running until stopped: passes on the interval, and SIGTERM stops it cleanly (exit 0);
 * - bad usage exits 2 with one line; a path without a database exits 3 (data) with the error's kind and code.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GcStore } from '../../src/gc/gc-store.js';
import { resolveObjectStore } from '../../src/object-store/resolve.js';
import { systemClock } from '../../src/util/clock.js';
import { testSeed } from '../../src/util/random.js';
import { checkReferences, cloneAt, lines, reopenAndScan, reopenAt } from '../support/gc-safety-check.js';
import { buildGcScenario } from '../support/gc-scenario.js';
import { withTempDir } from '../support/io-temp-dir.js';

const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function shaledb(
  args: readonly string[],
  onStdout?: (all: string, kill: (s: NodeJS.Signals) => void) => void,
): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onStdout?.(stdout, (s) => child.kill(s));
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${p.slice(dir.length + 1)} ${statSync(p).mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}

interface JsonReport {
  dry_run: boolean;
  expired_checkpoints: number;
  resources: Array<{ resource: string; listed: number; deleted: string[]; error?: unknown }>;
}

test('shaledb gc: dry run, one pass, and the database afterwards', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const s = await buildGcScenario(dir, seed);
    const base = ['gc', '--store', s.url, '--path', s.root, '--min-age', '0s'];
    const before = files(dir);

    const text = await shaledb([...base, '--dry-run']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /gc pass \(dry run: nothing deleted\)/);
    assert.match(text.stdout, /checkpoints {2}would remove 1 expired/);
    assert.match(text.stdout, new RegExp(`compacted +would delete \\d+ of \\d+\\n(.*\\n)*? +${s.orphan}\\n`));
    const dry = await shaledb([...base, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(files(dir), before, 'a dry run changes no file');
    const planned = JSON.parse(dry.stdout) as JsonReport;
    assert.equal(planned.dry_run, true);
    assert.equal(planned.expired_checkpoints, 1);
    const want = new Map(planned.resources.map((r) => [r.resource, r.deleted]));
    for (const r of ['manifest', 'wal', 'compacted', 'compactions']) {
      assert.ok(want.get(r)!.length > 0, `the dry run would delete some ${r} objects`);
    }
    assert.ok(want.get('compacted')!.includes(s.orphan));

    const once = await shaledb([...base, '--once', '--json']);
    assert.equal(once.code, 0, once.stderr);
    const done = JSON.parse(once.stdout) as JsonReport;
    assert.equal(done.dry_run, false);
    assert.equal(done.expired_checkpoints, 1);
    for (const r of done.resources) assert.deepEqual(r.deleted, want.get(r.resource), r.resource);
    const left = new Set(files(dir).map((l) => l.split(' ')[0]));
    for (const paths of want.values()) for (const p of paths) assert.ok(!left.has(p), `${p} was deleted`);

    const store = await resolveObjectStore(s.url);
    try {
      await checkReferences(store, s.root);
      const latest = await new GcStore(store, s.root).readLatestManifest();
      assert.deepEqual(
        latest.manifest.checkpoints
          .map((c) => c.id.toString())
          .filter((id) => id === s.expired.id.toString()),
        [],
        'the expired checkpoint was removed',
      );
      const all = await reopenAndScan(await cloneAt(store, s.root), s.root, systemClock.nowMs());
      assert.deepEqual(lines(all.rows), lines(s.expected));
      const id = s.keep.checkpoint.manifestId;
      const m = await new GcStore(store, s.root).manifests.read(id);
      const at = await reopenAt(store, s.root, id, m, systemClock.nowMs());
      assert.equal(at.seq, s.keep.state.seq);
      assert.deepEqual(lines(at.rows), lines(s.keep.state.rows));
    } finally {
      await store.close();
    }

    const again = await shaledb([...base, '--once']);
    assert.equal(again.code, 0, again.stderr);
    // Nothing is left to collect (the latest manifest and the checkpointed ones remain).
    assert.match(
      again.stdout,
      /manifest +deleted 0 of \d+\n +wal +deleted 0 of \d+\n +compacted +deleted 0 of/,
    );
  });
});

test('shaledb gc runs until SIGTERM, then stops cleanly', async () => {
  await withTempDir(async (dir) => {
    const s = await buildGcScenario(dir, 7);
    let sent = false;
    const run = await shaledb(
      ['gc', '--store', s.url, '--path', s.root, '--interval', '200ms', '--min-age', '0s'],
      (all, kill) => {
        // Wait for two rounds of the four tasks, then stop.
        if (!sent && (all.match(/^ {2}compactions /gm) ?? []).length >= 2) {
          sent = true;
          kill('SIGTERM');
        }
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^gc running on db: manifest every 200 ms \(min age 0 ms\)/);
    assert.match(run.stdout, /gc stopped \(SIGTERM\) after \d+ tasks: deleted manifest [1-9]\d*, wal [1-9]/);
  });
});

test('shaledb gc: usage errors exit 2, errors exit with their kind and code', async () => {
  const usage = await shaledb(['gc', '--store', 'file:///tmp']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^shaledb gc: --path <path> is required .*\(see shaledb gc --help\)\n$/);
  const unknown = await shaledb(['gc', '--store', 'file:///tmp', '--path', 'x', '--bogus']);
  assert.equal(unknown.code, 2);
  await withTempDir(async (dir) => {
    const missing = await shaledb(['gc', '--store', `file://${dir}`, '--path', 'nodb', '--once']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^error \(data\/MANIFEST_MISSING\): /);
    const badAge = await shaledb(['gc', '--store', `file://${dir}`, '--path', 'nodb', '--min-age', 'later']);
    assert.equal(badAge.code, 2);
    assert.match(badAge.stderr, /^error \(invalid\/INVALID_SETTING\): /);
  });
  const help = await shaledb(['gc', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--dry-run/);
});
