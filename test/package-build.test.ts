/**
 * The package as users get it: `npm pack` (whose `prepack` builds dist/) ships the ESM build, the CommonJS build,
 * declarations, source maps with their sources, LICENSE and no tests; installed into a scratch app with
 * `--ignore-scripts` (so zstd-napi has no native build) and without the optional cloud SDKs, it loads from ESM
 * (`import`) and CommonJS (`require`), opens a local database, reports a missing SDK or codec as a typed error
 * naming the package, type-checks for TypeScript consumers under `node16` resolution in both module formats, and
 * its `shaledb` bin runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(os.tmpdir(), 'shaledb-pkg-'));
const app = join(work, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(args: string[], cwd = root): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(args[0]!, args.slice(1), { cwd, encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lastJson(out: string): unknown {
  return JSON.parse(out.trim().split('\n').pop()!);
}

let tarball = '';

before(() => {
  const pack = run([npm, 'pack', '--json', '--pack-destination', work]);
  assert.equal(pack.status, 0, `npm pack failed: ${pack.stdout}${pack.stderr}`);
  const jsonStart = pack.stdout.indexOf('[\n');
  const info = JSON.parse(pack.stdout.slice(jsonStart)) as { filename: string }[];
  tarball = join(work, info[0]!.filename);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const t0 = performance.now();
  const install = run(
    [npm, 'install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball],
    app,
  );
  assert.equal(install.status, 0, `install failed: ${install.stdout}${install.stderr}`);
  const du = run(['du', '-sh', join(app, 'node_modules')]);
  console.log(
    `# scratch install: ${((performance.now() - t0) / 1000).toFixed(1)} s, node_modules ${du.stdout.split('\t')[0]}`,
  );
});
after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball ships both builds, declarations, self-contained source maps and LICENSE, and no tests', () => {
  const list = run(['tar', '-tzf', tarball]).stdout.split('\n');
  for (const f of [
    'package/dist/index.js',
    'package/dist/index.d.ts',
    'package/dist/cjs/index.js',
    'package/dist/cjs/index.d.ts',
    'package/dist/cjs/package.json',
    'package/dist/testing.js',
    'package/dist/level/index.js',
    'package/dist/cjs/level/index.js',
    'package/dist/cli/main.js',
    'package/dist/compactor/compaction-worker.js',
    'package/dist/cjs/compactor/compaction-worker.js',
    'package/LICENSE',
  ]) {
    assert.ok(list.includes(f), `${f} missing from the tarball`);
  }
  assert.deepEqual(
    list.filter((f) => /\.test\.|\/test\//.test(f)),
    [],
    'tests are not part of the package',
  );
  const pkg = join(app, 'node_modules/shaledb');
  const map = JSON.parse(readFileSync(join(pkg, 'dist/db/db.js.map'), 'utf8')) as {
    sources: string[];
    sourcesContent?: string[];
  };
  assert.equal(map.sourcesContent?.length, map.sources.length, 'source maps embed their sources');
  assert.match(map.sourcesContent![0]!, /export class Db/);
  const index = readFileSync(join(pkg, 'dist/index.d.ts'), 'utf8');
  assert.doesNotMatch(index, /FaultInjectingObjectStore|LatencyModelObjectStore/, 'test helpers stay out');
  const db = readFileSync(join(pkg, 'dist/db/db.d.ts'), 'utf8');
  assert.doesNotMatch(db, /get inner\(\)/, '@internal members are stripped');
});

test('installed with --ignore-scripts, without cloud SDKs: no SDK was installed', () => {
  const nm = join(app, 'node_modules');
  for (const scope of ['@aws-sdk', '@azure', '@google-cloud', '@smithy']) {
    assert.ok(!existsSync(join(nm, scope)), `${scope} was installed`);
  }
  // zstd-napi is there but, without its install script, has no native build.
  assert.ok(existsSync(join(nm, 'zstd-napi/package.json')));
  assert.ok(!existsSync(join(nm, 'zstd-napi/build/Release')));
  assert.ok(readdirSync(nm).includes('shaledb'));
});

const usage = (imp: string, mode: string) => `
  ${imp}
  const MODE = '${mode}';
  const dir = ${JSON.stringify(join(work, 'data'))};
  const out = {};
  const db = await Db.open('db', 'file://' + dir + '/' + MODE);
  await db.write(new WriteBatch().put('a', '1').put('b', '2'));
  out.v = Buffer.from(await db.get('b')).toString();
  try { await db.put('', 'x'); } catch (e) { out.empty = e instanceof ShaleDBError ? e.code : 'other'; }
  await db.close();
  const codeOf = (e) => (e instanceof ShaleDBError ? e.kind + '/' + e.code + ':' + /zstd-napi|@aws-sdk\\/client-s3/.exec(e.message) : String(e));
  try {
    const z = await Db.open('z', 'file://' + dir + '/' + MODE, { settings: { compressionCodec: 'zstd' } });
    await z.close();
    out.zstd = 'ok';
  } catch (e) { out.zstd = codeOf(e); }
  const s = await Db.open('s', 'file://' + dir + '/' + MODE, { settings: { compressionCodec: 'snappy' } });
  await s.put('k', 'v'.repeat(100));
  await s.flush({ type: 'memtable' });
  out.snappy = Buffer.from(await s.get('k')).length;
  await s.close();
  try { await resolveObjectStore('s3://bucket/prefix'); } catch (e) { out.s3 = codeOf(e); }
  console.log(JSON.stringify(out));
`;

function expected() {
  const builtIn = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
  return {
    v: '2',
    empty: 'INVALID_KEY',
    zstd: builtIn ? 'ok' : 'invalid/CODEC_UNAVAILABLE:zstd-napi',
    snappy: 100,
    s3: 'invalid/PACKAGE_MISSING:@aws-sdk/client-s3',
  };
}
test('import from ESM: opens a local database; missing SDK and codec are typed errors naming the package', () => {
  const script = usage("import { Db, WriteBatch, ShaleDBError, resolveObjectStore } from 'shaledb';", 'esm');
  writeFileSync(join(app, 'esm.mjs'), script);
  const r = run([process.execPath, 'esm.mjs'], app);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(lastJson(r.stdout), expected());
});

test('require from CommonJS gives the same API', () => {
  const script = `const { Db, WriteBatch, ShaleDBError, resolveObjectStore } = require('shaledb');
    (async () => { ${usage('', 'cjs')} })().catch((e) => { console.error(e); process.exit(1); });`;
  writeFileSync(join(app, 'cjs.cjs'), script);
  const r = run([process.execPath, 'cjs.cjs'], app);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(lastJson(r.stdout), expected());
  const testing = run(
    [process.execPath, '-e', "console.log(typeof require('shaledb/testing').FaultInjectingObjectStore)"],
    app,
  );
  assert.equal(testing.stdout.trim(), 'function', testing.stderr);
});

/**
 * Flushes and compacts through worker threads, closes, and prints a value; a worker left running would keep it
 * alive (a flush worker that cannot load would fail every flush, so the loop would never end).
 */
const compacting = (imp: string) => `
  ${imp}
  const db = await Db.open('db', 'memory:///', {
    compactionWorkers: 2,
    flushWorkers: 1,
    settings: { flushInterval: '5ms', l0SstSizeBytes: 4096, garbageCollectorOptions: null, compressionCodec: 'snappy',
      compactorOptions: { pollInterval: '20ms', subcompactions: 2, schedulerOptions: {} } },
  });
  for (let n = 0; n < 6; n++) {
    for (let i = 0; i < 200; i++) await db.put('k' + i, 'v' + n + '-' + i, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
  while (db.status().sortedRunCount === 0) await new Promise((r) => setTimeout(r, 10));
  // One batch of about 120 KiB: its L0 is large enough to be encoded in the flush worker.
  const big = new WriteBatch();
  for (let i = 0; i < 300; i++) big.put('big' + i, 'b'.repeat(400));
  await db.write(big, { awaitDurable: false });
  await db.flush({ type: 'memtable' });
  if (new TextDecoder().decode(await db.get('big7')) !== 'b'.repeat(400)) throw new Error('big7 lost');
  const v = new TextDecoder().decode(await db.get('k7'));
  await db.close();
  console.log(JSON.stringify({ v }));
`;

test('flushes and compaction run in worker threads from the ESM and CommonJS builds; the process exits after close', () => {
  const esm = run(
    [process.execPath, '--input-type=module', '-e', compacting("import { Db, WriteBatch } from 'shaledb';")],
    app,
  );
  assert.equal(esm.status, 0, esm.stderr);
  assert.deepEqual(lastJson(esm.stdout), { v: 'v5-7' });
  const cjs = run(
    [
      process.execPath,
      '-e',
      `const { Db, WriteBatch } = require('shaledb'); (async () => {${compacting('')}})().catch((e) => { console.error(e); process.exit(1); });`,
    ],
    app,
  );
  assert.equal(cjs.status, 0, cjs.stderr);
  assert.deepEqual(lastJson(cjs.stdout), { v: 'v5-7' });
});

test('shaledb/level works from ESM and CommonJS on a local database', () => {
  const body = (mode: string) => `
    const db = new ShaleLevel('file://' + ${JSON.stringify(join(work, 'level'))} + '/${mode}', { valueEncoding: 'json' });
    await db.put('a', { n: 1 });
    await db.batch([{ type: 'put', key: 'b', value: { n: 2 } }, { type: 'del', key: 'a' }]);
    const entries = await db.iterator({ reverse: true, limit: 5 }).all();
    await db.close();
    console.log(JSON.stringify(entries));`;
  const esm = run(
    [
      process.execPath,
      '--input-type=module',
      '-e',
      `import { ShaleLevel } from 'shaledb/level';
${body('esm')}`,
    ],
    app,
  );
  assert.equal(esm.status, 0, esm.stderr);
  assert.deepEqual(lastJson(esm.stdout), [['b', { n: 2 }]]);
  const cjs = run(
    [
      process.execPath,
      '-e',
      `const { ShaleLevel } = require('shaledb/level'); (async () => {${body('cjs')}})().catch((e) => { console.error(e); process.exit(1); });`,
    ],
    app,
  );
  assert.equal(cjs.status, 0, cjs.stderr);
  assert.deepEqual(lastJson(cjs.stdout), [['b', { n: 2 }]]);
});

test('TypeScript consumers type-check under node16 resolution from ESM and CommonJS; ErrorCode is a union', () => {
  const body = `
    const code: ErrorCode = 'CHECKSUM_MISMATCH';
    // @ts-expect-error not an error code
    const bad: ErrorCode = 'NO_SUCH_CODE';
    export async function f(): Promise<ErrorCode | undefined> {
      const db = await Db.open('db', 'memory:///');
      try { await db.get(''); } catch (e) { if (e instanceof ShaleDBError) return e.code; }
      return bad === code ? code : undefined;
    }`;
  writeFileSync(join(app, 'esm.mts'), `import { Db, ShaleDBError, type ErrorCode } from 'shaledb';\n${body}`);
  writeFileSync(join(app, 'cjs.cts'), `import { Db, ShaleDBError, type ErrorCode } from 'shaledb';\n${body}`);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'node16',
        moduleResolution: 'node16',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
      },
      files: ['esm.mts', 'cjs.cts'],
    }),
  );
  const r = run(
    [process.execPath, join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
    app,
  );
  assert.equal(r.status, 0, `tsc: ${r.stdout}${r.stderr}`);
});

test('the installed shaledb bin runs: --help, --version and a command', () => {
  const bin = join(app, 'node_modules/.bin/shaledb');
  const help = run([bin, '--help'], app);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: shaledb \[options\] \[command\]/);
  const listed = run([bin, '--store', `file://${app}`, '--path', 'no-db', 'list-manifests', '--json'], app);
  assert.equal(listed.status, 0, listed.stderr);
  assert.equal(listed.stdout, '[]\n');
  const version = run([bin, '--version'], app);
  assert.equal(version.status, 0, version.stderr);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout.trim(), pkg.version);
});
