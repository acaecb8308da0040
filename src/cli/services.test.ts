/**
 * The long-running and destructive `shaledb` commands in-process on a ShaleDB database on the local filesystem:
 * `run-compactor` (in worker threads, stopped by the test's signal once a compaction finished) and the compactions file commands it
 * makes meaningful (`read-compactions`, `list-compactions`, `read-compaction`), `run-garbage-collection` per
 * resource (dry run first), `schedule-garbage-collection` until stopped, and the progress line on a terminal.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, cliJson } from '../../test/support/cli-run.js';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { compactionWorkersStarted } from '../compactor/worker-pool.js';
import { Db } from '../open/open.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

/** Four L0 SSTs of 30 keys each, every flush overwriting half the keys of the previous one. */
async function makeDb(dir: string): Promise<void> {
  const db = await Db.open('db', `file://${dir}`, { settings });
  for (let l = 0; l < 4; l++) {
    for (let i = 0; i < 30; i++)
      await db.put(`k${String(l * 15 + i).padStart(3, '0')}`, `v${l}`, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
  await db.close();
}

interface CompactionJson {
  id: string;
  spec: { sources: Array<{ SstView?: string; SortedRun?: number }>; destination: number };
  status: string;
}

test('run-compactor compacts until stopped; the compactions commands read what it wrote', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const base = ['--store', `file://${dir}`, '--path', 'db'];
    const before = await cliJson<{ l0: unknown[] }>(['inspect', ...base]);
    assert.equal(before.l0.length, 4);
    assert.equal((await cli(['read-compactions', ...base])).stdout, 'no compactions file found\n');

    const bad = await cli(['run-compactor', ...base, '--workers', 'two']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--workers: expected a whole number/);
    const workersBefore = compactionWorkersStarted();
    const run = await cli(
      [
        'run-compactor',
        ...base,
        '--poll-interval',
        '20ms',
        '--workers',
        '2',
        '--worker-nice',
        '5',
        '--subcompactions',
        '2',
        '--json',
      ],
      { stopWhen: (out) => out.includes('"compaction_done"') },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.ok(compactionWorkersStarted() > workersBefore, 'the compaction ran in worker threads');
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; id?: string; compactions_completed?: number });
    assert.deepEqual([events[0]!.event, events[events.length - 1]!.event], ['started', 'stopped']);
    const done = events.find((e) => e.event === 'compaction_done')!;
    assert.ok(events[events.length - 1]!.compactions_completed! >= 1);

    const after = await cliJson<{
      l0: unknown[];
      sorted_runs: Array<{ ssts: unknown[]; first_key: string; last_key: string }>;
    }>(['inspect', ...base]);
    assert.equal(after.l0.length, 0);
    assert.equal(after.sorted_runs.length, 1);
    assert.deepEqual([after.sorted_runs[0]!.first_key, after.sorted_runs[0]!.last_key], ['k000', 'k074']);
    const text = await cli(['inspect', ...base]);
    assert.match(text.stdout, /sorted runs: 1\n {2}SR \d+: \d+ SSTs, .*, keys k000 \.\. k074/);

    const files = await cliJson<Array<{ id: number; location: string }>>(['list-compactions', ...base]);
    assert.ok(files.length >= 1);
    assert.deepEqual(
      files.map((f) => f.location),
      readdirSync(join(dir, 'db', 'compactions')).sort(),
    );
    const [fileId, compactions] = await cliJson<
      [number, { compactor_epoch: number; core: { recent_compactions: Record<string, CompactionJson> } }]
    >(['read-compactions', ...base]);
    assert.equal(fileId, files[files.length - 1]!.id);
    assert.equal(compactions.compactor_epoch, 1);
    const job = compactions.core.recent_compactions[done.id!]!;
    assert.equal(job.status, 'Completed');
    assert.equal(job.spec.sources.filter((s) => s.SstView !== undefined).length, 4);
    assert.deepEqual(await cliJson(['read-compaction', ...base, '-i', done.id!]), job);
    const jobText = await cli([
      'read-compaction',
      ...base,
      '--id',
      done.id!,
      '--compactions-id',
      String(fileId),
    ]);
    assert.match(jobText.stdout, new RegExp(`^compaction ${done.id}: completed\\n {2}sources: L0 `));
    const listed = await cli(['read-compactions', ...base]);
    assert.match(listed.stdout, new RegExp(`compactor epoch 1\\n[^]*${done.id}\\s+completed`));
    const unknown = await cli(['read-compaction', ...base, '-i', '01ARZ3NDEKTSV4RRFFQ69G5FAV']);
    assert.deepEqual([unknown.code, unknown.stdout], [0, 'no compaction found\n']);

    // The data reads the same through the sorted run.
    const rows = await cliJson<Array<{ key: string; value: string }>>(['scan', ...base, '--prefix', 'k01']);
    assert.deepEqual(
      rows.map((r) => `${r.key}=${r.value}`),
      Array.from({ length: 10 }, (_, i) => `k01${i}=v${i < 5 ? 0 : 1}`),
    );
  });
});

test('submit-compaction: a submitted spec is executed by run-compactor', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const base = ['--store', `file://${dir}`, '--path', 'db'];
    const noRuns = await cli(['submit-compaction', ...base, '--request', '"Full"']);
    assert.equal(noRuns.code, 2);
    assert.match(
      noRuns.stderr,
      /^error \(invalid\/INVALID_COMPACTION\): a full compaction needs at least one sorted run/,
    );
    const spec = '{"Spec":{"sources":[{"SortedRun":0}],"destination":0}}';
    const noFile = await cli(['submit-compaction', ...base, '--request', spec]);
    assert.equal(noFile.code, 3);
    assert.match(noFile.stderr, /^error \(data\/INVALID_DB_STATE\): .*no compactions file/);
    await cli(['run-compactor', ...base, '--poll-interval', '20ms'], {
      stopWhen: (o) => o.includes(' done: '),
    });

    // Two new L0s (fewer than the scheduler compacts on its own) plus the sorted run, by hand.
    const db = await Db.open('db', `file://${dir}`, { settings });
    for (const v of ['x', 'y']) {
      await db.put('k000', v);
      await db.flush({ type: 'memtable' });
    }
    await db.close();
    const shape = await cliJson<{ l0: Array<{ id: string }>; sorted_runs: Array<{ id: number }> }>([
      'inspect',
      ...base,
    ]);
    assert.equal(shape.l0.length, 2);
    const request = {
      Spec: {
        sources: [...shape.l0.map((s) => ({ SstView: s.id })), { SortedRun: shape.sorted_runs[0]!.id }],
        destination: shape.sorted_runs[0]!.id,
      },
    };
    const submitted = await cliJson<CompactionJson[]>([
      'submit-compaction',
      ...base,
      '--request',
      JSON.stringify(request),
    ]);
    assert.equal(submitted.length, 1);
    assert.equal(submitted[0]!.status, 'Submitted');
    assert.deepEqual(submitted[0]!.spec, request.Spec);
    const [, file] = await cliJson<
      [number, { core: { recent_compactions: Record<string, CompactionJson> } }]
    >(['read-compactions', ...base]);
    assert.equal(file.core.recent_compactions[submitted[0]!.id]!.status, 'Submitted');

    const run = await cli(['run-compactor', ...base, '--poll-interval', '20ms'], {
      stopWhen: (o) => o.includes(`compaction ${submitted[0]!.id} done`),
    });
    assert.equal(run.code, 0, run.stderr);
    const after = await cliJson<{ l0: unknown[]; sorted_runs: unknown[] }>(['inspect', ...base]);
    assert.deepEqual([after.l0.length, after.sorted_runs.length], [0, 1]);
    assert.equal((await cli(['scan', ...base, '--prefix', 'k000'])).stdout, 'k000\ty\n');

    const text = await cli(['submit-compaction', ...base, '--request', '"Full"']);
    assert.match(text.stdout, /^submitted compaction \S+: SR \d+ -> SR \d+\n$/);
    for (const [args, code, message] of [
      [
        ['--request', '{"Spec":{"sources":[{"Sst":"x"}],"destination":0}}'],
        2,
        /a source is \{"SortedRun":N\} or \{"SstView":"ULID"\}/,
      ],
      [['--request', 'nope'], 2, /invalid compaction request JSON/],
      [['--request', '"Full"', '--scheduler', 'leveled'], 2, /unsupported scheduler: leveled/],
    ] as const) {
      const r = await cli(['submit-compaction', ...base, ...args]);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});

test('run-compactor: a second compactor fences the first, which exits 5 with closed/FENCED', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const base = ['--store', `file://${dir}`, '--path', 'db', '--poll-interval', '20ms'];
    const first = cli(['run-compactor', ...base]);
    const epoch = async () =>
      (await cliJson<{ compactor_epoch: number }>(['stats', '--store', `file://${dir}`, '-p', 'db']))
        .compactor_epoch;
    for (let i = 0; (await epoch()) < 1; i++) {
      assert.ok(i < 200, 'the first compactor did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = await cli(['run-compactor', ...base], { stopOn: first });
    const fenced = await first;
    assert.equal(fenced.code, 5, fenced.stderr);
    assert.match(fenced.stderr, /^error \(closed\/FENCED\): /);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /compactor stopped cleanly/);
    assert.equal(await epoch(), 2);
  });
});

test('run-garbage-collection per resource, dry run first; schedule-garbage-collection until stopped', async () => {
  await withTempDir(async (dir) => {
    await makeDb(dir);
    const base = ['--store', `file://${dir}`, '--path', 'db'];
    await cli(['run-compactor', ...base, '--poll-interval', '20ms'], {
      stopWhen: (o) => o.includes(' done: '),
    });
    const manifests = readdirSync(join(dir, 'db', 'manifest')).length;
    const ssts = readdirSync(join(dir, 'db', 'compacted')).length;
    assert.ok(manifests > 2 && ssts > 1);

    // The compactor pins the manifest it compacted from with a checkpoint; drop it so its L0s become garbage.
    for (const c of await cliJson<Array<{ id: string }>>(['list-checkpoints', ...base])) {
      assert.equal((await cli(['delete-checkpoint', ...base, '-i', c.id])).code, 0);
    }
    // Young objects are kept.
    const young = await cliJson<{ resources: Array<{ resource: string; deleted: string[] }> }>([
      'run-garbage-collection',
      ...base,
      '-r',
      'manifest',
      '-m',
      '1h',
    ]);
    assert.deepEqual(
      young.resources.map((r) => [r.resource, r.deleted.length]),
      [['manifest', 0]],
    );

    const dry = await cliJson<{
      dry_run: boolean;
      resources: Array<{ resource: string; deleted: string[] }>;
    }>(['run-garbage-collection', ...base, '--resource', 'compacted', '--min-age', '0s', '--dry-run']);
    assert.equal(dry.dry_run, true);
    const wouldDelete = dry.resources[0]!.deleted;
    // 0.12.1's cutoff is the newest L0's ULID time, so the three older compacted L0 SSTs go.
    assert.equal(wouldDelete.length, 3);
    assert.equal(readdirSync(join(dir, 'db', 'compacted')).length, ssts, 'a dry run deletes nothing');
    const real = await cli(['run-garbage-collection', ...base, '-r', 'compacted', '-m', '0s']);
    assert.equal(real.code, 0, real.stderr);
    assert.match(
      real.stdout,
      /^gc pass\n {2}checkpoints {2}removed 0 expired\n {2}compacted {4}deleted 3 of \d+\n/,
    );
    assert.deepEqual(
      readdirSync(join(dir, 'db', 'compacted')).sort(),
      readdirSync(join(dir, 'db', 'compacted'))
        .filter((n) => !wouldDelete.some((p) => p.endsWith(n)))
        .sort(),
    );
    assert.equal(readdirSync(join(dir, 'db', 'compacted')).length, ssts - 3);

    const tty = await cli(['run-garbage-collection', ...base, '-r', 'wal', '-m', '0s'], { isTTY: true });
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stderr, /\rgc \[#+\] 1\/1 resources 100%/);

    const manifestsBefore = readdirSync(join(dir, 'db', 'manifest')).length;
    const stopped = await cli(
      ['schedule-garbage-collection', ...base, '--manifest', 'min_age=0s,period=1h', '--json'],
      { stopWhen: (o) => o.includes('"resource":"manifest"') },
    );
    assert.equal(stopped.code, 0, stopped.stderr);
    const lines = stopped.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].resource, 'manifest');
    assert.ok(lines[0].deleted.length > 0);
    // snake_case like every other command's JSON.
    assert.deepEqual([lines[0].dry_run, lines[0].failed, lines[0].expired_checkpoints], [false, 0, 0]);
    assert.deepEqual(lines[lines.length - 1].stopped, 'SIGTERM');
    assert.equal(lines[lines.length - 1].failed_tasks, 0);
    assert.equal(lines[lines.length - 1].deleted.manifest, lines[0].deleted.length);
    assert.equal(readdirSync(join(dir, 'db', 'manifest')).length, manifestsBefore - lines[0].deleted.length);
    // The database still reads every key.
    assert.equal((await cliJson<{ count: number }>(['scan', ...base, '--count'])).count, 75);
  });
});
