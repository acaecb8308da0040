/**
 * The package as users get it: `npm run build` emits dist/ with type declarations, `import ... from "shaledb"`
 * resolves from the repository root through the package's own `exports` (self-reference), the built engine opens a
 * database and reads back what it wrote, and the `shaledb` bin runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function run(args: string[], cwd = root): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(args[0]!, args.slice(1), { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('npm run build emits dist/ with declarations; "shaledb" self-resolves and works; the bin runs', () => {
  const build = run([
    process.execPath,
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    'tsconfig.build.json',
  ]);
  assert.equal(build.status, 0, `build failed: ${build.stdout}${build.stderr}`);
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/db/db.d.ts', 'dist/cli/main.js']) {
    assert.ok(existsSync(join(root, f)), `${f} missing after the build`);
  }
  assert.ok(!existsSync(join(root, 'dist/db/db.test.js')), 'tests are not part of the package');

  const dir = mkdtempSync(join(os.tmpdir(), 'shaledb-pkg-'));
  try {
    const script = `
      import { Db, WriteBatch, ShaleDBError, resolveObjectStore } from 'shaledb';
      const db = await Db.open('db', ${JSON.stringify(`file://${dir}`)});
      await db.write(new WriteBatch().put('a', '1').put('b', '2'));
      const v = await db.get('b');
      let kind;
      try { await db.put('', 'x'); } catch (e) { kind = e instanceof ShaleDBError ? e.kind : 'other'; }
      await db.close();
      console.log(JSON.stringify({ v: Buffer.from(v).toString(), kind, resolve: typeof resolveObjectStore }));
    `;
    const r = run([process.execPath, '--input-type=module', '-e', script]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), {
      v: '2',
      kind: 'invalid',
      resolve: 'function',
    });

    const help = run([process.execPath, join(root, 'dist/cli/main.js'), '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /usage: shaledb <command>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
