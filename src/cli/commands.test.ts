/**
 * Every `shaledb` command end to end, in-process (run.ts with captured output), on a database ShaleDB wrote on the
 * local filesystem: text output and `--json` output (parsed, fields checked against the database), the slatedb-cli
 * flag names, the store from CLOUD_PROVIDER/LOCAL_PATH and `--env-file`, progress lines only on a terminal, and
 * the exit codes of bad usage and typed errors.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, cliJson } from '../../test/support/cli-run.js';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { Db } from '../open/open.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;
const key = (i: number) => `k${String(i).padStart(3, '0')}`;

/** A database with three L0 SSTs (k000..k059) and an unflushed WAL tail (w0..w4). */
async function makeDb(dir: string): Promise<void> {
  const db = await Db.open('db', `file://${dir}`, { settings });
  for (let l = 0; l < 3; l++) {
    for (let i = l * 20; i < (l + 1) * 20; i++) await db.put(key(i), `v${i}`, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
  for (let i = 0; i < 5; i++) await db.put(`w${i}`, `tail${i}`);
  await db.close();
}

interface CheckpointJson {
  id: string;
  manifest_id: number;
  expire_time: string | null;
  create_time: string;
  name: string | null;
}

test('manifest, inspect and stats commands', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const base = ['--store', `file://${dir}`, '--path', 'db'];

    const files = await cliJson<Array<{ id: number; location: string; last_modified: string; size: number }>>(
      ['list-manifests', ...base],
    );
    const onDisk = readdirSync(join(dir, 'db', 'manifest')).sort();
    assert.deepEqual(
      files.map((f) => f.location),
      onDisk,
    );
    assert.ok(files.every((f) => f.size > 0 && !Number.isNaN(Date.parse(f.last_modified))));
    const latest = files[files.length - 1]!.id;
    const ranged = await cliJson<Array<{ id: number }>>([
      'list-manifests',
      ...base,
      '-s',
      '2',
      '-e',
      String(latest),
    ]);
    assert.deepEqual(
      ranged.map((f) => f.id),
      files.map((f) => f.id).filter((id) => id >= 2 && id < latest),
    );
    const listText = await cli(['list-manifests', ...base]);
    assert.equal(listText.code, 0);
    assert.match(listText.stdout, /^ID\s+SIZE\s+LAST MODIFIED\s+LOCATION\n/);
    assert.equal(listText.stdout.trim().split('\n').length, files.length + 1);

    const [id, manifest] = await cliJson<[number, { writer_epoch: number; core: { l0: unknown[] } }]>([
      'read-manifest',
      ...base,
    ]);
    assert.equal(id, latest);
    assert.equal(manifest.writer_epoch, 1);
    assert.equal(manifest.core.l0.length, 3);
    const [firstId] = await cliJson<[number, unknown]>(['read-manifest', ...base, '--id', '1']);
    assert.equal(firstId, 1);
    const text = await cli(['--path', 'db', '--store', `file://${dir}`, 'read-manifest']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^manifest ${latest}\\n`));
    assert.match(text.stdout, /L0 SSTs: 3\n/);
    const none = await cli(['read-manifest', ...base, '-i', '999']);
    assert.deepEqual([none.code, none.stdout], [0, 'no manifest file found\n']);
    assert.equal((await cli(['read-manifest', ...base, '-i', '999', '--json'])).stdout, 'null\n');

    const shape = await cliJson<{
      manifest_id: number;
      l0: Array<{ id: string; size: number; first_key: string; last_key: string }>;
      sorted_runs: unknown[];
      checkpoints: unknown[];
    }>(['inspect', ...base]);
    assert.equal(shape.manifest_id, latest);
    // Newest first: the last flush holds k040..k059.
    assert.deepEqual(
      shape.l0.map((s) => [s.first_key, s.last_key]),
      [
        ['k040', 'k059'],
        ['k020', 'k039'],
        ['k000', 'k019'],
      ],
    );
    const sstFiles = readdirSync(join(dir, 'db', 'compacted'));
    assert.deepEqual(shape.l0.map((s) => `${s.id}.sst`).sort(), sstFiles.sort());
    assert.ok(shape.l0.every((s) => s.size > 0));
    assert.deepEqual([shape.sorted_runs, shape.checkpoints], [[], []]);
    const hex = await cliJson<{ l0: Array<{ first_key: string }> }>([
      'inspect',
      ...base,
      '--encoding',
      'hex',
    ]);
    assert.equal(hex.l0[0]!.first_key, Buffer.from('k040').toString('hex'));
    const inspectText = await cli(['inspect', ...base]);
    assert.match(inspectText.stdout, /L0: 3 SSTs/);
    assert.match(inspectText.stdout, /k040 \.\. k059/);

    const stats = await cliJson<{
      l0_ssts: number;
      sorted_runs: number;
      wal_ssts_to_replay: number;
      directories: Record<string, { objects: number; bytes: number }>;
      total_bytes: number;
    }>(['stats', ...base]);
    assert.equal(stats.l0_ssts, 3);
    assert.equal(stats.sorted_runs, 0);
    assert.ok(stats.wal_ssts_to_replay >= 1, 'the unflushed tail is in WAL SSTs');
    assert.equal(stats.directories['manifest']!.objects, files.length);
    assert.equal(stats.directories['compacted']!.objects, 3);
    assert.equal(
      stats.total_bytes,
      Object.values(stats.directories).reduce((a, d) => a + d.bytes, 0),
    );
    assert.match((await cli(['stats', ...base])).stdout, /L0: 3 SSTs/);
  });
});

test('checkpoint commands and scan through a checkpoint', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const base = ['--store', `file://${dir}`, '--path', 'db'];
    const created = await cliJson<{ id: string; manifest_id: number }>([
      'create-checkpoint',
      ...base,
      '--name',
      'nightly',
    ]);
    assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const t = await cli(['create-checkpoint', ...base, '-l', '1h 30min']);
    assert.equal(t.code, 0, t.stderr);
    const [, second] = /^created checkpoint (\S+) pinning manifest (\d+)\n$/.exec(t.stdout)!;

    // --source pins the same manifest as an existing checkpoint.
    const copy = await cliJson<{ id: string; manifest_id: number }>([
      'create-checkpoint',
      ...base,
      '-s',
      created.id,
    ]);
    assert.equal(copy.manifest_id, created.manifest_id);
    assert.equal((await cli(['delete-checkpoint', ...base, '-i', copy.id])).code, 0);
    const unnamed = await cliJson<CheckpointJson[]>(['list-checkpoints', ...base, '--name', '']);
    assert.deepEqual(
      unnamed.map((c) => c.id),
      [second],
    );

    const all = await cliJson<CheckpointJson[]>(['list-checkpoints', ...base]);
    assert.deepEqual(all.map((c) => c.id).sort(), [created.id, second!].sort());
    const nightly = all.find((c) => c.id === created.id)!;
    assert.deepEqual(
      [nightly.manifest_id, nightly.name, nightly.expire_time],
      [created.manifest_id, 'nightly', null],
    );
    const timed = all.find((c) => c.id === second)!;
    assert.equal(Date.parse(timed.expire_time!) - Date.parse(timed.create_time), 5_400_000);
    assert.match(timed.create_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const named = await cliJson<CheckpointJson[]>(['list-checkpoints', ...base, '-n', 'nightly']);
    assert.deepEqual(
      named.map((c) => c.id),
      [created.id],
    );
    const listText = await cli(['list-checkpoints', ...base]);
    assert.match(
      listText.stdout,
      new RegExp(`${created.id}  manifest ${created.manifest_id} .*never expires name "nightly"`),
    );

    const refreshed = await cliJson<CheckpointJson>([
      'refresh-checkpoint',
      ...base,
      '-i',
      created.id,
      '-l',
      '2days',
    ]);
    assert.equal(Date.parse(refreshed.expire_time!) - Date.now() > 2 * 86_400_000 - 60_000, true);
    const cleared = await cli(['refresh-checkpoint', ...base, '--id', created.id]);
    assert.match(cleared.stdout, /never expires/);

    // A writer goes on; the checkpoint's scan must not see it.
    const db = await Db.open('db', `file://${dir}`, { settings });
    await db.put('k000', 'changed');
    await db.put('zzz', 'new');
    await db.close();
    const pinned = await cli(['scan', ...base, '--checkpoint', created.id, '--prefix', 'k00']);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.deepEqual(
      pinned.stdout.trimEnd().split('\n'),
      Array.from({ length: 10 }, (_, i) => `${key(i)}\tv${i}`),
    );
    const latest = await cliJson<Array<{ key: string; value: string }>>([
      'scan',
      ...base,
      '--from',
      'k000',
      '--to',
      'k001',
    ]);
    assert.deepEqual(
      latest.map((r) => [r.key, r.value]),
      [['k000', 'changed']],
    );

    // A clone of the checkpoint reads exactly the checkpoint's state.
    const clone = await cliJson<{ path: string; parent_path: string }>([
      'create-clone',
      '--store',
      `file://${dir}`,
      '-p',
      'clone',
      '--parent-path',
      'db',
      '--parent-checkpoint',
      created.id,
    ]);
    assert.deepEqual([clone.path, clone.parent_path], ['clone', 'db']);
    const cloned = await cli(['scan', '--store', `file://${dir}`, '-p', 'clone', '--prefix', 'k00']);
    assert.equal(cloned.stdout, pinned.stdout);
    // The clone pins what it references with a checkpoint of its own in the parent.
    const pins = (await cliJson<CheckpointJson[]>(['list-checkpoints', ...base]))
      .map((c) => c.id)
      .filter((id) => id !== created.id && id !== second);
    assert.equal(pins.length, 1);

    const del = await cli(['delete-checkpoint', ...base, '-i', created.id]);
    assert.deepEqual([del.code, del.stdout], [0, `deleted checkpoint ${created.id}\n`]);
    assert.deepEqual(
      (await cliJson<CheckpointJson[]>(['list-checkpoints', ...base])).map((c) => c.id).sort(),
      [second!, pins[0]!].sort(),
    );
    const again = await cliJson<{ deleted: boolean }>(['delete-checkpoint', ...base, '-i', created.id]);
    assert.equal(again.deleted, false);
    const missing = await cli(['refresh-checkpoint', ...base, '-i', created.id]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^error \(data\/INVALID_DB_STATE\)/);
    const gone = await cli(['scan', ...base, '--checkpoint', created.id]);
    assert.equal(gone.code, 3);
    assert.match(gone.stderr, /CHECKPOINT_MISSING/);
  });
});

test('scan: ranges, limits, counts, encodings, no writes with --no-checkpoint, progress only on a terminal', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const base = ['--store', `file://${dir}`, '--path', 'db'];
    const rows = await cliJson<Array<{ key: string; value: string; seq: number; create_ts: number | null }>>([
      'scan',
      ...base,
    ]);
    assert.equal(rows.length, 65);
    assert.deepEqual(rows[0], { ...rows[0], key: 'k000', value: 'v0' });
    assert.ok(rows.every((r) => r.seq > 0));
    assert.deepEqual(
      rows.slice(-5).map((r) => r.value),
      ['tail0', 'tail1', 'tail2', 'tail3', 'tail4'],
    );
    const text = await cli(['scan', ...base, '--from', 'k010', '--to', 'k013']);
    assert.equal(text.stdout, 'k010\tv10\nk011\tv11\nk012\tv12\n');
    const limited = await cliJson<unknown[]>(['scan', ...base, '--prefix', 'k', '--max-keys', '7']);
    assert.equal(limited.length, 7);
    assert.equal((await cliJson<unknown[]>(['scan', ...base, '--prefix', 'nothing'])).length, 0);
    const noWal = await cliJson<{ count: number }>(['scan', ...base, '--count', '--no-wal']);
    assert.equal(noWal.count, 60);
    const hex = await cli([
      'scan',
      ...base,
      '--encoding',
      'hex',
      '--prefix',
      Buffer.from('w4').toString('hex'),
    ]);
    assert.equal(
      hex.stdout,
      `${Buffer.from('w4').toString('hex')}\t${Buffer.from('tail4').toString('hex')}\n`,
    );

    const manifests = readdirSync(join(dir, 'db', 'manifest')).length;
    const counted = await cli(['scan', ...base, '--count', '--no-checkpoint']);
    assert.deepEqual([counted.code, counted.stdout, counted.stderr], [0, '65\n', '']);
    assert.equal(
      readdirSync(join(dir, 'db', 'manifest')).length,
      manifests,
      '--no-checkpoint writes nothing',
    );
    const tty = await cli(['scan', ...base, '--count'], { isTTY: true });
    assert.equal(tty.stdout, '65\n');
    assert.match(tty.stderr, /\rscanning .*keys/);
    assert.ok(tty.stderr.endsWith('\r\u001b[K'), 'the progress line is erased');
    const bad = await cli(['scan', ...base, '--prefix', 'a', '--from', 'b']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^shaledb scan: --prefix cannot be combined/);
  });
});

test('seq-to-ts and ts-to-seq', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const base = ['--store', `file://${dir}`, '--path', 'db'];
    const seq = (await cliJson<{ last_l0_seq: number }>(['inspect', ...base])).last_l0_seq;
    const nowS = Math.floor(Date.now() / 1000);
    const ts = await cli(['seq-to-ts', ...base, String(seq)]);
    assert.equal(ts.code, 0, ts.stderr);
    assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\n$/);
    const tsS = Date.parse(ts.stdout.trim()) / 1000;
    assert.ok(Math.abs(tsS - nowS) < 300, `${ts.stdout} is about now`);
    assert.equal((await cli(['seq-to-ts', ...base, '0', '--round', 'down'])).stdout, 'not found\n');

    // The sample at that time maps back to a seq at or below the last one, and exactly back to the same time.
    const back = await cli(['ts-to-seq', ...base, String(tsS)]);
    assert.match(back.stdout, /^\d+\n$/);
    const sampled = Number(back.stdout);
    assert.ok(sampled > 0 && sampled <= seq);
    const j = await cliJson(['seq-to-ts', ...base, String(sampled), '--round', 'up']);
    assert.deepEqual(j, {
      seq: sampled,
      round: 'up',
      ts: new Date(tsS * 1000).toISOString().replace('.000Z', 'Z'),
    });
    const later = await cliJson<{ seq: number | null }>(['ts-to-seq', ...base, String(nowS + 86_400)]);
    assert.equal(typeof later.seq, 'number');
    assert.deepEqual(await cliJson(['ts-to-seq', ...base, String(nowS + 86_400), '--round', 'up']), {
      ts_secs: nowS + 86_400,
      round: 'up',
      seq: null,
    });
    const badRound = await cli(['seq-to-ts', ...base, '1', '--round', 'sideways']);
    assert.equal(badRound.code, 2);
    assert.match(badRound.stderr, /--round/);
  });
});

test('the object store from CLOUD_PROVIDER and --env-file, as slatedb-cli finds it', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const env = { CLOUD_PROVIDER: 'local', LOCAL_PATH: dir };
    const r = await cliJson<unknown[]>(['--path', 'db', 'list-checkpoints'], { env });
    assert.deepEqual(r, []);
    writeFileSync(join(dir, 'slate.env'), `# the store\nCLOUD_PROVIDER=local\nLOCAL_PATH="${dir}"\n`);
    const viaFile = await cli(['-e', join(dir, 'slate.env'), '-p', 'db', 'stats', '--json']);
    assert.equal(viaFile.code, 0, viaFile.stderr);
    assert.equal(JSON.parse(viaFile.stdout).l0_ssts, 3);
    // ./.env is read when present; variables already set win over it.
    writeFileSync(join(dir, '.env'), 'CLOUD_PROVIDER=local\nLOCAL_PATH=.\n');
    assert.equal((await cli(['-p', 'db', 'stats'], { cwd: dir })).code, 0);
    const wins = await cli(['-p', 'db', 'stats'], { cwd: dir, env: { LOCAL_PATH: join(dir, 'nowhere') } });
    assert.equal(wins.code, 3);
    assert.match(wins.stderr, /MANIFEST_MISSING/);

    const unknown = await cli(['-p', 'db', 'stats'], { env: { CLOUD_PROVIDER: 'opendal' } });
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^error \(invalid\/INVALID_SETTING\): invalid environment variable CLOUD_PROVIDER value `opendal`/,
    );
    const noPath = await cli(['-p', 'db', 'stats'], { env: { CLOUD_PROVIDER: 'local' } });
    assert.match(noPath.stderr, /undefined environment variable LOCAL_PATH/);
    const noStore = await cli(['-p', 'db', 'stats']);
    assert.equal(noStore.code, 2);
    assert.match(noStore.stderr, /no object store: give --store URL, or set CLOUD_PROVIDER/);
  });
});

test('bad usage exits 2 with one line; typed errors print kind/code with their exit code', async () => {
  await withTempDir(async (dir) => {
    const store = `file://${dir}`;
    for (const [args, text] of [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['list-checkpoint'], /unknown command 'list-checkpoint' \(Did you mean list-checkpoints\?\)/],
      [['list-checkpoints', '--store', store], /--path <path> is required/],
      [
        ['read-manifest', '--store', store, '-p', 'db', '--id', 'x'],
        /--id.*not.*integer|expected a non-negative integer/,
      ],
      [['refresh-checkpoint', '--store', store, '-p', 'db'], /required option '-i, --id <uuid>'/],
      [['delete-checkpoint', '--store', store, '-p', 'db', '-i', 'nope'], /not a UUID/],
      [['create-checkpoint', '--store', store, '-p', 'db', '-l', '5'], /time unit needed/],
      [
        ['run-garbage-collection', '--store', store, '-p', 'db', '-r', 'disk', '-m', '1h'],
        /Allowed choices are manifest, wal, compacted, compactions/,
      ],
      [
        ['run-garbage-collection', '--store', store, '-p', 'db', '-r', 'wal'],
        /required option '-m, --min-age <duration>'/,
      ],
      [['schedule-garbage-collection', '--store', store, '-p', 'db'], /at least one of --manifest/],
      [
        ['schedule-garbage-collection', '--store', store, '-p', 'db', '--wal', 'period=1m'],
        /missing or invalid 'min_age'/,
      ],
      [['read-compaction', '--store', store, '-p', 'db', '-i', 'x'], /not a ULID/],
      [['stats', '--store', store, '-p', 'db', '--bogus'], /unknown option '--bogus'/],
      [['seq-to-ts', '--store', store, '-p', 'db'], /missing required argument 'seq'/],
      [['quickstart', 'a', 'b'], /too many arguments/],
    ] as const) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')}: one line, got ${r.stderr}`);
      assert.match(lines[0]!, text);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.deepEqual(readdirSync(dir), [], 'nothing ran');
    for (const args of [
      ['list-checkpoints'],
      ['create-checkpoint'],
      ['stats'],
      ['inspect'],
      ['scan'],
      ['run-garbage-collection', '-r', 'wal', '-m', '1h'],
      ['run-compactor'],
    ]) {
      const missing = await cli([...args, '--store', store, '-p', 'db']);
      assert.deepEqual([missing.code, missing.stdout], [3, ''], args.join(' '));
      assert.match(missing.stderr, /^error \(data\/MANIFEST_MISSING\): [^\n]+\n$/);
    }
    assert.deepEqual(await cliJson(['list-manifests', '--store', store, '-p', 'db']), []);
    assert.equal((await cli(['seq-to-ts', '--store', store, '-p', 'db', '1'])).stdout, 'not found\n');
    const bare = await cli(['--path', 'db']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /^Usage: shaledb \[options\] \[command\]/);
    assert.doesNotMatch(bare.stderr, /outputHelp/);
    const help = await cli(['scan', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--max-keys <n>/);
  });
});

test('delete-db: a dry run lists, --confirm deletes; quickstart --json', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const base = ['--store', `file://${dir}`, '--path', 'db'];
    const objects = ['manifest', 'wal', 'compacted'].reduce(
      (a, d) => a + readdirSync(join(dir, 'db', d)).length,
      0,
    );
    const dry = await cliJson<{ dry_run: boolean; paths: string[] }>(['delete-db', ...base]);
    assert.equal(dry.dry_run, true);
    assert.equal(dry.paths.length, objects);
    assert.ok(dry.paths.every((p) => p.startsWith('db/')));
    const text = await cli(['delete-db', ...base]);
    assert.match(
      text.stdout,
      new RegExp(`^would delete ${objects} objects of db \\(dry run: give --confirm to delete\\)\\n`),
    );
    const done = await cli(['delete-db', ...base, '--confirm'], { isTTY: true });
    assert.equal(done.code, 0, done.stderr);
    // The report includes the `.deleting` marker written first and deleted last.
    assert.match(done.stdout, new RegExp(`^deleted ${objects + 1} objects of db\\n {2}db/\\.deleting\\n`));
    assert.deepEqual(
      readdirSync(join(dir, 'db'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()),
      [],
    );
    assert.match(done.stderr, /\rdeleting /);
    assert.equal((await cli(['read-manifest', ...base])).stdout, 'no manifest file found\n');

    const qs = await cliJson<{ dir: string; steps: string[] }>(['quickstart', 'qs'], { cwd: dir });
    assert.equal(qs.dir, join(dir, 'qs'));
    assert.ok(qs.steps.some((s) => /get greeting {3}= hello, object storage/.test(s)));
    const shape = await cliJson<{ l0: unknown[] }>([
      'inspect',
      '--store',
      `file://${join(dir, 'qs')}`,
      '-p',
      'quickstart',
    ]);
    assert.equal(shape.l0.length, 1);
  });
});
