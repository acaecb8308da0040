/**
 * The `shaledb` commands on databases the real SlateDB 0.12.1 (@slatedb/uniffi) wrote on the local filesystem,
 * in-process with captured output:
 * - with SlateDB's own compactor: read-manifest / list-manifests / inspect / stats / read-compactions /
 *   list-compactions / read-compaction read its manifests and compactions file (JSON fields checked against what
 *   SlateDB wrote and against the files on disk), scan prints exactly SlateDB's own scan, seq-to-ts / ts-to-seq
 *   use its sequence tracker;
 * - checkpoints made by the CLI are read by SlateDB's reader pinned to them (the same rows as `scan --checkpoint`),
 *   refreshed, listed by name and deleted;
 * - run-compactor compacts SlateDB's L0s and SlateDB reopens the result and reads every row; run-garbage-collection
 *   then deletes only what SlateDB no longer needs (SlateDB reads everything afterwards);
 * - create-clone clones SlateDB's database and SlateDB opens the clone;
 * - submit-compaction writes a Full compaction into SlateDB's compactions file and SlateDB's compactor runs it;
 * - schedule-garbage-collection runs until stopped, gc makes one pass, delete-db lists SlateDB's files and deletes
 *   them.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, cliJson } from '../support/cli-run.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { compactionDone } from '../support/slatedb-db-check.js';
import { OracleDb, requireOracle } from '../support/slatedb-oracle.js';
import { OracleReader } from '../support/slatedb-reader.js';
import type { VisibleRow, WorkloadOp } from '../support/slatedb-workload.js';

const put = (k: string, v: string): WorkloadOp => ({
  type: 'put',
  key: Buffer.from(k),
  value: Buffer.from(v),
});
const text = (b: Uint8Array) => Buffer.from(b).toString();
const rowsText = (rows: readonly VisibleRow[]) => rows.map((r) => `${text(r.key)}=${text(r.value)}@${r.seq}`);

interface ScanRow {
  key: string;
  value: string;
  seq: number;
}
const scanText = (rows: readonly ScanRow[]) => rows.map((r) => `${r.key}=${r.value}@${r.seq}`);

/** Writes `memtables` batches of 10 keys each through SlateDB, flushing all but the last to L0. */
async function writeL0s(db: OracleDb, from: number, memtables: number): Promise<void> {
  for (let l = 0; l < memtables; l++) {
    const ops: WorkloadOp[] = [];
    for (let i = 0; i < 10; i++)
      ops.push(put(`key${String(from + l * 7 + i).padStart(3, '0')}`, `v${from + l}`));
    await db.write(ops);
    if (l < memtables - 1) await db.flushMemtable();
  }
}

test('read commands on a database SlateDB wrote and compacted: manifests, compactions, shape, scan, seq/ts', async () => {
  const m = await requireOracle();
  await withTempDir(async (dir) => {
    const db = await OracleDb.open(m, { dir, compactor: { pollInterval: '50ms' } });
    await writeL0s(db, 0, 5);
    for (let tries = 0; !compactionDone(dir); tries++) {
      assert.ok(tries < 300, 'SlateDB did not compact within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    await db.write([put('tail', 'in the WAL')]);
    const slateRows = await db.scan();
    await db.close('shutdown');
    const base = ['--store', `file://${dir}`, '--path', 'db'];

    const files = await cliJson<Array<{ id: number; location: string; size: number }>>([
      'list-manifests',
      ...base,
    ]);
    assert.deepEqual(
      files.map((f) => f.location),
      readdirSync(join(dir, 'db', 'manifest')).sort(),
    );
    const [id, manifest] = await cliJson<
      [
        number,
        {
          writer_epoch: number;
          compactor_epoch: number;
          core: { l0: unknown[]; compacted: Array<{ id: number }> };
        },
      ]
    >(['read-manifest', ...base]);
    assert.equal(id, files[files.length - 1]!.id);
    assert.equal(manifest.writer_epoch, 1);
    assert.ok(manifest.compactor_epoch >= 1);
    assert.ok(manifest.core.compacted.length >= 1);

    const shape = await cliJson<{
      manifest_id: number;
      l0: unknown[];
      sorted_runs: Array<{
        id: number;
        size: number;
        first_key: string;
        last_key: string;
        ssts: Array<{ size: number }>;
      }>;
    }>(['inspect', ...base]);
    assert.equal(shape.manifest_id, id);
    assert.deepEqual(
      shape.sorted_runs.map((sr) => sr.id),
      manifest.core.compacted.map((sr) => sr.id),
    );
    const sr = shape.sorted_runs[0]!;
    assert.ok(sr.ssts.every((s) => s.size > 0));
    assert.equal(sr.first_key, 'key000');
    const inspectText = await cli(['inspect', ...base]);
    assert.match(
      inspectText.stdout,
      new RegExp(`sorted runs: ${shape.sorted_runs.length}\\n {2}SR ${sr.id}: `),
    );
    const stats = await cliJson<{ sorted_runs: number; directories: Record<string, { objects: number }> }>([
      'stats',
      ...base,
    ]);
    assert.equal(stats.sorted_runs, shape.sorted_runs.length);
    assert.equal(stats.directories['wal']!.objects, readdirSync(join(dir, 'db', 'wal')).length);

    const compactionFiles = await cliJson<Array<{ id: number; location: string }>>([
      'list-compactions',
      ...base,
    ]);
    assert.deepEqual(
      compactionFiles.map((f) => f.location),
      readdirSync(join(dir, 'db', 'compactions')).sort(),
    );
    const [cid, compactions] = await cliJson<
      [
        number,
        {
          compactor_epoch: number;
          core: { recent_compactions: Record<string, { id: string; status: string }> };
        },
      ]
    >(['read-compactions', ...base]);
    assert.equal(cid, compactionFiles[compactionFiles.length - 1]!.id);
    assert.equal(compactions.compactor_epoch, manifest.compactor_epoch);
    const jobs = Object.values(compactions.core.recent_compactions);
    assert.ok(jobs.length >= 1 && jobs.every((j) => j.status === 'Completed'));
    assert.deepEqual(await cliJson(['read-compaction', ...base, '-i', jobs[0]!.id]), jobs[0]);
    assert.match(
      (await cli(['read-compactions', ...base])).stdout,
      new RegExp(`${jobs[0]!.id}\\s+completed`),
    );

    // scan prints exactly what SlateDB's own scan returns (the WAL tail included).
    const rows = await cliJson<ScanRow[]>(['scan', ...base]);
    assert.deepEqual(scanText(rows), rowsText(slateRows));
    assert.equal((await cliJson<{ count: number }>(['scan', ...base, '--count'])).count, slateRows.length);
    const ranged = await cli(['scan', ...base, '--from', 'key010', '--to', 'key013']);
    assert.equal(
      ranged.stdout,
      slateRows
        .filter((r) => text(r.key) >= 'key010' && text(r.key) < 'key013')
        .map((r) => `${text(r.key)}\t${text(r.value)}\n`)
        .join(''),
    );

    // SlateDB's tracker: a sample at the first L0 flush maps time <-> seq both ways.
    const ts = await cli(['seq-to-ts', ...base, String(slateRows[slateRows.length - 1]!.seq)]);
    assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\n$/);
    const tsS = Date.parse(ts.stdout.trim()) / 1000;
    assert.ok(Math.abs(tsS - Date.now() / 1000) < 300);
    const seq = await cliJson<{ seq: number }>(['ts-to-seq', ...base, String(tsS)]);
    assert.ok(seq.seq > 0);
    assert.equal(
      (await cliJson<{ ts: string }>(['seq-to-ts', ...base, String(seq.seq)])).ts,
      ts.stdout.trim().replace('+00:00', 'Z'),
    );

    // create-clone of SlateDB's database: SlateDB opens the clone and reads what the parent held.
    const clone = await cli([
      'create-clone',
      '--store',
      `file://${dir}`,
      '-p',
      'clone',
      '--parent-path',
      'db',
    ]);
    assert.match(clone.stdout, /^created clone clone of db \(manifest \d+\)\n$/);
    const slateClone = await OracleDb.open(m, { dir, path: 'clone' });
    assert.deepEqual(rowsText(await slateClone.scan()), rowsText(slateRows));
    await slateClone.close('shutdown');

    // submit-compaction into SlateDB's compactions file; SlateDB's compactor executes it.
    const [submitted] = await cliJson<Array<{ id: string; status: string; spec: { sources: unknown[] } }>>([
      'submit-compaction',
      ...base,
      '--request',
      '"Full"',
    ]);
    assert.equal(submitted!.status, 'Submitted');
    assert.deepEqual(
      submitted!.spec.sources,
      manifest.core.compacted.map((r) => ({ SortedRun: r.id })),
    );
    const again = await OracleDb.open(m, { dir, compactor: { pollInterval: '50ms' } });
    const status = async () =>
      (
        await cliJson<[number, { core: { recent_compactions: Record<string, { status: string }> } }]>([
          'read-compactions',
          ...base,
        ])
      )[1].core.recent_compactions[submitted!.id]?.status;
    for (let tries = 0; (await status()) !== 'Completed'; tries++) {
      assert.ok(tries < 300, `SlateDB did not run the submitted compaction: ${await status()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const afterFull = await again.scan();
    await again.close('shutdown');
    assert.deepEqual(rowsText(afterFull), rowsText(slateRows));
    assert.deepEqual(scanText(await cliJson<ScanRow[]>(['scan', ...base])), rowsText(slateRows));
  });
});

test("checkpoints made by the CLI are read by SlateDB's reader; run-compactor and GC on SlateDB's database", async () => {
  const m = await requireOracle();
  await withTempDir(async (dir) => {
    const db = await OracleDb.open(m, { dir });
    await writeL0s(db, 0, 4);
    await db.flushMemtable();
    await db.close('shutdown');
    const base = ['--store', `file://${dir}`, '--path', 'db'];

    const cp = await cliJson<{ id: string; manifest_id: number }>([
      'create-checkpoint',
      ...base,
      '-n',
      'before',
    ]);
    const listed = await cliJson<Array<{ id: string; name: string | null; expire_time: string | null }>>([
      'list-checkpoints',
      ...base,
      '--name',
      'before',
    ]);
    assert.deepEqual(
      listed.map((c) => [c.id, c.name, c.expire_time]),
      [[cp.id, 'before', null]],
    );
    const refreshed = await cliJson<{ expire_time: string }>([
      'refresh-checkpoint',
      ...base,
      '-i',
      cp.id,
      '-l',
      '1day',
    ]);
    assert.ok(Date.parse(refreshed.expire_time) > Date.now() + 86_000_000);

    // SlateDB writes on; both engines read the checkpoint's state.
    const writer = await OracleDb.open(m, { dir });
    await writer.write([put('key000', 'changed'), put('later', 'x')]);
    await writer.flushMemtable();
    await writer.close('shutdown');
    const slatePinned = await OracleReader.open(m, dir, { checkpointId: cp.id });
    const pinnedRows = await slatePinned.scan();
    await slatePinned.close();
    assert.equal(pinnedRows.length, 31);
    const ours = await cliJson<ScanRow[]>(['scan', ...base, '--checkpoint', cp.id]);
    assert.deepEqual(scanText(ours), rowsText(pinnedRows));

    // Our compactor on SlateDB's L0s; SlateDB reads the result.
    const before = await cliJson<{ l0: unknown[] }>(['inspect', ...base]);
    assert.equal(before.l0.length, 5);
    const run = await cli(['run-compactor', ...base, '--poll-interval', '20ms'], {
      stopWhen: (o) => o.includes(' done: '),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /compactor stopped cleanly \([1-9]\d* compactions completed\)\n$/);
    const after = await cliJson<{ l0: unknown[]; sorted_runs: unknown[] }>(['inspect', ...base]);
    assert.deepEqual([after.l0.length, after.sorted_runs.length], [0, 1]);
    const reopened = await OracleDb.open(m, { dir });
    const slateAll = await reopened.scan();
    await reopened.close('shutdown');
    assert.deepEqual(scanText(await cliJson<ScanRow[]>(['scan', ...base])), rowsText(slateAll));
    assert.ok(slateAll.some((r) => text(r.key) === 'key000' && text(r.value) === 'changed'));

    // GC: drop every checkpoint, then collect; SlateDB still reads everything.
    for (const c of await cliJson<Array<{ id: string }>>(['list-checkpoints', ...base])) {
      assert.match((await cli(['delete-checkpoint', ...base, '--id', c.id])).stdout, /^deleted checkpoint /);
    }
    assert.deepEqual(await cliJson(['list-checkpoints', ...base]), []);
    let deleted = 0;
    for (const r of ['manifest', 'wal', 'compacted', 'compactions']) {
      const pass = await cliJson<{ resources: Array<{ deleted: string[]; error?: unknown }> }>([
        'run-garbage-collection',
        ...base,
        '-r',
        r,
        '-m',
        '0s',
      ]);
      assert.equal(pass.resources[0]!.error, undefined);
      deleted += pass.resources[0]!.deleted.length;
    }
    assert.ok(deleted > 0);
    const survivor = await OracleDb.open(m, { dir });
    assert.deepEqual(rowsText(await survivor.scan()), rowsText(slateAll));
    await survivor.close('shutdown');

    const scheduled = await cli(['schedule-garbage-collection', ...base, '--wal', 'min_age=0s,period=1h'], {
      stopWhen: (o) => /\n {2}wal /.test(o),
    });
    assert.equal(scheduled.code, 0, scheduled.stderr);
    assert.match(scheduled.stdout, /gc stopped \(SIGTERM\) after 1 tasks/);
    const pass = await cli(['gc', ...base, '--once', '--min-age', '0s']);
    assert.equal(pass.code, 0, pass.stderr);
    assert.match(pass.stdout, /^gc pass\n/);

    // delete-db lists exactly SlateDB's files, then removes them.
    const files = readdirSync(join(dir, 'db'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => `db/${join(e.parentPath ?? e.path, e.name).slice(join(dir, 'db').length + 1)}`)
      .sort();
    const dry = await cliJson<{ paths: string[] }>(['delete-db', ...base]);
    assert.deepEqual(dry.paths, files);
    assert.equal((await cli(['delete-db', ...base, '--confirm'])).code, 0);
    assert.equal((await cli(['stats', ...base])).code, 3);
  });
});
