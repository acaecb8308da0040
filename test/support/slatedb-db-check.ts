/**
 * checkSlateDbDirectory: the whole-database interop check run on fixtures and on fresh oracle databases. Every
 * manifest, compactions file, WAL SST, fence and compacted SST must decode, yield exactly the rows the workload
 * wrote (WAL in commit order; each L0 exactly its memtable's rows), re-encode to the same bytes, and the files
 * together must resolve to the same visible data as SlateDB's own scan.
 *
 * Invariants: see format-interop-checks.ts for the byte comparisons; the visible data compared is built only
 * from what the latest manifest references plus the WAL after `replayAfterWalId` (rows above `lastL0Seq`).
 * Concurrency: reads files only; run after the writer is closed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Manifest } from '../../src/format/manifest.js';
import { decodeManifest } from '../../src/format/manifest-codec.js';
import type { RowEntry } from '../../src/format/row.js';
import { toHex } from '../../src/util/bytes.js';
import {
  checkCompactedSstBytes,
  checkCompactions,
  checkManifests,
  checkWalFiles,
  decodeSst,
  plain,
  readDbFiles,
  type SstSettings,
} from './format-interop-checks.js';
import {
  type BatchHandle,
  batchRows,
  l0Rows,
  resolveVisible,
  type VisibleRow,
  type Workload,
  walRows,
} from './slatedb-workload.js';

/** What a check needs to know about the database. */
export interface DbCheckInput {
  readonly dir: string;
  readonly path?: string;
  readonly workload: Workload;
  /** handles[m][b]: seq and create_ts of batch b of memtable m. */
  readonly handles: readonly (readonly BatchHandle[])[];
  readonly settings: SstSettings;
  /** Whether a compaction is expected to have run. */
  readonly compacted?: boolean;
  /** SlateDB's own scan of the database, when the oracle ran. */
  readonly oracleScan?: readonly VisibleRow[];
  /** SlateDB's own reading of the WAL files, when the oracle ran. */
  readonly oracleWal?: ReadonlyMap<number, RowEntry[]>;
  /** Hash of SlateDB's scan (fixtures store it instead of the scan). */
  readonly oracleScanHash?: string;
}

/** What was checked. */
export interface DbCheckReport {
  manifests: number;
  compactions: number;
  walFiles: number;
  fences: number;
  l0Ssts: number;
  sortedRunSsts: number;
  rows: number;
  bytes: number;
}

/** True once the latest manifest holds a sorted run and no L0 (false while files change under the listing). */
export function compactionDone(dir: string, path = 'db'): boolean {
  try {
    const files = readDbFiles(dir, path);
    const m = decodeManifest(files.manifests.get(Math.max(...files.manifests.keys()))!);
    return m.compacted.length > 0 && m.l0.length === 0;
  } catch {
    return false;
  }
}

/** A stable hash of visible rows (fixtures record SlateDB's scan this way). */
export function hashVisible(rows: readonly VisibleRow[]): string {
  const h = createHash('sha256');
  for (const r of rows) h.update(`${toHex(r.key)} ${toHex(r.value)} ${r.seq} ${r.createTs} ${r.expireTs}\n`);
  return h.digest('hex');
}

function l0Order(
  manifests: Map<number, Manifest>,
): Array<{ id: string; formatVersion: number; manifest: Manifest }> {
  const seen = new Set<string>();
  const out: Array<{ id: string; formatVersion: number; manifest: Manifest }> = [];
  for (const [, m] of [...manifests].sort((a, b) => a[0] - b[0])) {
    for (const sst of [...m.l0].reverse()) {
      const id = sst.id.toString();
      if (!seen.has(id)) {
        seen.add(id);
        out.push({ id, formatVersion: sst.formatVersion, manifest: m });
      }
    }
  }
  return out;
}

/** Runs every check; throws on the first failure. */
export async function checkSlateDbDirectory(input: DbCheckInput): Promise<DbCheckReport> {
  const files = readDbFiles(input.dir, input.path);
  const report: DbCheckReport = {
    manifests: files.manifests.size,
    compactions: files.compactions.size,
    walFiles: 0,
    fences: 0,
    l0Ssts: 0,
    sortedRunSsts: 0,
    rows: 0,
    bytes: 0,
  };
  for (const m of [files.manifests, files.compactions, files.wal, files.compacted]) {
    for (const b of m.values()) report.bytes += b.length;
  }
  const manifests = checkManifests(files);
  checkCompactions(files);
  const latest = manifests.get(Math.max(...manifests.keys()))!;

  // WAL: every file decodes and re-encodes; together they hold every written row in commit order.
  const wal = await checkWalFiles(files, input.settings);
  report.walFiles = wal.length;
  report.fences = wal.filter((f) => f.fence).length;
  const ourWal = wal.flatMap((f) => f.rows);
  assert.deepEqual(
    plain(ourWal),
    plain(walRows(input.workload, input.handles)),
    'WAL rows differ from the writes',
  );
  report.rows += ourWal.length;
  if (input.oracleWal !== undefined) {
    for (const f of wal)
      assert.deepEqual(plain(f.rows), plain(input.oracleWal.get(f.id) ?? []), `wal ${f.id} vs WalReader`);
  }

  // L0s: the i-th L0 ever listed is the i-th memtable flush; it holds exactly that memtable's rows.
  const flushed = input.workload.memtables.length - 1;
  const l0s = l0Order(manifests);
  assert.equal(l0s.length, flushed, 'one L0 per memtable flush');
  const decoded = new Map<string, RowEntry[]>();
  for (let i = 0; i < l0s.length; i++) {
    const { id, formatVersion, manifest } = l0s[i]!;
    const bytes = files.compacted.get(id);
    assert.ok(bytes !== undefined, `L0 ${id} is missing`);
    const { info, rows, reader } = await decodeSst(bytes, `L0 ${id}`, formatVersion);
    assert.deepEqual(plain(rows), plain(l0Rows(input.workload, input.handles, i)), `L0 ${id} rows`);
    const entry = manifest.l0.find((s) => s.id.toString() === id)!;
    assert.deepEqual(entry.info, info, `L0 ${id}: manifest info differs from the SST's own`);
    assert.equal(
      info.filterLen > 0,
      rows.length >= (input.settings.minFilterKeys ?? 1000),
      `L0 ${id} filter`,
    );
    for (const r of rows) assert.equal(await reader.mayContain(r.key), true, `L0 ${id}: filter misses a key`);
    report.rows += rows.length;
    report.l0Ssts++;
    decoded.set(id, rows);
  }

  // Every compacted SST (L0 and sorted-run outputs) re-encodes byte for byte from its rows.
  const versionOf = new Map<string, number>();
  for (const m of manifests.values()) {
    for (const s of [...m.l0, ...m.compacted.flatMap((sr) => sr.ssts)])
      versionOf.set(s.id.toString(), s.formatVersion);
  }
  for (const [id, bytes] of files.compacted) {
    let rows = decoded.get(id);
    if (rows === undefined) {
      rows = (await decodeSst(bytes, `SST ${id}`, versionOf.get(id))).rows;
      decoded.set(id, rows);
      report.sortedRunSsts++;
      report.rows += rows.length;
    }
    checkCompactedSstBytes(rows, bytes, input.settings, `SST ${id}`);
  }
  if (input.compacted === true) assert.ok(latest.compacted.length > 0, 'expected a sorted run');

  // The visible data the latest manifest and the WAL after it describe.
  const live: RowEntry[] = [];
  for (const s of [...latest.l0, ...latest.compacted.flatMap((sr) => sr.ssts)]) {
    const rows = decoded.get(s.id.toString());
    assert.ok(rows !== undefined, `manifest references missing SST ${s.id}`);
    live.push(...rows);
  }
  for (const f of wal) {
    if (f.id > latest.replayAfterWalId) live.push(...f.rows.filter((r) => r.seq > latest.lastL0Seq));
  }
  const visible = resolveVisible(live);
  const expectedRows = [
    ...input.workload.memtables.slice(0, flushed).flatMap((_, m) => l0Rows(input.workload, input.handles, m)),
    ...input.workload.memtables[flushed]!.flatMap((ops, b) => batchRows(ops, input.handles[flushed]![b]!)),
  ];
  const expected = resolveVisible(expectedRows);
  assert.deepEqual(
    visible.map(plainVisible),
    expected.map(plainVisible),
    'visible data differs from the workload',
  );
  if (input.oracleScan !== undefined) {
    assert.deepEqual(
      visible.map(plainVisible),
      input.oracleScan.map(plainVisible),
      'visible data differs from SlateDB scan',
    );
  }
  if (input.oracleScanHash !== undefined)
    assert.equal(hashVisible(visible), input.oracleScanHash, 'scan hash');
  return report;
}

function plainVisible(r: VisibleRow): VisibleRow {
  return {
    key: new Uint8Array(r.key),
    value: new Uint8Array(r.value),
    seq: r.seq,
    createTs: r.createTs,
    expireTs: r.expireTs,
  };
}
