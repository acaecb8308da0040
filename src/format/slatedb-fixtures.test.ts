/**
 * SlateDB 0.12.1 fixtures (testdata/slatedb-0.12.1/, written by scripts/make-slatedb-fixtures.ts with the real
 * SlateDB): every manifest, compactions file, WAL SST, fence, L0 and sorted-run SST decodes to exactly the rows
 * the workload wrote, re-encodes to the same bytes (zlib: the same decompressed parts), and the files resolve to
 * the data SlateDB's own scan returned (compared by hash). Runs without the oracle.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertSameSst, readDbFiles } from '../../test/support/format-interop-checks.js';
import { checkSlateDbDirectory } from '../../test/support/slatedb-db-check.js';
import { FIXTURE_ROOT, FIXTURES, type FixtureRecord } from '../../test/support/slatedb-fixture-specs.js';
import { makeWorkload } from '../../test/support/slatedb-workload.js';
import { toHex } from '../util/bytes.js';
import { newManifest } from './manifest.js';
import { decodeManifest, encodeManifest } from './manifest-codec.js';
import { encodeFenceSst } from './sst-builder.js';

for (const spec of FIXTURES) {
  test(`fixture ${spec.name}: decodes exactly and re-encodes byte for byte`, async () => {
    const dir = join(FIXTURE_ROOT, spec.name);
    const record = JSON.parse(readFileSync(join(dir, 'workload.json'), 'utf8')) as FixtureRecord;
    assert.equal(record.slatedbVersion, '0.12.1');
    const report = await checkSlateDbDirectory({
      dir,
      workload: makeWorkload(record.spec.workload),
      handles: record.handles,
      settings: { codec: spec.codec, blockSize: spec.blockSizeKib * 1024 },
      compacted: spec.compact,
      oracleScanHash: record.scanHash,
    });
    console.log(`${spec.name}: ${JSON.stringify(report)}`);
    assert.ok(report.fences >= 1);
    assert.equal(report.l0Ssts, record.spec.workload.memtables.length - 1);
    if (spec.compact === true) assert.ok(report.sortedRunSsts >= 2, 'compaction output rolled over');
    const files = readDbFiles(dir);
    // Manifest 1 of a new database is the 106-byte golden; the fence is our fence.
    assert.equal(toHex(files.manifests.get(1)!), toHex(encodeManifest(newManifest())));
    const fenceId = [...files.wal.keys()].sort((a, b) => a - b)[0]!;
    assertSameSst(encodeFenceSst(spec.codec), files.wal.get(fenceId)!, spec.codec, 'fence');
    const latest = decodeManifest(files.manifests.get(Math.max(...files.manifests.keys()))!);
    assert.ok(latest.writerEpoch >= 1);
    for (const s of [...latest.l0, ...latest.compacted.flatMap((sr) => sr.ssts)])
      assert.equal(s.formatVersion, 2);
  });
}
