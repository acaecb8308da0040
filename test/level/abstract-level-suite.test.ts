/**
 * ShaleLevel passes abstract-level's official test suite: the suite (tape) runs in a child process, and this test
 * fails on any failing assertion, on a crash, or if the suite did not run its assertions.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('abstract-level test suite', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'test/support/level-suite-child.ts')],
    { cwd: root, encoding: 'utf8', timeout: 600_000, maxBuffer: 256 * 1024 * 1024 },
  );
  const out = r.stdout;
  const failures = out.split('\n').filter((l) => l.startsWith('not ok'));
  const pass = Number(/^# pass\s+(\d+)/m.exec(out)?.[1] ?? 0);
  const fail = Number(/^# fail\s+(\d+)/m.exec(out)?.[1] ?? 0);
  assert.deepEqual(failures.slice(0, 20), [], `failing assertions:\n${failures.slice(0, 50).join('\n')}`);
  assert.equal(fail, 0);
  assert.equal(r.status, 0, `suite exited ${r.status}: ${r.stderr.slice(-4000)}`);
  // The 3.x suite has thousands of assertions; a run with few means it did not really run.
  assert.ok(pass > 1000, `only ${pass} assertions passed`);
});
