/**
 * Compaction benchmark (`npm run bench:compaction [-- --quick]`):
 * 1. compaction throughput (input MB/s) for each codec, with 1 and 4 subcompactions, on the local filesystem store
 *    and on the S3 latency model (over memory), compacting 4 L0 SSTs of random 16-byte keys and 100-byte values;
 * 2. write amplification of a sustained ingest with the embedded compactor running: bytes PUT to the store per user
 *    byte written, split by object kind.
 * Prints markdown tables and writes bench/results/compaction.json. Figures are measurements, never asserted.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteBatch } from '../../src/db/write-batch.js';
import { LatencyModelObjectStore } from '../../src/object-store/latency-model-store.js';
import { LocalObjectStore } from '../../src/object-store/local-store.js';
import { MemoryObjectStore } from '../../src/object-store/memory-store.js';
import type { ObjectStore } from '../../src/object-store/object-store.js';
import { Db } from '../../src/open/open.js';
import type { CompressionCodec } from '../../src/store/settings.js';
import { SeededRand } from '../../src/util/random.js';
import { compactL0s, writeRandomL0s } from '../lib/compact-l0s.js';

const quick = process.argv.includes('--quick');
const INPUT_MB = quick ? 8 : 64;
const INGEST_MB = quick ? 8 : 48;
const CODECS: CompressionCodec[] = [null, 'snappy', 'lz4', 'zstd', 'zlib'];

interface ThroughputRow {
  store: string;
  codec: string;
  subcompactions: number;
  inputMB: number;
  outputMB: number;
  seconds: number;
  inputMBps: number;
}

async function throughput(
  storeName: string,
  makeStore: () => ObjectStore,
  codec: CompressionCodec,
  subs: number[],
): Promise<ThroughputRow[]> {
  const store = makeStore();
  const m = await writeRandomL0s(store, codec, INPUT_MB, 7);
  const out: ThroughputRow[] = [];
  for (const n of subs) {
    const r = await compactL0s(store, m.l0, { codec, subcompactions: n, retentionMinSeq: m.lastL0Seq });
    out.push({
      store: storeName,
      codec: codec ?? 'none',
      subcompactions: n,
      ...r,
    });
    process.stderr.write(`  ${storeName} ${codec ?? 'none'} x${n}: ${r.inputMBps.toFixed(1)} MB/s\n`);
  }
  await store.close();
  return out;
}

async function writeAmplification(dir: string) {
  const base = new LocalObjectStore(dir, { durability: 'none' });
  const byKind = { wal: 0, compacted: 0, manifest: 0, other: 0 };
  const kindOf = (path: string) =>
    path.includes('/wal/')
      ? 'wal'
      : path.includes('/compacted/')
        ? 'compacted'
        : path.includes('/manifest/')
          ? 'manifest'
          : 'other';
  const tracked: ObjectStore = {
    description: base.description,
    put: (path, bytes, o) => {
      byKind[kindOf(path)] += bytes.length;
      return base.put(path, bytes, o);
    },
    putStream: (path, chunks, o) => {
      async function* counted() {
        for await (const c of chunks) {
          byKind[kindOf(path)] += c.length;
          yield c;
        }
      }
      return base.putStream(path, counted(), o);
    },
    get: (p, o) => base.get(p, o),
    head: (p, o) => base.head(p, o),
    list: (p, o) => base.list(p, o),
    delete: (p, o) => base.delete(p, o),
    close: () => base.close(),
  };
  const settings = {
    flushInterval: '100ms',
    l0SstSizeBytes: 4 * 1024 * 1024,
    manifestPollInterval: '100ms',
    compactorOptions: { pollInterval: '100ms', maxSstSize: 16 * 1024 * 1024 },
    garbageCollectorOptions: null,
  };
  const db = await Db.open('wa', tracked, { settings, retry: false });
  const rand = new SeededRand(11);
  const keySpace = Math.floor((INGEST_MB * 1024 * 1024) / 116 / 2); // each key written about twice
  let userBytes = 0;
  const t0 = performance.now();
  while (userBytes < INGEST_MB * 1024 * 1024) {
    const b = new WriteBatch();
    for (let i = 0; i < 1000; i++) {
      const k = Buffer.alloc(16);
      k.writeUInt32BE(rand.nextInt(keySpace), 12);
      b.put(k, rand.fillBytes(new Uint8Array(100)));
      userBytes += 116;
    }
    await db.write(b, { awaitDurable: false });
  }
  await db.flush({ type: 'memtable' });
  for (let i = 0; i < 600 && db.status().l0Count >= 4; i++) await new Promise((r) => setTimeout(r, 100));
  const seconds = (performance.now() - t0) / 1000;
  const status = db.status();
  await db.close();
  const total = byKind.wal + byKind.compacted + byKind.manifest + byKind.other;
  return {
    userMB: userBytes / 2 ** 20,
    storeMB: total / 2 ** 20,
    writeAmplification: total / userBytes,
    walMB: byKind.wal / 2 ** 20,
    sstMB: byKind.compacted / 2 ** 20,
    manifestMB: byKind.manifest / 2 ** 20,
    seconds,
    l0AtEnd: status.l0Count,
    sortedRuns: status.sortedRunCount,
  };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'shaledb-bench-compaction-'));
  const results: ThroughputRow[] = [];
  try {
    for (const codec of CODECS) {
      const dir = join(root, `local-${codec ?? 'none'}`);
      mkdirSync(dir);
      results.push(
        ...(await throughput(
          'local',
          () => new LocalObjectStore(dir, { durability: 'none' }),
          codec,
          [1, 4],
        )),
      );
    }
    results.push(
      ...(await throughput(
        's3-model',
        () => new LatencyModelObjectStore(new MemoryObjectStore()),
        null,
        [1, 4],
      )),
    );
    const waDir = join(root, 'wa');
    mkdirSync(waDir);
    const wa = await writeAmplification(waDir);
    console.log(
      `\n## Compaction throughput (${INPUT_MB} MiB of 16 B keys / 100 B values in 4 L0s, ${cpus().length} cores)\n`,
    );
    console.log('| store | codec | subcompactions | input MiB | output MiB | seconds | input MB/s |');
    console.log('|---|---|---:|---:|---:|---:|---:|');
    for (const r of results) {
      console.log(
        `| ${r.store} | ${r.codec} | ${r.subcompactions} | ${r.inputMB.toFixed(1)} | ${r.outputMB.toFixed(1)} | ${r.seconds.toFixed(2)} | ${r.inputMBps.toFixed(1)} |`,
      );
    }
    console.log(`\n## Write amplification (${wa.userMB.toFixed(0)} MiB ingested, embedded compactor)\n`);
    console.log(
      '| user MiB | store MiB | WA | WAL MiB | SST MiB | manifest MiB | seconds | L0 at end | sorted runs |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    console.log(
      `| ${wa.userMB.toFixed(1)} | ${wa.storeMB.toFixed(1)} | ${wa.writeAmplification.toFixed(2)} | ${wa.walMB.toFixed(1)} | ${wa.sstMB.toFixed(1)} | ${wa.manifestMB.toFixed(2)} | ${wa.seconds.toFixed(1)} | ${wa.l0AtEnd} | ${wa.sortedRuns} |`,
    );
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      `bench/results/compaction${quick ? '-quick.local' : ''}.json`,
      `${JSON.stringify({ date: new Date().toISOString(), quick, cpus: cpus()[0]?.model, throughput: results, writeAmplification: wa }, null, 2)}\n`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
