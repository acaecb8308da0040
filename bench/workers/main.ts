/**
 * Background-worker benchmark (`npm run bench:workers [-- --quick] [-- --repeat N]`), for
 * docs/design/0006-background-workers.md:
 * 1. compaction throughput (input MB/s): 4 L0 SSTs of random 16-byte keys and 100-byte values (snappy) on the local
 *    filesystem store, compacted in-thread and through 1 and 2 compaction workers, with 1 and 2 subcompactions;
 * 2. request-handler lateness while ingest and compaction run: a 1 ms `setInterval` handler records how late each
 *    tick fires (gap to the previous tick minus 1 ms; p50 / p99 / max), while 1 000-key non-durable batches are
 *    written at a fixed rate into ShaleDB (everything in-thread; compaction in 2 workers with L0 encoding in-thread,
 *    at the default worker priority and at the process's priority; compaction in 2 workers and L0 encoding in a
 *    flush worker) and LevelDB (classic-level, whose
 *    flushes and compactions run on its own threads), with small memtables so both flush and compact throughout;
 *    an idle row (no engine) gives the timer's own baseline.
 * `--profile` adds CPU profiles of the application's thread: the in-thread compaction's self time, and for each
 * ShaleDB lateness run what ran before the ticks that fired more than 2 ms late (bench/lib/cpu-profile.ts); the
 * profiled runs carry the sampler's cost, so take figures from a run without it.
 * `--only <text>` runs only the parts and engines whose name contains the text. Each configuration runs `--repeat` times (default 3) and the median run is reported. Prints markdown tables and
 * writes bench/results/workers(-quick).local.json. Figures are measurements, never asserted.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClassicLevel } from 'classic-level';
import { CompactionWorkerPool } from '../../src/compactor/worker-pool.js';
import { WriteBatch } from '../../src/db/write-batch.js';
import type { CompactedSsTable } from '../../src/format/manifest.js';
import { LocalObjectStore } from '../../src/object-store/local-store.js';
import { Db } from '../../src/open/open.js';
import { COMPACTOR } from '../../src/util/metric-names.js';
import { findMetric } from '../../src/util/metrics.js';
import { SeededRand } from '../../src/util/random.js';
import { compactL0s, writeRandomL0s } from '../lib/compact-l0s.js';
import {
  lateTickAttribution,
  profilerNowUs,
  profileTable,
  selfTime,
  startCpuProfile,
} from '../lib/cpu-profile.js';

const quick = process.argv.includes('--quick');
const repeatArg = process.argv.indexOf('--repeat');
const REPEAT = repeatArg > 0 ? Number(process.argv[repeatArg + 1]) : 3;
/** `--only <text>`: run only the parts and engines whose name contains it ('throughput', 'LevelDB', 'workers'...). */
const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg > 0 ? process.argv[onlyArg + 1]! : undefined;
const selected = (name: string) => ONLY === undefined || name.includes(ONLY);
/** `--profile`: CPU-profile the application's thread (in-thread compaction; each ShaleDB lateness run). */
const PROFILE = process.argv.includes('--profile');
/** Ticks later than this are marked for the profile's attribution. */
const LATE_MARK_MS = 2;
const profiles: string[] = [];
const INPUT_MB = quick ? 16 : 48;
const INGEST_KEYS_PER_SEC = 50_000;
const INGEST_MS = quick ? 8_000 : 20_000;
const BATCH = 1000;

const median = <T>(xs: T[], by: (x: T) => number): T =>
  [...xs].sort((a, b) => by(a) - by(b))[xs.length >> 1]!;

// ---------------------------------------------------------------------------------------------------------------
// 1. Throughput

interface ThroughputRow {
  mode: string;
  subcompactions: number;
  inputMB: number;
  seconds: number;
  inputMBps: number;
  /** Process CPU time (all threads) over wall time: cores kept busy. */
  cpuCores: number;
  /** Share of the run the application's event loop was busy (eventLoopUtilization), percent. */
  mainBusyPct: number;
}

async function buildL0s(dir: string): Promise<readonly CompactedSsTable[]> {
  const store = new LocalObjectStore(dir, { durability: 'none' });
  const manifest = await writeRandomL0s(store, 'snappy', INPUT_MB, 7);
  await store.close();
  return manifest.l0;
}

async function compactOnce(
  dir: string,
  l0: readonly CompactedSsTable[],
  subs: number,
  pool?: CompactionWorkerPool,
) {
  const store = new LocalObjectStore(dir, { durability: 'none' });
  const r = await compactL0s(store, l0, {
    codec: 'snappy',
    subcompactions: subs,
    retentionMinSeq: Number.MAX_SAFE_INTEGER,
    workers: pool,
  });
  await store.close();
  return { inputMB: r.inputMB, seconds: r.seconds, inputMBps: r.inputMBps };
}

async function throughput(root: string): Promise<ThroughputRow[]> {
  const dir = join(root, 'throughput');
  mkdirSync(dir);
  const l0 = await buildL0s(dir);
  const configs: { mode: string; workers: number; subs: number }[] = [
    { mode: 'in-thread', workers: 0, subs: 1 },
    { mode: 'in-thread', workers: 0, subs: 2 },
    { mode: '1 worker', workers: 1, subs: 1 },
    { mode: '1 worker', workers: 1, subs: 2 },
    { mode: '2 workers', workers: 2, subs: 2 },
  ];
  const out: ThroughputRow[] = [];
  for (const c of configs) {
    const pool = c.workers === 0 ? undefined : new CompactionWorkerPool(c.workers);
    // One unmeasured run warms up the code (and starts the workers).
    await compactOnce(dir, l0, c.subs, pool);
    const runs = [];
    // Profiled: the in-thread run, where the compaction's own CPU work is on the profiled thread.
    const stopProfile = PROFILE && c.workers === 0 && c.subs === 1 ? await startCpuProfile() : undefined;
    for (let r = 0; r < REPEAT; r++) {
      const cpu0 = process.cpuUsage();
      const elu0 = performance.eventLoopUtilization();
      const run = await compactOnce(dir, l0, c.subs, pool);
      const cpu = process.cpuUsage(cpu0);
      const mainBusy = performance.eventLoopUtilization(elu0).utilization;
      runs.push({
        ...run,
        cpuCores: (cpu.user + cpu.system) / 1e6 / run.seconds,
        mainBusyPct: mainBusy * 100,
      });
    }
    if (stopProfile !== undefined) {
      profiles.push(
        `### In-thread compaction (${REPEAT} runs), self time\n\n${profileTable(selfTime(await stopProfile(), 30))}\n`,
      );
    }
    await pool?.close();
    const m = median(runs, (x) => x.inputMBps);
    out.push({ mode: c.mode, subcompactions: c.subs, ...m });
    process.stderr.write(
      `  ${c.mode} x${c.subs}: ${runs.map((x) => x.inputMBps.toFixed(1)).join(' / ')} MB/s (median ${m.inputMBps.toFixed(1)}), ${m.cpuCores.toFixed(2)} cores busy\n`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Request-handler lateness under ingest + compaction

interface LatenessRow {
  engine: string;
  ticks: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  keysPerSec: number;
  compactedMB: number;
  /** Share of the window the application's event loop was busy (eventLoopUtilization), percent. */
  mainBusyPct: number;
}

/** A 1 ms interval handler recording each tick's lateness (ms). */
function tickRecorder() {
  const lateness: number[] = [];
  /** Ticks later than LATE_MARK_MS: [profiler clock µs, lateness ms] (for --profile). */
  const late: [number, number][] = [];
  let prev = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const l = Math.max(0, now - prev - 1);
    lateness.push(l);
    if (l > LATE_MARK_MS) late.push([profilerNowUs(), l]);
    prev = now;
  }, 1);
  return {
    stop(): { lateness: number[]; late: [number, number][] } {
      clearInterval(timer);
      return { lateness, late };
    },
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Ingester {
  putBatch(keys: Uint8Array[], values: Uint8Array[]): Promise<void>;
  close(): Promise<{ compactedMB: number }>;
}

async function shaleIngester(
  dir: string,
  workers: number,
  flushWorkers: number,
  workerNice?: number,
): Promise<Ingester> {
  const store = new LocalObjectStore(dir, { durability: 'none' });
  const db = await Db.open('db', store, {
    compactionWorkers: workers,
    flushWorkers,
    ...(workerNice === undefined ? {} : { workerNice }),
    settings: {
      compressionCodec: 'snappy',
      flushInterval: '100ms',
      l0SstSizeBytes: 4 * 1024 * 1024,
      garbageCollectorOptions: null,
      compactorOptions: {
        pollInterval: '100ms',
        maxSstSize: 16 * 1024 * 1024,
        subcompactions: Math.max(1, workers),
        schedulerOptions: {},
      },
    },
  });
  return {
    async putBatch(keys, values) {
      const b = new WriteBatch();
      for (let i = 0; i < keys.length; i++) b.put(keys[i]!, values[i]!);
      await db.write(b, { awaitDurable: false });
    },
    async close() {
      const m = findMetric(db.metrics(), COMPACTOR.BYTES_COMPACTED);
      const bytes = m !== undefined && m.kind === 'counter' ? m.value : 0;
      await db.close();
      await store.close();
      return { compactedMB: bytes / 2 ** 20 };
    },
  };
}

async function levelIngester(dir: string): Promise<Ingester> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    writeBufferSize: 4 * 1024 * 1024,
    compression: true,
  });
  await db.open();
  return {
    async putBatch(keys, values) {
      const b = db.batch();
      for (let i = 0; i < keys.length; i++) b.put(keys[i] as Buffer, values[i] as Buffer);
      await b.write({ sync: false });
    },
    async close() {
      await db.close();
      return { compactedMB: Number.NaN };
    },
  };
}

async function lateness(root: string, engine: string, open: (dir: string) => Promise<Ingester | undefined>) {
  const dir = mkdtempSync(join(root, 'loop-'));
  const ingester = await open(dir);
  const rand = new SeededRand(3);
  const pool = Array.from({ length: 4096 }, () => Buffer.from(rand.fillBytes(new Uint8Array(100))));
  const intervalMs = (BATCH * 1000) / INGEST_KEYS_PER_SEC;
  await sleep(200);
  const stopProfile = PROFILE && ingester !== undefined ? await startCpuProfile() : undefined;
  const rec = tickRecorder();
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  let b = 0;
  while (performance.now() - start < INGEST_MS) {
    const due = start + b * intervalMs;
    const now = performance.now();
    if (due > now) await sleep(due - now);
    else await new Promise((r) => setImmediate(r));
    if (ingester !== undefined) {
      // Random keys; values from a pre-generated pool (the harness's own work stays small).
      const keys: Uint8Array[] = [];
      const values: Uint8Array[] = [];
      for (let i = 0; i < BATCH; i++) {
        const k = Buffer.allocUnsafe(16);
        for (let w = 0; w < 16; w += 4) k.writeUInt32BE(rand.nextU32(), w);
        keys.push(k);
        values.push(pool[(b * BATCH + i) % pool.length]!);
      }
      await ingester.putBatch(keys, values);
    }
    b++;
  }
  const elapsed = performance.now() - start;
  const busy = performance.eventLoopUtilization(elu0).utilization;
  const ticks = rec.stop();
  const late = ticks.lateness.sort((x, y) => x - y);
  if (stopProfile !== undefined) {
    const profile = await stopProfile();
    const a = lateTickAttribution(profile, ticks.late, 1, 30);
    profiles.push(
      `### ${engine}: what ran before the ${a.lateTicks} ticks later than ${LATE_MARK_MS} ms ` +
        `(${a.busyMs.toFixed(0)} ms busy in their windows; inclusive time)\n\n${profileTable(a.lines)}\n\n` +
        `### ${engine}: the whole window, self time\n\n${profileTable(selfTime(profile, 25))}\n`,
    );
  }
  const closed = ingester === undefined ? { compactedMB: 0 } : await ingester.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    engine,
    ticks: late.length,
    p50Ms: pct(late, 50),
    p99Ms: pct(late, 99),
    p999Ms: pct(late, 99.9),
    maxMs: late[late.length - 1] ?? 0,
    keysPerSec: ingester === undefined ? 0 : Math.round((b * BATCH * 1000) / elapsed),
    compactedMB: closed.compactedMB,
    mainBusyPct: busy * 100,
  } satisfies LatenessRow;
}

async function latenessAll(root: string): Promise<LatenessRow[]> {
  const engines: [string, (dir: string) => Promise<Ingester | undefined>][] = [
    ['idle (timer only)', async () => undefined],
    ['ShaleDB, all in-thread', (d) => shaleIngester(d, 0, 0)],
    ['ShaleDB, 2 compaction workers, L0 encoding in-thread', (d) => shaleIngester(d, 2, 0)],
    [
      'ShaleDB, 2 compaction workers at the process priority (workerNice 0)',
      (d) => shaleIngester(d, 2, 0, 0),
    ],
    ['ShaleDB, 2 compaction workers + 1 flush worker', (d) => shaleIngester(d, 2, 1)],
    ['LevelDB (classic-level)', (d) => levelIngester(d)],
  ];
  const chosen = engines.filter(([name]) => selected(name));
  const out: LatenessRow[] = [];
  const runs = new Map<string, LatenessRow[]>();
  // Round by round, every engine once per round, so each round meets the same machine conditions.
  for (let r = 0; r < REPEAT; r++) {
    for (const [name, open] of chosen) {
      const row = await lateness(root, name, open);
      runs.set(name, [...(runs.get(name) ?? []), row]);
      process.stderr.write(
        `  ${name}: p50 ${row.p50Ms.toFixed(2)} p99 ${row.p99Ms.toFixed(2)} max ${row.maxMs.toFixed(1)} ms, ${row.keysPerSec} keys/s, ${row.compactedMB.toFixed(0)} MiB compacted, main thread busy ${row.mainBusyPct.toFixed(1)}%\n`,
      );
    }
  }
  for (const [name] of chosen) out.push(median(runs.get(name)!, (x) => x.p99Ms));
  return out;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'shaledb-bench-workers-'));
  const load0 = loadavg()[0]!;
  try {
    const t = selected('throughput') ? await throughput(root) : [];
    const l = await latenessAll(root);
    const load1 = loadavg()[0]!;
    console.log(
      `\n${cpus()[0]?.model}, ${availableParallelism()} cores, Node ${process.version}, load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}, median of ${REPEAT}\n`,
    );
    console.log(`## Compaction throughput (${INPUT_MB} MiB, snappy, 4 L0s, local store)\n`);
    console.log(
      '| where | subcompactions | input MiB | seconds | input MB/s | CPU cores busy | main thread busy % |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of t)
      console.log(
        `| ${r.mode} | ${r.subcompactions} | ${r.inputMB.toFixed(1)} | ${r.seconds.toFixed(2)} | ${r.inputMBps.toFixed(1)} | ${r.cpuCores.toFixed(2)} | ${r.mainBusyPct.toFixed(1)} |`,
      );
    console.log(
      `\n## 1 ms request-handler lateness during ingest (${INGEST_KEYS_PER_SEC} keys/s of 100 B values, ${INGEST_MS / 1000} s) and compaction\n`,
    );
    console.log(
      '| engine | ticks | p50 ms | p99 ms | p99.9 ms | max ms | keys/s | MiB compacted | main thread busy % |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of l)
      console.log(
        `| ${r.engine} | ${r.ticks} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.p999Ms.toFixed(2)} | ${r.maxMs.toFixed(1)} | ${r.keysPerSec} | ${Number.isNaN(r.compactedMB) ? 'n/a' : r.compactedMB.toFixed(0)} | ${r.mainBusyPct.toFixed(1)} |`,
      );
    if (profiles.length > 0)
      console.log(`\n## CPU profiles of the application's thread\n\n${profiles.join('\n')}`);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      `bench/results/workers${quick ? '-quick' : ''}.local.json`,
      `${JSON.stringify({ date: new Date().toISOString(), quick, repeat: REPEAT, cpus: cpus()[0]?.model, load: [load0, load1], throughput: t, lateness: l }, null, 2)}\n`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
