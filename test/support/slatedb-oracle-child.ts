/**
 * Child-process entry for oracle jobs: runs one SlateDB 0.12.1 job (see slatedb-oracle-process.ts), reports
 * the result over IPC, then waits to be killed. Running SlateDB in a child keeps its native threads out of the
 * test process (a database dropped without shutdown keeps background threads alive until exit), and the
 * parent's SIGKILL ends it exactly like a crash.
 *
 * Invariants: exactly one 'result' or 'error' message per job; nothing is written outside the job's directory.
 * Concurrency: one job per child.
 */
import { toHex } from '../../src/util/bytes.js';
import { compactionDone } from './slatedb-db-check.js';
import { loadOracle, OracleDb, runOracleWorkload } from './slatedb-oracle.js';
import type { HexRow, OracleJob, OracleJobResult } from './slatedb-oracle-process.js';
import { makeWorkload, type VisibleRow } from './slatedb-workload.js';

function hexScan(rows: VisibleRow[]): HexRow[] {
  return rows.map((r) => ({
    key: toHex(r.key),
    value: toHex(r.value),
    seq: r.seq,
    createTs: r.createTs,
    expireTs: r.expireTs,
  }));
}

async function run(job: OracleJob): Promise<OracleJobResult> {
  const m = await loadOracle();
  if (m === undefined) throw new Error('@slatedb/uniffi is not installed');
  if (job.kind === 'workload') {
    const r = await runOracleWorkload(
      m,
      job.options,
      makeWorkload(job.spec),
      job.compact ? compactionDone : undefined,
    );
    const wal: Record<string, HexRow[]> = {};
    for (const [id, rows] of r.wal) {
      wal[id] = rows.map((x) => ({
        key: toHex(x.key),
        value: toHex(x.value),
        seq: x.seq,
        kind: x.kind,
        createTs: x.createTs,
        expireTs: x.expireTs,
      }));
    }
    return { handles: r.handles, scan: hexScan(r.scan), wal };
  }
  if (job.kind === 'open-scan') {
    const db = await OracleDb.open(m, job.options);
    for (let tries = 0; job.compact && !compactionDone(job.options.dir); tries++) {
      if (tries > 300) throw new Error('SlateDB did not compact within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const scan = await db.scan();
    await db.close('drop');
    return { scan: hexScan(scan) };
  }
  // Two writers one after the other (the second fences the first), then a reader that checkpoints.
  const w = makeWorkload({ seed: job.seed, memtables: [[20], [20]] });
  const first = await OracleDb.open(m, job.options);
  await first.write(w.memtables[0]![0]!);
  const second = await OracleDb.open(m, job.options);
  await second.write(w.memtables[1]![0]!);
  const store = m.ObjectStore.resolve(`file://${job.options.dir}`);
  const rb = new m.DbReaderBuilder(job.options.path ?? 'db', store);
  const reader = await rb.build();
  rb.dispose();
  const put = w.memtables[1]![0]!.find((op) => op.type === 'put')!;
  const got = await reader.get(put.key);
  await reader.shutdown();
  reader.dispose();
  store.dispose();
  await second.close('shutdown');
  await first.close('drop');
  return { readerSawWrite: got !== undefined };
}

process.on('message', (job: OracleJob) => {
  run(job).then(
    (result) => process.send!({ type: 'result', result }),
    (e: unknown) =>
      process.send!({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
