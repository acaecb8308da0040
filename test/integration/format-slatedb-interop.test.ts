/**
 * Interop with the real SlateDB 0.12.1 (`@slatedb/uniffi`), both ways, on fresh databases from random seeds:
 *
 * 1. SlateDB writes (each codec; block sizes 1, 4 and 64 KiB; puts, deletes, concatenating merges, long and
 *    1 ms TTLs, empty and oversized values, several L0s, a filtered L0, a compaction into a sorted run, a
 *    second writer's fence and a reader's checkpoint): ShaleDB decodes every manifest, compactions file, WAL
 *    SST and SST to exactly the rows written (WAL rows also equal SlateDB's WalReader), re-encodes each to the
 *    same bytes (zlib: same decompressed parts), and the files resolve to SlateDB's own scan.
 * 2. ShaleDB writes (manifests, L0 SSTs, WAL SSTs): SlateDB opens the database, replays the WAL, compacts the
 *    L0s, and its scan returns exactly the data ShaleDB wrote.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { CompressionCodec } from '../../src/format/compression.js';
import { type CompactedSsTable, newManifest } from '../../src/format/manifest.js';
import { decodeManifest, encodeManifest } from '../../src/format/manifest-codec.js';
import { compactedSstPath, manifestPath, walSstPath } from '../../src/format/object-paths.js';
import { compareRows, type RowEntry } from '../../src/format/row.js';
import { SstBuilder, sstBytes, WalSstBuilder } from '../../src/format/sst-builder.js';
import { Ulid } from '../../src/util/ids.js';
import { SeededRand, systemRand, testSeed } from '../../src/util/random.js';
import { checkManifests, readDbFiles, zlibStats } from '../support/format-interop-checks.js';
import { checkSlateDbDirectory } from '../support/slatedb-db-check.js';
import { type OracleBlockSizeKib, requireOracle } from '../support/slatedb-oracle.js';
import { runOracleJob, scanRows, walRowsOf } from '../support/slatedb-oracle-process.js';
import { makeWorkload, resolveVisible } from '../support/slatedb-workload.js';

const seed = testSeed();
console.log(`format-slatedb-interop: seed ${seed}`);

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'shaledb-oracle-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CONFIGS: Array<{ codec: CompressionCodec; kib: OracleBlockSizeKib; compact?: boolean }> = [
  { codec: 'none', kib: 1 },
  { codec: 'none', kib: 4 },
  { codec: 'none', kib: 64 },
  { codec: 'snappy', kib: 4 },
  { codec: 'zlib', kib: 1 },
  { codec: 'lz4', kib: 4 },
  { codec: 'zstd', kib: 4 },
  { codec: 'zstd', kib: 64 },
  { codec: 'snappy', kib: 4, compact: true },
  { codec: 'zstd', kib: 1, compact: true },
];

for (const [i, c] of CONFIGS.entries()) {
  const name = `${c.codec} ${c.kib} KiB${c.compact === true ? ' with compaction' : ''}`;
  test(`SlateDB writes, ShaleDB reads and re-encodes: ${name}`, async () => {
    await requireOracle();
    await withDir(async (dir) => {
      const memtables =
        c.compact === true
          ? [[150, 150], [150, 150], [150, 150], [150, 150], [80]]
          : [Array.from({ length: 11 }, () => 100), [60, 40], [50, 50]];
      const spec = {
        seed: (seed + i) >>> 0,
        memtables,
        oversizedValueBytes: c.kib === 64 ? 70_000 : c.kib * 1024 + 500,
      };
      const run = await runOracleJob({
        kind: 'workload',
        options: {
          dir,
          codec: c.codec,
          blockSizeKib: c.kib,
          seed: (seed + i) >>> 0,
          compactor: c.compact === true ? { pollInterval: '100ms', maxSstSize: 16 * 1024 } : undefined,
        },
        spec,
        compact: c.compact === true,
      });
      const report = await checkSlateDbDirectory({
        dir,
        workload: makeWorkload(spec),
        handles: run.handles!,
        settings: { codec: c.codec, blockSize: c.kib * 1024 },
        compacted: c.compact,
        oracleScan: scanRows(run),
        oracleWal: walRowsOf(run),
      });
      console.log(`${name}: ${JSON.stringify(report)}`);
    });
  });
}

test('a second writer fences the first; a reader checkpoint; every manifest re-encodes', async () => {
  await requireOracle();
  await withDir(async (dir) => {
    const r = await runOracleJob({ kind: 'writers-and-reader', options: { dir, codec: 'lz4' }, seed });
    assert.equal(r.readerSawWrite, true);
    const files = readDbFiles(dir);
    const manifests = checkManifests(files);
    const all = [...manifests.values()];
    assert.ok(
      all.some((x) => x.writerEpoch === 2),
      'the second writer bumped the epoch',
    );
    const withCheckpoint = all.find((x) => x.checkpoints.length > 0);
    assert.ok(withCheckpoint !== undefined, 'the reader added a checkpoint');
    const cp = withCheckpoint.checkpoints[0]!;
    assert.equal(cp.expireTimeS - cp.createTimeS, 600);
    assert.match(cp.id.toString(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab]/);
    const fences = [...files.wal.values()].filter((b) => b.length >= 114 && b.length <= 140);
    assert.ok(fences.length >= 2, 'one fence per writer');
  });
});

/** Rows of one "memtable" written by ShaleDB: unique keys, consecutive seqs, increasing create_ts. */
function ourRows(rand: SeededRand, firstSeq: number, n: number, baseTs: number, prefix: string): RowEntry[] {
  const rows: RowEntry[] = [];
  for (let i = 0; i < n; i++) {
    const kindRoll = rand.nextInt(10);
    const key = new TextEncoder().encode(`${prefix}${String(rand.nextInt(5000)).padStart(5, '0')}-${i}`);
    const value = rand.fillBytes(new Uint8Array(rand.nextInt(40)));
    const kind = kindRoll === 0 ? 'tombstone' : kindRoll === 1 ? 'merge' : 'value';
    rows.push({
      key,
      value: kind === 'tombstone' ? new Uint8Array(0) : value,
      seq: firstSeq + i,
      kind,
      createTs: baseTs + i,
      expireTs: kind === 'value' && rand.nextInt(5) === 0 ? baseTs + 3_600_000 : undefined,
    });
  }
  return rows;
}

for (const codec of ['none', 'zstd', 'snappy', 'lz4', 'zlib'] as const) {
  test(`ShaleDB writes, SlateDB reads, replays and compacts: ${codec}`, async () => {
    await requireOracle();
    await withDir(async (dir) => {
      const rand = new SeededRand(seed ^ 0x5a5a);
      const put = (path: string, bytes: Uint8Array): void => {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), bytes);
      };
      const baseTs = Date.now() - 60_000;
      const l0: CompactedSsTable[] = [];
      const all: RowEntry[] = [];
      let seq = 1;
      for (let k = 0; k < 4; k++) {
        const rows = ourRows(rand, seq, 1100, baseTs + k * 2000, `k${k % 2}-`).sort(compareRows);
        seq += rows.length;
        const b = new SstBuilder({ compression: codec, blockSize: 1024 });
        for (const r of rows) b.add(r);
        const sst = b.finish();
        const id = Ulid.generate(Date.now(), systemRand);
        put(compactedSstPath('db', id), sstBytes(sst));
        l0.unshift({ id, info: sst.info, formatVersion: sst.formatVersion });
        all.push(...rows);
      }
      const lastL0Seq = seq - 1;
      // Two WAL SSTs after the L0s; rows in commit order (one batch = one seq, keys ascending).
      for (let walId = 1; walId <= 2; walId++) {
        const w = new WalSstBuilder({ compression: codec, blockSize: 1024 });
        for (let batch = 0; batch < 20; batch++) {
          const rows = ourRows(rand, 0, 5, baseTs + 20_000 + walId * 100 + batch, `w${walId}-`)
            .map((r) => ({ ...r, seq, createTs: baseTs + 20_000 + walId * 100 + batch }))
            .sort(compareRows);
          seq++;
          for (const r of rows) w.add(r);
          all.push(...rows);
        }
        put(walSstPath('db', walId), sstBytes(w.finish()));
      }
      put(manifestPath('db', 1), encodeManifest(newManifest()));
      put(
        manifestPath('db', 2),
        encodeManifest({
          ...newManifest(),
          l0,
          lastL0Seq,
          lastL0ClockTick: BigInt(baseTs + 8000),
          replayAfterWalId: 0,
          walIdLastSeen: 0,
        }),
      );
      const r = await runOracleJob({
        kind: 'open-scan',
        options: { dir, codec, blockSizeKib: 1, compactor: { pollInterval: '100ms', maxSstSize: 64 * 1024 } },
        compact: true,
      });
      const scan = scanRows(r);
      const want = resolveVisible(all);
      assert.equal(scan.length, want.length);
      type Kv = { key: Uint8Array; value: Uint8Array; seq: number; createTs?: number; expireTs?: number };
      const row = (x: Kv): unknown[] => [
        Buffer.from(x.key).toString('hex'),
        Buffer.from(x.value).toString('hex'),
        x.seq,
        x.createTs,
        x.expireTs,
      ];
      assert.deepEqual(scan.map(row), want.map(row));
      const files = readDbFiles(dir);
      const latest = decodeManifest(files.manifests.get(Math.max(...files.manifests.keys()))!);
      assert.ok(
        latest.compacted.length > 0 && latest.l0.length === 0,
        'SlateDB compacted the L0s ShaleDB wrote',
      );
      // SlateDB's own files after reading ours still decode and re-encode.
      checkManifests(readDbFiles(dir));
    });
  });
}

test('zlib SSTs were compared by their decompressed parts', async () => {
  await requireOracle();
  // Node's zlib and Rust's miniz_oxide (flate2) produce different deflate streams for the same input at level 6,
  // so zlib SSTs cannot match byte for byte; the suites above compared every decompressed part instead.
  console.log(
    `zlib SSTs compared by parts: ${zlibStats.compared}, byte-identical anyway: ${zlibStats.identical}`,
  );
  assert.ok(zlibStats.compared > 0, 'the zlib configurations compared SSTs');
});
