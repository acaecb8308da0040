/**
 * A writer process and a ShaleDB reader process side by side under load, on one `file://` directory: the writer
 * (ShaleDB in the test process, or SlateDB 0.12.1 in its own child) writes keys k0, k1, ... in seq order, several
 * writes in flight, flushing to L0 now and then (so the reader both replays WAL SSTs and replaces its checkpoint);
 * the reader (a child process) scans continuously.
 * Checks: every view is a prefix of the writes (exactly k0..k(n-1) with their values) and never shrinks; every
 * write acknowledged more than the poll interval plus a scheduling allowance before a view was taken is in it
 * (the measured worst lag is printed); the reader ends with every write; its checkpoint is gone after it closes and
 * the writer was never fenced.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listCheckpoints } from '../../src/db/checkpoint.js';
import { Db } from '../../src/db/db.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { RemoteOracle } from '../support/slatedb-remote.js';

const CHILD = fileURLToPath(new URL('../support/reader-follow-child.ts', import.meta.url));
const POLL_MS = 200;
/** Scheduling allowance on a shared 2-core machine (scan time, IPC, event-loop delays), on top of the poll interval. */
const ALLOWANCE_MS = 1500;
const RUN_MS = 7000;
const IN_FLIGHT = 6;

interface View {
  readonly t: number;
  readonly n: number;
  readonly ok: boolean;
  readonly manifestId: number;
}

/** Starts the reader child; resolves once it has opened. */
function startReader(dir: string): Promise<{ child: ChildProcess; views: View[]; closed: Promise<void> }> {
  const child = fork(CHILD, [dir, String(POLL_MS), '2000'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const views: View[] = [];
  let opened: () => void;
  let failed: (e: Error) => void;
  const open = new Promise<void>((res, rej) => {
    opened = res;
    failed = rej;
  });
  const closed = new Promise<void>((res, rej) => {
    child.on('message', (m: { type: string } & Partial<View> & { error?: string }) => {
      if (m.type === 'open') opened();
      else if (m.type === 'view') views.push(m as View);
      else if (m.type === 'closed') res();
      else if (m.type === 'error') {
        const e = new Error(`reader child: ${m.error}`);
        failed(e);
        rej(e);
      }
    });
    child.on('exit', (code) => {
      const e = new Error(`reader child exited with ${code}`);
      failed(e);
      rej(e);
    });
  });
  closed.catch(() => {});
  return open.then(() => ({ child, views, closed }));
}

const key = (i: number) => Buffer.from(`k${String(i).padStart(6, '0')}`);
const value = (i: number) => Buffer.from(`v${i}`);

/** Writes k0.. for RUN_MS with `write(i)` (up to IN_FLIGHT at once, issued in order); returns the ack times. */
async function load(write: (i: number) => Promise<unknown>, flushEvery: number, flush: () => Promise<void>) {
  const acked: number[] = [];
  const end = Date.now() + RUN_MS;
  let next = 0;
  const inFlight = new Set<Promise<void>>();
  while (Date.now() < end) {
    const i = next++;
    const p = write(i).then(() => {
      acked[i] = Date.now();
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    if (i > 0 && i % flushEvery === 0) {
      await Promise.all(inFlight);
      await flush();
    }
  }
  await Promise.all(inFlight);
  return acked;
}

/** Checks the views against the ack times; returns the worst lag seen (ms). */
function check(views: readonly View[], acked: readonly number[]): number {
  assert.ok(views.length > 10, `only ${views.length} views`);
  let worst = 0;
  let prevN = 0;
  for (const v of views) {
    assert.ok(v.ok, `view at ${v.t} is not a prefix of the writes`);
    assert.ok(v.n >= prevN, `view shrank from ${prevN} to ${v.n}`);
    assert.ok(v.n <= acked.length, `view has ${v.n} keys, only ${acked.length} were written`);
    prevN = v.n;
    // The oldest write missing from the view: how long ago was it acknowledged?
    const missing = acked[v.n];
    if (missing !== undefined && missing < v.t) worst = Math.max(worst, v.t - missing);
  }
  assert.ok(worst <= POLL_MS + ALLOWANCE_MS, `lag ${worst} ms > poll ${POLL_MS} ms + ${ALLOWANCE_MS} ms`);
  return worst;
}

async function finish(r: Awaited<ReturnType<typeof startReader>>, total: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((r.views.at(-1)?.n ?? 0) < total && Date.now() < deadline)
    await new Promise((s) => setTimeout(s, 50));
  assert.equal(r.views.at(-1)?.n, total, 'the reader ends with every write');
  r.child.send('stop');
  await r.closed;
}

test('ShaleDB writer process + ShaleDB reader process: prefix views, bounded lag', async () => {
  await withTempDir(async (dir) => {
    const url = `file://${dir}`;
    const db = await Db.open('db', url, {
      // No compactor runs: room for every L0 the test flushes (the default of 8 would stall the writer).
      settings: {
        flushInterval: '10ms',
        l0MaxSsts: 64,
        compactorOptions: null,
        garbageCollectorOptions: null,
      },
    });
    await db.put(key(0), value(0));
    const r = await startReader(dir);
    const acked = await load(
      (i) => (i === 0 ? Promise.resolve() : db.put(key(i), value(i))),
      150,
      () => db.flush({ type: 'memtable' }),
    );
    await finish(r, acked.length);
    const lag = check(r.views, acked);
    const manifests = new Set(r.views.map((v) => v.manifestId)).size;
    console.log(
      `ShaleDB writer: ${acked.length} writes, ${r.views.length} views, ${manifests} manifests, worst lag ${lag} ms`,
    );
    assert.ok(manifests > 1, 'the reader moved to newer manifests');
    assert.deepEqual(await listCheckpoints('db', url), []);
    assert.equal(db.status().closeReason, undefined);
    await db.close();
  });
});

test('SlateDB writer process + ShaleDB reader process: prefix views, bounded lag', async () => {
  await withTempDir(async (dir) => {
    const url = `file://${dir}`;
    const slate = await RemoteOracle.open({ dir, flushInterval: '10ms', settings: { l0_max_ssts: 64 } });
    try {
      await slate.write([{ type: 'put', key: key(0), value: value(0) }]);
      const r = await startReader(dir);
      const acked = await load(
        (i) => (i === 0 ? Promise.resolve() : slate.write([{ type: 'put', key: key(i), value: value(i) }])),
        100,
        () => slate.flushMemtable(),
      );
      await finish(r, acked.length);
      const lag = check(r.views, acked);
      const manifests = new Set(r.views.map((v) => v.manifestId)).size;
      console.log(
        `SlateDB writer: ${acked.length} writes, ${r.views.length} views, ${manifests} manifests, worst lag ${lag} ms`,
      );
      assert.ok(manifests > 1, 'the reader moved to newer manifests');
      assert.deepEqual(await listCheckpoints('db', url), []);
      await slate.write([{ type: 'put', key: Buffer.from('zz'), value: Buffer.from('still writing') }]);
    } finally {
      await slate.close('shutdown');
    }
  });
});
