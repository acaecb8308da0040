/**
 * Smoke test of the side-by-side benchmark harness (bench/): runs `bench/main.ts --smoke` (a few hundred operations
 * per workload on ShaleDB, LevelDB and LMDB, 100-byte values) into a temp directory and checks that the markdown,
 * JSON and SVG outputs are produced and well-formed, that every workload produced a result per engine (ShaleDB
 * included, and its S3-model workload; the paced workload reports event-loop delay), and that every get and scan
 * was checked correct; every engine the smoke mode selects must run (an engine that cannot load fails the test).
 * Checks the measured windows: with a WAL flush interval of an hour (so no timer flush can land in a window),
 * ShaleDB's non-durable put, batch, mixed and paced-ingest windows still hold the WAL PUTs their writes created
 * (the engine's drain ends every window), and the driver times the drain inside the window and the rate.
 * Also checks the harness's own measuring pieces: histogram percentiles against exact ones (property test,
 * seeded), the closed-loop driver's counting, argument parsing, and SVG escaping. Never asserts speeds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { shaleDbDefinition } from '../bench/engines/shaledb.js';
import { parseArgs } from '../bench/lib/args.js';
import { BenchData } from '../bench/lib/data.js';
import { runLoop } from '../bench/lib/driver.js';
import { LatencyHistogram } from '../bench/lib/histogram.js';
import { Progress } from '../bench/lib/progress.js';
import { xmlEscape } from '../bench/lib/report-svg.js';
import type { BenchReport, CellResult, WorkloadId } from '../bench/lib/result.js';
import { scaleFor } from '../bench/lib/scale.js';
import { medianRounds } from '../bench/lib/suite.js';
import { TempDirs } from '../bench/lib/temp-dirs.js';
import { loopDelayWorkload } from '../bench/workloads/loop-delay.js';
import { putBatchWorkload } from '../bench/workloads/put-batch.js';
import { putSingleWorkload } from '../bench/workloads/put-single.js';
import { readsWorkload } from '../bench/workloads/reads.js';
import type { Workload } from '../bench/workloads/workload.js';
import { testSeed } from '../src/util/random.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Checks that `svg` is well-formed XML: one root, balanced tags, escaped text and attributes. */
function assertWellFormedSvg(svg: string): void {
  assert.match(
    svg,
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
  );
  const body = svg.replace(/^<\?xml[^>]*\?>/, '');
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (const m of body.matchAll(tag)) {
    const text = body.slice(last, m.index);
    assert.doesNotMatch(text, /[<>]|&(?!(amp|lt|gt|quot|apos);)/, `unescaped text before ${m[0]}`);
    last = m.index + m[0].length;
    const [, close, name, attrs, selfClose] = m;
    assert.doesNotMatch(attrs ?? '', /&(?!(amp|lt|gt|quot|apos);)/, `unescaped attribute in ${m[0]}`);
    if (close === '/') assert.equal(stack.pop(), name, `mismatched </${name}>`);
    else if (selfClose !== '/') {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  assert.equal(body.slice(last).trim(), '', 'trailing content after the root element');
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
}

/** Checks that every markdown table has rows as wide as its header. */
function assertTablesWellFormed(md: string): number {
  let tables = 0;
  let width = -1;
  for (const line of md.split('\n')) {
    if (!line.startsWith('|')) {
      width = -1;
      continue;
    }
    const cells = line.split('|').length;
    if (width === -1) {
      width = cells;
      tables++;
    } else assert.equal(cells, width, `table row with ${cells - 2} cells, header has ${width - 2}: ${line}`);
  }
  return tables;
}

function assertCellSane(c: CellResult): void {
  const where = `${c.engine} ${c.workload} ${c.phase}`;
  assert.equal(c.error, undefined, `${where} failed: ${c.error}`);
  assert.ok(c.ops > 0, `${where}: no operations`);
  assert.ok(Number.isFinite(c.opsPerSec) && c.opsPerSec > 0, `${where}: bad rate ${c.opsPerSec}`);
  assert.ok(c.elapsedMs > 0, `${where}: no elapsed time`);
  const l = c.latency;
  if (l !== undefined) {
    assert.ok(l.n > 0 && l.minUs <= l.p50Us && l.p50Us <= l.p99Us, `${where}: percentiles out of order`);
    assert.ok(l.p99Us <= l.p999Us && l.p999Us <= l.maxUs, `${where}: percentiles out of order`);
  }
  for (const k of ['misses', 'disorder', 'badValues']) assert.equal(c.extra?.[k] ?? 0, 0, `${where}: ${k}`);
}

test('bench --smoke produces well-formed markdown, JSON and SVG with a result per engine and workload', async () => {
  const out = mkdtempSync(join(os.tmpdir(), 'bench-smoke-'));
  try {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/main.ts',
        '--smoke',
        '--json',
        '--strict',
        '--no-progress',
        '--out',
        out,
        '--dir',
        out,
      ],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(r.status, 0, `exit ${r.status}\nstderr:\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as BenchReport;
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'smoke.local.json'), 'utf8')), report);
    assert.equal(report.schema, 'shaledb-bench/1');
    assert.equal(report.mode, 'smoke');
    assert.ok(
      report.machine.cores > 0 && report.machine.memoryBytes > 0 && report.machine.node.startsWith('v'),
    );
    assert.match(report.machine.gitCommit, /^[0-9a-f]{40}$/);
    assert.ok(!existsSync(report.parameters.tempRoot), 'temp root left behind');

    // Every engine the smoke mode selects runs: one that cannot load fails here, it is not left out quietly.
    const ran = report.engines.filter((e) => e.available).map((e) => e.id);
    const missing = report.engines.filter((e) => e.selected === true && !e.available);
    assert.deepEqual(
      missing.map((e) => `${e.id}: ${e.reason}`),
      [],
      'selected engines that did not run',
    );
    assert.deepEqual(ran, parseArgs(['--smoke']).engines, 'the smoke engines');
    for (const engine of ran) {
      for (const w of ['put', 'batch', 'durable', 'get', 'scan', 'mixed', 'loop'] as const) {
        const cells = report.results.filter((c) => c.engine === engine && c.workload === w);
        assert.ok(cells.length > 0, `no ${w} result for ${engine}`);
      }
    }
    if (ran.includes('shaledb')) {
      assert.ok(
        report.results.some((c) => c.engine === 'shaledb' && c.workload === 's3'),
        'no S3-model result',
      );
    }
    for (const c of report.results) assertCellSane(c);

    const md = readFileSync(join(out, 'smoke.local.md'), 'utf8');
    assert.match(md, /^# ShaleDB side-by-side benchmark \(smoke mode\)/);
    assert.ok(assertTablesWellFormed(md) >= 6, 'expected a table per workload');
    for (const title of [
      '## 1. Non-durable puts',
      '## 3. Durable puts',
      '## 4. Random gets',
      '## 9. Event-loop delay while ingesting',
      '## Correctness checks',
    ]) {
      assert.ok(md.includes(title), `markdown lacks ${title}`);
    }
    const svg = readFileSync(join(out, 'smoke.local.svg'), 'utf8');
    assertWellFormedSvg(svg);
    assert.ok((svg.match(/<rect /g) ?? []).length > report.results.length / 2, 'too few bars');

    // The reports are a pure function of the JSON: --from renders the same files again.
    const again = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/main.ts', '--from', join(out, 'smoke.local.json')],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, md);
    assert.equal(readFileSync(join(out, 'smoke.local.md'), 'utf8'), md);
    assert.equal(readFileSync(join(out, 'smoke.local.svg'), 'utf8'), svg);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** Runs `workload` for ShaleDB alone at the smoke scale, 100-byte values, with a WAL flush interval of an hour. */
async function runShaleDbWithoutFlushTimer(
  workload: Workload,
  selected: WorkloadId[],
): Promise<CellResult[]> {
  const dirs = new TempDirs(os.tmpdir(), `bench-drain-${process.pid}-${selected.join('-')}`);
  try {
    return await workload.run({
      engine: shaleDbDefinition,
      valueBytes: 100,
      scale: scaleFor('smoke'),
      data: new BenchData(42),
      progress: new Progress({ enabled: false, tty: false, write: () => {} }),
      dirs,
      flushIntervalMs: 3_600_000,
      compactorPollMs: 200,
      selected: new Set(selected),
    });
  } finally {
    dirs.removeAll();
  }
}

test("a non-durable ShaleDB phase's window holds the WAL flush of its writes (drain inside the window)", async () => {
  // With an hour-long flush interval nothing writes the WAL buffer during a phase: only the drain at the end of
  // the window can. A window that stopped the clock before it would count no PUT at all.
  const cases: [Workload, WorkloadId, string][] = [
    [putSingleWorkload, 'put', 'single'],
    [putBatchWorkload, 'batch', 'batch100'],
    [loopDelayWorkload, 'loop', 'paced'],
    [readsWorkload, 'mixed', '80/20'],
  ];
  for (const [workload, id, phase] of cases) {
    const cells = await runShaleDbWithoutFlushTimer(workload, [id]);
    const cell = cells.find((c) => c.workload === id && c.phase === phase);
    assert.ok(cell !== undefined, `no ${id} ${phase} cell: ${JSON.stringify(cells.map((c) => c.phase))}`);
    assert.equal(cell.error, undefined, `${id}: ${cell.error}`);
    assert.ok(cell.ops > 0, `${id}: no operations`);
    const puts = cell.requests?.['put'] ?? 0;
    assert.ok(
      puts > 0,
      `${id} ${phase}: no object-store PUT inside the window (${JSON.stringify(cell.requests)})`,
    );
    assert.ok((cell.extra?.['drainMs'] ?? 0) > 0, `${id} ${phase}: no drain time reported`);
  }
});

test('the driver runs the drain after the last operation and counts it in the window and the rate', async () => {
  const events: string[] = [];
  const drainMs = 60;
  const r = await runLoop({
    concurrency: 2,
    maxOps: 10,
    capMs: 60_000,
    op: async (i) => void events.push(`op${i}`),
    drain: () => {
      events.push('drain');
      return new Promise((resolve) => setTimeout(resolve, drainMs));
    },
  });
  assert.equal(events.at(-1), 'drain', 'the drain runs once, after every operation');
  assert.equal(events.filter((e) => e === 'drain').length, 1);
  assert.ok(r.drainMs >= drainMs - 5, `drainMs ${r.drainMs}`);
  assert.ok(r.elapsedMs >= r.drainMs, 'the window includes the drain');
  assert.ok(Math.abs(r.opsPerSec - (r.ops * 1000) / r.elapsedMs) < 1e-6, 'the rate is over the whole window');
  // Against the measured drain: a timer may fire a fraction of a millisecond before its nominal delay.
  assert.ok(r.opsPerSec <= (10 * 1000) / r.drainMs, 'the drain time lowers the rate');

  // A loop stopped by its cap: operations within the cap over the cap plus the drain.
  const capped = await runLoop({
    concurrency: 1,
    maxOps: 1_000_000,
    capMs: 50,
    op: () => new Promise((resolve) => setTimeout(resolve, 5)),
    drain: () => new Promise((resolve) => setTimeout(resolve, drainMs)),
  });
  const inCap = (capped.opsPerSec * (50 + capped.drainMs)) / 1000;
  assert.ok(
    Math.abs(inCap - Math.round(inCap)) < 1e-6,
    `rate ${capped.opsPerSec} is not a count over cap + drain`,
  );
  assert.ok(inCap > 0 && inCap <= capped.ops);
});

test('histogram percentiles are within 1% of the exact sample percentiles', () => {
  const seed = testSeed();
  console.log(`seed ${seed} (rerun with SHALEDB_SEED=${seed})`);
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 5_000_000_000 }), { minLength: 1, maxLength: 2000 }),
      (xs) => {
        const h = new LatencyHistogram();
        for (const x of xs) h.record(x);
        const sorted = [...xs].sort((a, b) => a - b);
        for (const q of [0.5, 0.99, 0.999]) {
          const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
          const got = h.quantileNs(q)!;
          assert.ok(Math.abs(got - exact) <= Math.max(1, exact / 100), `q${q}: ${got} vs ${exact}`);
        }
        const s = h.summary()!;
        assert.equal(s.n, xs.length);
        assert.equal(s.minUs, Math.round(sorted[0]!) / 1000);
        assert.equal(s.maxUs, Math.round(sorted.at(-1)!) / 1000);
      },
    ),
    { seed, numRuns: 200 },
  );
});

test('the driver stops at the operation count, counts every completion, and propagates failures', async () => {
  let calls = 0;
  const r = await runLoop({ concurrency: 8, maxOps: 100, capMs: 60_000, op: async () => void calls++ });
  assert.equal(r.ops, 100);
  assert.equal(calls, 100);
  assert.equal(r.histogram.count, 100);
  const sync = await runLoop({
    concurrency: 1,
    maxOps: 50,
    capMs: 60_000,
    prepare: (i) => i * 2,
    op: () => 1,
  });
  assert.equal(sync.ops, 50);
  await assert.rejects(
    runLoop({
      concurrency: 4,
      maxOps: 100,
      capMs: 60_000,
      op: async (i) => {
        if (i === 10) throw new Error('boom');
      },
    }),
    /boom/,
  );
  assert.ok(Math.abs(r.opsPerSec - (r.ops * 1000) / r.elapsedMs) < 1e-6, 'count-bound: all ops over elapsed');
});

test('a loop stopped by its cap is rated by the operations completed within the cap, not its tail', async () => {
  // Operations complete in waves (every 40 ms, like a store acknowledging once per flush interval): the ones
  // issued just before the cap finish after it and are timed, but do not count toward the rate.
  const waveMs = 40;
  const start = performance.now();
  const r = await runLoop({
    concurrency: 8,
    maxOps: 1_000_000,
    capMs: 130,
    op: () => {
      const now = performance.now() - start;
      const next = (Math.floor(now / waveMs) + 1) * waveMs;
      return new Promise((resolve) => setTimeout(resolve, next - now));
    },
  });
  const inCap = (r.opsPerSec * 130) / 1000;
  assert.ok(
    Number.isInteger(Math.round(inCap * 1e6) / 1e6),
    `rate ${r.opsPerSec} is not a count over the cap`,
  );
  assert.ok(inCap > 0 && inCap <= r.ops, `${inCap} within the cap, ${r.ops} in all`);
  assert.ok(r.ops - inCap <= 8, 'at most one tail operation per worker');
  assert.ok(r.elapsedMs > 130, 'the tail is still waited for');
  assert.equal(r.histogram.count, r.ops);
});

test('data: keys are unique 16-byte buffers that map back to their index; values are stable', () => {
  const d = new BenchData(42);
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const k = d.key(i);
    assert.equal(k.length, 16);
    assert.equal(d.indexOf(k), i);
    seen.add(k.toString('hex'));
  }
  assert.equal(seen.size, 5000);
  assert.deepEqual(new BenchData(42).value(7, 100), d.value(7, 100));
  assert.ok(d.checkValue(7, 1024, Buffer.from(d.value(7, 1024))));
  assert.ok(!d.checkValue(7, 1024, d.value(8, 1024)));
});

test('argument parsing: modes, selections, defaults and errors', () => {
  const full = parseArgs([]);
  assert.equal(full.mode, 'default');
  assert.equal(full.name, 'latest');
  assert.deepEqual(full.valueSizes, [100, 1024]);
  const quick = parseArgs(['--quick', '--only', 'get,scan', '--engines', 'leveldb,lmdb', '--json']);
  assert.equal(quick.mode, 'quick');
  assert.deepEqual(quick.workloads, ['get', 'scan']);
  assert.deepEqual(quick.engines, ['leveldb', 'lmdb']);
  assert.equal(quick.notSelected.get('slatedb'), 'not selected');
  assert.ok(quick.json);
  assert.equal(parseArgs(['--only', 'put']).name, 'partial.local');
  assert.equal(parseArgs(['--quick']).name, 'quick.local');
  assert.deepEqual(parseArgs(['--smoke']).engines, ['shaledb', 'leveldb', 'lmdb']);
  assert.throws(() => parseArgs(['--only', 'nope']), /unknown workload nope/);
  assert.throws(() => parseArgs(['--engines', 'sqlite']), /unknown engine sqlite/);
  assert.throws(() => parseArgs(['--quick', '--smoke']), /choose one/);
  assert.throws(() => parseArgs(['--values', '0']), /positive integer/);
  assert.throws(() => parseArgs(['--frobnicate']), /unknown option/);
  assert.equal(full.repeat, 1);
  const repeated = parseArgs(['--repeat', '5', '--only', 'batch']);
  assert.equal(repeated.repeat, 5);
  assert.equal(parseArgs(['--repeat', '3']).name, 'partial.local');
  assert.throws(() => parseArgs(['--repeat', '0']), /positive integer/);
});

test('repeated rounds: each cell is its median round by throughput, failed rounds left out', () => {
  const cell = (engine: 'shaledb' | 'leveldb', opsPerSec: number, error?: string): CellResult => ({
    workload: 'batch',
    phase: 'batch1000',
    engine,
    valueBytes: 100,
    unit: 'key',
    concurrency: 1,
    ops: opsPerSec,
    elapsedMs: 1000,
    opsPerSec,
    extra: { loadMs: opsPerSec },
    error,
  });
  const out = medianRounds([
    cell('shaledb', 300),
    cell('leveldb', 10),
    cell('shaledb', 500),
    cell('leveldb', 0, 'boom'),
    cell('shaledb', 400),
    cell('leveldb', 0, 'boom'),
  ]);
  assert.equal(out.length, 2);
  const shale = out.find((c) => c.engine === 'shaledb')!;
  assert.equal(shale.opsPerSec, 400);
  assert.deepEqual(shale.extra, { loadMs: 400, rounds: 3, roundsMinOpsPerSec: 300, roundsMaxOpsPerSec: 500 });
  const level = out.find((c) => c.engine === 'leveldb')!;
  assert.equal(level.opsPerSec, 10);
  assert.equal(level.extra?.['rounds'], 1);
  const allFailed = medianRounds([cell('shaledb', 0, 'x'), cell('shaledb', 0, 'y')]);
  assert.equal(allFailed.length, 1);
  assert.equal(allFailed[0]!.error, 'x');
});

test('SVG text is escaped', () => {
  assert.equal(xmlEscape('a<b & "c">'), 'a&lt;b &amp; &quot;c&quot;&gt;');
});
