/**
 * Writes the SlateDB 0.12.1 fixtures under testdata/slatedb-0.12.1/ with the real SlateDB (`@slatedb/uniffi`):
 * one database per entry of test/support/slatedb-fixture-specs.ts plus its workload.json.
 *
 * Invariants: each fixture directory is replaced whole; nothing else under testdata is touched. Fixtures are
 * never rewritten by tests; rerun this script (node --import tsx scripts/make-slatedb-fixtures.ts [name...]
 * [--out DIR]) only to regenerate them on purpose (--out writes elsewhere, e.g. to compare).
 * Concurrency: run alone.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactionDone, hashVisible } from '../test/support/slatedb-db-check.js';
import { FIXTURE_ROOT, FIXTURES, type FixtureRecord } from '../test/support/slatedb-fixture-specs.js';
import { loadOracle, runOracleWorkload } from '../test/support/slatedb-oracle.js';
import { makeWorkload } from '../test/support/slatedb-workload.js';

const m = await loadOracle();
if (m === undefined) {
  console.error('@slatedb/uniffi is not installed');
  process.exit(1);
}
const version = JSON.parse(
  readFileSync(new URL('../node_modules/@slatedb/uniffi/package.json', import.meta.url), 'utf8'),
).version as string;
const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const root = outAt >= 0 ? argv[outAt + 1]! : FIXTURE_ROOT;
const only = argv.filter((_, i) => outAt < 0 || (i !== outAt && i !== outAt + 1));
for (const spec of FIXTURES) {
  if (only.length > 0 && !only.includes(spec.name)) continue;
  const dir = join(root, spec.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const run = await runOracleWorkload(
    m,
    {
      dir,
      codec: spec.codec,
      blockSizeKib: spec.blockSizeKib,
      compactor: spec.compact === true ? { pollInterval: '100ms', maxSstSize: 16 * 1024 } : undefined,
    },
    makeWorkload(spec.workload),
    spec.compact === true ? compactionDone : undefined,
  );
  const record: FixtureRecord = {
    spec,
    handles: run.handles,
    scanHash: hashVisible(run.scan),
    slatedbVersion: version,
  };
  writeFileSync(join(dir, 'workload.json'), `${JSON.stringify(record, null, 1)}\n`);
  console.log(`${spec.name}: written`);
}
