/**
 * Corruption, on real SlateDB 0.12.1 files (the fixtures): every single-byte flip (XOR 0xff) and every
 * truncation of a sample of SSTs (data, filter, index, stats, info and footer bytes; uncompressed and with each
 * codec; L0, sorted-run, WAL and fence) makes a full read fail with a typed data error (CHECKSUM_MISMATCH or
 * INVALID_FORMAT / DECOMPRESSION_FAILED), never a crash, a hang or a wrong row. Manifests and compactions files
 * carry no checksum: each flip and truncation gives a data error or a different but valid decode.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readDbFiles } from '../../test/support/format-interop-checks.js';
import { FIXTURE_ROOT } from '../../test/support/slatedb-fixture-specs.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { isDataError } from '../util/errors.js';
import { decodeCompactions } from './compactions.js';
import { decodeManifest } from './manifest-codec.js';
import type { RowEntry } from './row.js';
import { collectRows } from './row-iterator.js';
import { SstReader } from './sst-reader.js';

/** Reads everything an SST holds: info, index, filter, stats, every row; and probes the filter. */
async function readAll(bytes: Uint8Array, formatVersion: number | undefined): Promise<RowEntry[]> {
  const store = new MemoryObjectStore();
  await store.put('sst', bytes);
  const r = await SstReader.open(store, 'sst', { formatVersion });
  await r.index();
  await r.filter();
  await r.stats();
  const rows = await collectRows(r.iter());
  for (const row of rows.slice(0, 3)) await r.get(row.key);
  return rows;
}

const CODES = new Set(['CHECKSUM_MISMATCH', 'INVALID_FORMAT', 'DECOMPRESSION_FAILED']);

function expectDataError(e: unknown, what: string): void {
  assert.ok(isDataError(e), `${what}: not a data error: ${e}`);
  assert.ok(CODES.has(e.code), `${what}: unexpected code ${e.code}`);
}

interface SstSample {
  readonly fixture: string;
  readonly kind: 'l0-small' | 'l0-filtered' | 'sorted-run' | 'wal' | 'fence';
}

const SST_SAMPLES: readonly SstSample[] = [
  { fixture: 'zstd-4k', kind: 'l0-filtered' },
  { fixture: 'none-4k', kind: 'l0-small' },
  { fixture: 'snappy-1k', kind: 'l0-small' },
  { fixture: 'lz4-64k', kind: 'l0-small' },
  { fixture: 'zlib-4k', kind: 'l0-small' },
  { fixture: 'compacted-none-4k', kind: 'sorted-run' },
  { fixture: 'snappy-1k', kind: 'wal' },
  { fixture: 'none-4k', kind: 'fence' },
];

function pick(s: SstSample): { bytes: Uint8Array; formatVersion: number | undefined } {
  const files = readDbFiles(join(FIXTURE_ROOT, s.fixture));
  const manifest = decodeManifest(files.manifests.get(Math.max(...files.manifests.keys()))!);
  if (s.kind === 'wal' || s.kind === 'fence') {
    const ids = [...files.wal.keys()].sort((a, b) => a - b);
    return { bytes: files.wal.get(s.kind === 'fence' ? ids[0]! : ids[1]!)!, formatVersion: undefined };
  }
  const ssts = s.kind === 'sorted-run' ? manifest.compacted.flatMap((sr) => sr.ssts) : manifest.l0;
  const sized = ssts
    .map((x) => ({ x, n: files.compacted.get(x.id.toString())!.length }))
    .sort((a, b) => a.n - b.n);
  const chosen = s.kind === 'l0-filtered' ? sized[sized.length - 1]!.x : sized[0]!.x;
  if (s.kind === 'l0-filtered') assert.ok(chosen.info.filterLen > 0);
  return { bytes: files.compacted.get(chosen.id.toString())!, formatVersion: chosen.formatVersion };
}

for (const s of SST_SAMPLES) {
  test(`every flip and truncation of a ${s.fixture} ${s.kind} SST is a data error`, async () => {
    const { bytes, formatVersion } = pick(s);
    const clean = await readAll(bytes, formatVersion);
    assert.ok(s.kind === 'fence' ? clean.length === 0 : clean.length > 0);
    let flips = 0;
    for (let i = 0; i < bytes.length; i++) {
      const copy = bytes.slice();
      copy[i]! ^= 0xff;
      try {
        await readAll(copy, formatVersion);
        assert.fail(`flip at ${i} of ${bytes.length} went unnoticed`);
      } catch (e) {
        expectDataError(e, `flip at ${i}`);
      }
      flips++;
    }
    for (let n = 0; n < bytes.length; n++) {
      try {
        await readAll(bytes.subarray(0, n), formatVersion);
        assert.fail(`truncation to ${n} went unnoticed`);
      } catch (e) {
        expectDataError(e, `truncation to ${n}`);
      }
    }
    console.log(
      `${s.fixture} ${s.kind}: ${bytes.length} bytes, ${flips} flips and ${bytes.length} truncations`,
    );
  });
}

test('every flip and truncation of real manifests and compactions files: a data error or a valid decode', () => {
  const samples: Array<{ what: string; bytes: Uint8Array; decode: (b: Uint8Array) => unknown }> = [];
  for (const fixture of ['none-4k', 'compacted-none-4k']) {
    const files = readDbFiles(join(FIXTURE_ROOT, fixture));
    for (const [id, b] of files.manifests)
      samples.push({ what: `${fixture} manifest ${id}`, bytes: b, decode: decodeManifest });
    for (const [id, b] of files.compactions) {
      samples.push({ what: `${fixture} compactions ${id}`, bytes: b, decode: decodeCompactions });
    }
  }
  let valid = 0;
  let errors = 0;
  for (const s of samples) {
    s.decode(s.bytes);
    const variants: Uint8Array[] = [];
    for (let i = 0; i < s.bytes.length; i++) {
      for (const mask of [0xff, 0x01, 0x80]) {
        const copy = s.bytes.slice();
        copy[i]! ^= mask;
        variants.push(copy);
      }
    }
    for (let n = 0; n < s.bytes.length; n++) variants.push(s.bytes.subarray(0, n));
    for (const v of variants) {
      try {
        s.decode(v);
        valid++;
      } catch (e) {
        assert.ok(isDataError(e), `${s.what}: ${e}`);
        errors++;
      }
    }
  }
  console.log(`manifest/compactions variants: ${errors} data errors, ${valid} different-but-valid decodes`);
  assert.ok(errors > 0 && valid > 0);
});
