/**
 * Checks shared by the SlateDB 0.12.1 fixture tests and the oracle interop suites: read every file of a
 * database SlateDB wrote, decode it with ShaleDB's codecs, compare rows with what the workload wrote, and
 * re-encode to compare bytes.
 *
 * Invariants: every manifest and compactions file must re-encode byte for byte; every SST must re-encode byte
 * for byte from its decoded rows with the database's settings, except with zlib, where only the decompressed
 * parts are compared (Node's zlib and Rust's miniz_oxide produce different deflate streams; see
 * docs/format.md#compression). Failures name the file and the first differing offset.
 * Concurrency: reads only; run after the writer is closed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Compactions, decodeCompactions, encodeCompactions } from '../../src/format/compactions.js';
import type { CompressionCodec } from '../../src/format/compression.js';
import type { Manifest } from '../../src/format/manifest.js';
import { decodeManifest, encodeManifest } from '../../src/format/manifest-codec.js';
import { parseCompactionsId, parseManifestId, parseWalId } from '../../src/format/object-paths.js';
import type { RowEntry } from '../../src/format/row.js';
import { collectRows } from '../../src/format/row-iterator.js';
import { encodeFenceSst, SstBuilder, sstBytes, WalSstBuilder } from '../../src/format/sst-builder.js';
import { decodeFooter, FOOTER_SIZE, unframePart, verifyPart } from '../../src/format/sst-framing.js';
import { SstIndex } from '../../src/format/sst-index.js';
import { decodeSsTableInfo, type SsTableInfo } from '../../src/format/sst-info.js';
import { SstReader } from '../../src/format/sst-reader.js';
import { MemoryObjectStore } from '../../src/object-store/memory-store.js';
import { toHex } from '../../src/util/bytes.js';
import { plainRow } from './format-arbitraries.js';

/** The raw files of one database directory, by kind. */
export interface DbFiles {
  readonly manifests: Map<number, Uint8Array>;
  readonly compactions: Map<number, Uint8Array>;
  readonly wal: Map<number, Uint8Array>;
  readonly compacted: Map<string, Uint8Array>;
}

/** Reads every file under `{dir}/{path}`. */
export function readDbFiles(dir: string, path = 'db'): DbFiles {
  const files: DbFiles = {
    manifests: new Map(),
    compactions: new Map(),
    wal: new Map(),
    compacted: new Map(),
  };
  const root = join(dir, path);
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        walk(p);
        continue;
      }
      const rel = relative(root, p);
      if (/#\d+$/.test(name)) continue; // a writer's staging file, not an object
      const bytes = new Uint8Array(readFileSync(p));
      if (rel.startsWith('manifest/')) files.manifests.set(parseManifestId(rel)!, bytes);
      else if (rel.startsWith('compactions/')) files.compactions.set(parseCompactionsId(rel)!, bytes);
      else if (rel.startsWith('wal/')) files.wal.set(parseWalId(rel)!, bytes);
      else if (rel.startsWith('compacted/')) files.compacted.set(name.slice(0, name.indexOf('.')), bytes);
      else if (!rel.endsWith('.json')) assert.fail(`unexpected file ${rel}`);
    }
  };
  walk(root);
  return files;
}

/** Index of the first differing byte, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Asserts equal bytes, naming the first differing offset. */
export function assertSameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  const d = firstDifference(got, want);
  if (d >= 0) {
    const ctx = (b: Uint8Array): string => toHex(b.subarray(Math.max(0, d - 8), d + 8));
    assert.fail(
      `${what}: bytes differ at offset ${d} (ours ${got.length} bytes ...${ctx(got)}..., theirs ${want.length} bytes ...${ctx(want)}...)`,
    );
  }
}

/** Decodes every manifest, checks each re-encodes byte for byte; returns them by id. */
export function checkManifests(files: DbFiles): Map<number, Manifest> {
  const out = new Map<number, Manifest>();
  for (const [id, bytes] of [...files.manifests].sort((a, b) => a[0] - b[0])) {
    const m = decodeManifest(bytes, `manifest ${id}`);
    assertSameBytes(encodeManifest(m), bytes, `manifest ${id}`);
    out.set(id, m);
  }
  return out;
}

/** Decodes every compactions file, checks each re-encodes byte for byte. */
export function checkCompactions(files: DbFiles): Map<number, Compactions> {
  const out = new Map<number, Compactions>();
  for (const [id, bytes] of files.compactions) {
    const c = decodeCompactions(bytes, `compactions ${id}`);
    assertSameBytes(encodeCompactions(c), bytes, `compactions ${id}`);
    out.set(id, c);
  }
  return out;
}

/** Every part of an SST after checksum check and decompression, in file order. */
export function sstRawParts(bytes: Uint8Array, what: string): Array<{ name: string; raw: Uint8Array }> {
  const { infoOffset, version } = decodeFooter(
    bytes.subarray(bytes.length - FOOTER_SIZE),
    bytes.length,
    what,
  );
  const infoRaw = verifyPart(bytes.subarray(infoOffset, bytes.length - FOOTER_SIZE), what);
  const info = decodeSsTableInfo(infoRaw, what);
  const part = (o: number, l: number, name: string): { name: string; raw: Uint8Array } => ({
    name,
    raw: unframePart(info.compressionCodec, bytes.subarray(o, o + l), `${what} ${name}`),
  });
  const index = part(info.indexOffset, info.indexLen, 'index');
  const idx = SstIndex.decode(index.raw, what);
  const out = idx.offsets.map((o, i) =>
    part(o, (i + 1 < idx.blockCount ? idx.offsets[i + 1]! : info.filterOffset) - o, `block ${i}`),
  );
  if (info.filterLen > 0) out.push(part(info.filterOffset, info.filterLen, 'filter'));
  out.push(index);
  if (info.statsLen > 0) out.push(part(info.statsOffset, info.statsLen, 'stats'));
  out.push({ name: 'info', raw: infoRaw }, { name: 'version', raw: Uint8Array.of(version) });
  return out;
}

/** Compares our SST with theirs: bytes, or (zlib) every decompressed part plus the info. */
export function assertSameSst(
  ours: Uint8Array,
  theirs: Uint8Array,
  codec: CompressionCodec,
  what: string,
): void {
  if (codec !== 'zlib') {
    assertSameBytes(ours, theirs, what);
    return;
  }
  const a = sstRawParts(ours, `ours ${what}`);
  const b = sstRawParts(theirs, `theirs ${what}`);
  assert.deepEqual(
    a.map((p) => p.name),
    b.map((p) => p.name),
    `${what}: part lists differ`,
  );
  for (let i = 0; i < a.length; i++) {
    const name = a[i]!.name;
    if (name === 'index') {
      // Block offsets follow the compressed sizes; the keys must match.
      const ka = SstIndex.decode(a[i]!.raw, what).keys.map(toHex);
      const kb = SstIndex.decode(b[i]!.raw, what).keys.map(toHex);
      assert.deepEqual(ka, kb, `${what}: index keys differ`);
    } else if (name === 'info') {
      const ia = decodeSsTableInfo(a[i]!.raw, what);
      const ib = decodeSsTableInfo(b[i]!.raw, what);
      const fixed = (x: SsTableInfo): unknown => ({
        first: x.firstEntry && toHex(x.firstEntry),
        last: x.lastEntry && toHex(x.lastEntry),
        codec: x.compressionCodec,
        type: x.sstType,
        filter: x.filterLen > 0,
        stats: x.statsLen > 0,
      });
      assert.deepEqual(fixed(ia), fixed(ib), `${what}: info differs`);
    } else {
      assertSameBytes(a[i]!.raw, b[i]!.raw, `${what} ${name} (decompressed)`);
    }
  }
  zlibStats.compared++;
  if (firstDifference(ours, theirs) < 0) zlibStats.identical++;
}

/** How many zlib SSTs were compared, and how many were byte-identical anyway. */
export const zlibStats = { compared: 0, identical: 0 };

/** Opens SST bytes with ShaleDB's reader and returns info and every row in stored order. */
export async function decodeSst(
  bytes: Uint8Array,
  what: string,
  formatVersion?: number,
): Promise<{ info: SsTableInfo; rows: RowEntry[]; reader: SstReader }> {
  const store = new MemoryObjectStore();
  await store.put('sst', bytes);
  const reader = await SstReader.open(store, 'sst', { formatVersion });
  const rows = await collectRows(reader.iter());
  assert.ok(reader.info !== undefined, what);
  return { info: reader.info, rows, reader };
}

/** Settings SlateDB built its SSTs with. */
export interface SstSettings {
  readonly codec: CompressionCodec;
  readonly blockSize: number;
  readonly minFilterKeys?: number;
  readonly filterBitsPerKey?: number;
}

/** Re-encodes a compacted SST's rows and compares with the file. */
export function checkCompactedSstBytes(
  rows: readonly RowEntry[],
  file: Uint8Array,
  s: SstSettings,
  what: string,
): void {
  const b = new SstBuilder({
    blockSize: s.blockSize,
    compression: s.codec,
    minFilterKeys: s.minFilterKeys ?? 1000,
    filterBitsPerKey: s.filterBitsPerKey ?? 10,
  });
  for (const r of rows) b.add(r);
  assertSameSst(sstBytes(b.finish()), file, s.codec, what);
}

/** Decoded WAL files, by id: rows, and whether the file is a writer fence (an empty compacted-type SST). */
export interface WalFile {
  readonly id: number;
  readonly rows: RowEntry[];
  readonly fence: boolean;
}

/** Decodes every WAL file and checks each re-encodes byte for byte (fences against ShaleDB's fence). */
export async function checkWalFiles(files: DbFiles, s: SstSettings): Promise<WalFile[]> {
  const out: WalFile[] = [];
  for (const [id, bytes] of [...files.wal].sort((a, b) => a[0] - b[0])) {
    const what = `wal ${id}`;
    const { info, rows } = await decodeSst(bytes, what);
    const fence = info.sstType === 'compacted';
    if (fence) {
      assert.equal(rows.length, 0, `${what}: a fence holds no rows`);
      assertSameSst(encodeFenceSst(s.codec), bytes, s.codec, what);
    } else {
      const b = new WalSstBuilder({ blockSize: s.blockSize, compression: s.codec });
      for (const r of rows) b.add(r);
      assertSameSst(sstBytes(b.finish()), bytes, s.codec, what);
    }
    out.push({ id, rows, fence });
  }
  return out;
}

/** Rows as comparable plain objects. */
export function plain(rows: readonly RowEntry[]): RowEntry[] {
  return rows.map(plainRow);
}
