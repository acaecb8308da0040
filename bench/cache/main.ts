/**
 * Disk cache benchmark (`npm run bench:cache [-- --quick]`): ShaleDB on the S3 latency model
 * (LatencyModelObjectStore over memory, the object-store layer's default S3 Standard figures) with and without the
 * local disk cache (`objectStoreCacheOptions`). A data set of sorted keys is loaded as L0 SSTs, then each phase opens
 * the database afresh (empty in-memory block cache) and measures random point gets (concurrency 8) and one full scan:
 *   1. no disk cache;
 *   2. disk cache, empty folder (first reads fill it);
 *   3. disk cache after a restart (warm from disk);
 *   4. disk cache, empty folder, `preloadDiskCacheOnStartup: "AllSst"` (open time includes the preload).
 * Requests are counted above the model. Prints a markdown table and writes bench/results/cache.json. Figures are
 * measurements, never asserted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../src/db/db.js';
import { CountingObjectStore } from '../../src/object-store/counting-store.js';
import { LatencyModelObjectStore, S3_STANDARD_MODEL } from '../../src/object-store/latency-model-store.js';
import { MemoryObjectStore } from '../../src/object-store/memory-store.js';
import type { Settings } from '../../src/store/settings.js';
import { SeededRand } from '../../src/util/random.js';
import { nowMs } from '../lib/timer.js';

const quick = process.argv.includes('--quick');
const KEYS = quick ? 40_000 : 200_000;
const VALUE_BYTES = 100;
const GETS = quick ? 400 : 2_000;
const CONCURRENCY = 8;

interface Row {
  phase: string;
  openMs: number;
  getsPerSec: number;
  getP50Ms: number;
  getP99Ms: number;
  getRequests: number;
  scanMs: number;
  scanMBps: number;
  scanRequests: number;
  cacheMB: number;
}

function key(i: number): string {
  return `key${String(i).padStart(10, '0')}`;
}

async function load(store: MemoryObjectStore): Promise<number> {
  const db = await Db.open('bench', store, {
    settings: {
      flushInterval: null,
      l0SstSizeBytes: 4 * 1024 * 1024,
      compactorOptions: null,
      garbageCollectorOptions: null,
    },
    retry: false,
  });
  const value = new Uint8Array(VALUE_BYTES).fill(7);
  for (let i = 0; i < KEYS; i++) {
    await db.put(key(i), value, { awaitDurable: false });
  }
  await db.flush({ type: 'memtable' });
  const l0 = db.status().l0Count;
  await db.close();
  return l0;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type CacheOptions = Partial<Settings['objectStoreCacheOptions']>;

function settingsWith(cache: CacheOptions | undefined): Partial<Settings> {
  const settings: Partial<Settings> = { compactorOptions: null, garbageCollectorOptions: null };
  if (cache !== undefined) settings.objectStoreCacheOptions = cache;
  return settings;
}

function duMB(dir: string | null | undefined): number {
  if (dir === undefined || dir === null) return 0;
  return Number(execFileSync('du', ['-sk', dir]).toString().split('\t')[0]) / 1024;
}

/** Gets with `getCache`, then a scan with `scanCache` (separate folders, so a cold scan is not warmed by gets). */
async function phase(
  name: string,
  mem: MemoryObjectStore,
  getCache: CacheOptions | undefined,
  scanCache: CacheOptions | undefined,
): Promise<Row> {
  const counting = new CountingObjectStore(new LatencyModelObjectStore(mem));
  let settings = settingsWith(getCache);
  const t0 = nowMs();
  const db = await Db.open('bench', counting, { settings, blockCacheBytes: 0 });
  const openMs = nowMs() - t0;
  const rand = new SeededRand(42);
  const order = Array.from({ length: GETS }, () => rand.nextInt(KEYS));
  counting.reset();
  const lat: number[] = [];
  let next = 0;
  const g0 = nowMs();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < GETS; i = next++) {
        const s = nowMs();
        const v = await db.get(key(order[i]!));
        if (v === undefined) throw new Error(`missing ${key(order[i]!)}`);
        lat.push(nowMs() - s);
      }
    }),
  );
  const getMs = nowMs() - g0;
  const getRequests = counting.calls('get');
  await db.close();
  // The scan runs on a fresh open too, so gets have not warmed the in-memory state.
  settings = settingsWith(scanCache);
  const db2 = await Db.open('bench', counting, { settings, blockCacheBytes: 0 });
  counting.reset();
  const s0 = nowMs();
  let rows = 0;
  let bytes = 0;
  const it = db2.scan();
  for (;;) {
    const batch = await it.nextBatch(1000);
    if (batch.length === 0) break;
    rows += batch.length;
    for (const kv of batch) bytes += kv.key.length + kv.value.length;
  }
  await it.close();
  const scanMs = nowMs() - s0;
  const scanRequests = counting.calls('get');
  await db2.close();
  if (rows !== KEYS) throw new Error(`scan saw ${rows} rows, expected ${KEYS}`);
  lat.sort((a, b) => a - b);
  const cacheMB = duMB(getCache?.rootFolder) + duMB(scanCache?.rootFolder);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    phase: name,
    openMs: r2(openMs),
    getsPerSec: r2((GETS * 1000) / getMs),
    getP50Ms: r2(percentile(lat, 50)),
    getP99Ms: r2(percentile(lat, 99)),
    getRequests,
    scanMs: r2(scanMs),
    scanMBps: r2(bytes / 1e6 / (scanMs / 1000)),
    scanRequests,
    cacheMB: r2(cacheMB),
  };
}

async function main(): Promise<void> {
  const mem = new MemoryObjectStore();
  const l0 = await load(mem);
  const tmp = mkdtempSync(join(tmpdir(), 'shaledb-bench-cache-'));
  try {
    const rows: Row[] = [];
    rows.push(await phase('no disk cache', mem, undefined, undefined));
    for (const partSizeBytes of [4 * 1024 * 1024, 64 * 1024]) {
      const label =
        partSizeBytes >= 1024 * 1024 ? `${partSizeBytes / 1024 / 1024} MiB` : `${partSizeBytes / 1024} KiB`;
      const g = { rootFolder: join(tmp, `gets-${partSizeBytes}`), partSizeBytes };
      const s = { rootFolder: join(tmp, `scan-${partSizeBytes}`), partSizeBytes };
      rows.push(await phase(`disk cache ${label} parts, empty`, mem, g, s));
      rows.push(await phase(`disk cache ${label} parts, after restart`, mem, g, s));
    }
    const pg = { rootFolder: join(tmp, 'pre-gets'), preloadDiskCacheOnStartup: 'AllSst' as const };
    const ps = { rootFolder: join(tmp, 'pre-scan'), preloadDiskCacheOnStartup: 'AllSst' as const };
    rows.push(await phase('disk cache 4 MiB parts, empty + preload AllSst (in open)', mem, pg, ps));
    const m = S3_STANDARD_MODEL;
    console.log(
      `\n${KEYS} keys x ${VALUE_BYTES} B values in ${l0} L0 SSTs; ${GETS} random gets at concurrency ${CONCURRENCY}; one full scan.`,
    );
    console.log(
      `S3 model: GET ${m.getMs} ms first byte, ${m.bandwidthBytesPerSec / 1e6} MB/s per request; in-memory block cache off; each phase opens the database afresh. GETs count every GET during the gets or the scan, including the writer's manifest poll (one per second).\n`,
    );
    console.log(
      '| phase | open ms | gets/s | get p50 ms | get p99 ms | GETs (gets) | scan ms | scan MB/s | GETs (scan) | cache MB |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) {
      console.log(
        `| ${r.phase} | ${r.openMs} | ${r.getsPerSec} | ${r.getP50Ms} | ${r.getP99Ms} | ${r.getRequests} | ${r.scanMs} | ${r.scanMBps} | ${r.scanRequests} | ${r.cacheMB} |`,
      );
    }
    const out = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model },
      quick,
      keys: KEYS,
      valueBytes: VALUE_BYTES,
      l0Ssts: l0,
      gets: GETS,
      concurrency: CONCURRENCY,
      model: m,
      rows,
    };
    mkdirSync(join(import.meta.dirname, '..', 'results'), { recursive: true });
    writeFileSync(
      join(import.meta.dirname, '..', 'results', 'cache.json'),
      `${JSON.stringify(out, null, 2)}\n`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
