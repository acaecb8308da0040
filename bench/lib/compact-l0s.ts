/**
 * The compaction benchmarks' inputs (`writeRandomL0s`) and one full compaction of a set of L0 SSTs into sorted
 * run 0, timed, as the compaction benchmarks run it
 * (bench/compaction, bench/workers): 4 KiB blocks, 10-bit filters, no block cache, 16 MiB output SSTs, 4 MiB
 * read-ahead, 8 MiB upload chunks; in-thread unless a worker pool is given.
 */
import { executeCompaction } from '../../src/compactor/executor.js';
import type { CompactionWorkerPool } from '../../src/compactor/worker-pool.js';
import { WriteBatch } from '../../src/db/write-batch.js';
import type { CompactedSsTable } from '../../src/format/manifest.js';
import type { ObjectStore } from '../../src/object-store/object-store.js';
import { Db } from '../../src/open/open.js';
import type { CompressionCodec } from '../../src/store/settings.js';
import { TableStore } from '../../src/store/table-store.js';
import { systemClock } from '../../src/util/clock.js';
import { Ulid } from '../../src/util/ids.js';
import { SeededRand, systemRand } from '../../src/util/random.js';

/** What one timed compaction measured. */
export interface CompactL0sResult {
  readonly inputMB: number;
  readonly outputMB: number;
  readonly seconds: number;
  readonly inputMBps: number;
}

/** Compacts `l0` (in `store` under root `bench`) into one sorted run with `subcompactions` ranges. */
export async function compactL0s(
  store: ObjectStore,
  l0: readonly CompactedSsTable[],
  o: {
    readonly codec: CompressionCodec;
    readonly subcompactions: number;
    readonly retentionMinSeq: number;
    readonly workers?: CompactionWorkerPool | undefined;
  },
): Promise<CompactL0sResult> {
  const tableStore = new TableStore(store, 'bench', {
    codec: o.codec,
    blockSize: 4096,
    minFilterKeys: 1000,
    filterBitsPerKey: 10,
    blockCacheBytes: 0,
  });
  const inputBytes = l0.reduce((n, s) => n + s.info.indexOffset + s.info.indexLen, 0);
  const t0 = performance.now();
  const { stats } = await executeCompaction(
    {
      id: Ulid.generate(Date.now(), systemRand),
      destination: 0,
      l0,
      sortedRuns: [],
      retentionMinSeq: o.retentionMinSeq,
      isDestLastRun: true,
      expiryTickMs: Number.MIN_SAFE_INTEGER,
    },
    {
      tableStore,
      clock: systemClock,
      rand: systemRand,
      mergeOperator: undefined,
      maxSstSize: 16 * 1024 * 1024,
      subcompactions: o.subcompactions,
      readAheadBytes: 4 * 1024 * 1024,
      uploadChunkBytes: 8 * 1024 * 1024,
      signal: new AbortController().signal,
      ...(o.workers === undefined ? {} : { workers: o.workers }),
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const inputMB = inputBytes / 2 ** 20;
  return { inputMB, outputMB: stats.bytesWritten / 2 ** 20, seconds, inputMBps: inputMB / seconds };
}

/**
 * Writes `mb` MiB of random rows (16-byte keys, 100-byte values) into 4 L0 SSTs of the database `bench` in `store`;
 * returns the latest manifest. The inputs of the compaction benchmarks.
 */
export async function writeRandomL0s(store: ObjectStore, codec: CompressionCodec, mb: number, seed: number) {
  const settings = {
    flushInterval: null,
    compressionCodec: codec,
    l0SstSizeBytes: 1024 * 1024 * 1024,
    compactorOptions: null,
    garbageCollectorOptions: null,
  };
  const db = await Db.open('bench', store, { settings, retry: false });
  const rand = new SeededRand(seed);
  const rows = Math.floor((mb * 1024 * 1024) / 140);
  const perL0 = Math.ceil(rows / 4);
  for (let l0 = 0; l0 < 4; l0++) {
    for (let done = 0; done < perL0; done += 1000) {
      const b = new WriteBatch();
      for (let i = 0; i < 1000; i++)
        b.put(rand.fillBytes(new Uint8Array(16)), rand.fillBytes(new Uint8Array(100)));
      await db.write(b, { awaitDurable: false });
    }
    await db.flush({ type: 'memtable' });
  }
  const m = db.inner.manifest;
  await db.close();
  return m;
}
