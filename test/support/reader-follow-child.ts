/**
 * Child process of the side-by-side reader test (test/integration/reader-writer-processes.test.ts): opens a ShaleDB
 * DbReader (managed checkpoint) on `file://<dir>` and scans it over and over while another process writes keys
 * `k000000`, `k000001`, ... with values `v0`, `v1`, ... in seq order. Each scan is reported to the parent as
 * `{ t, n, ok }`: `t` the wall time before the view was taken, `n` the number of keys seen, `ok` whether they were
 * exactly k0..k(n-1) with their values (a prefix of the writes). Stops, closes the reader and exits on "stop".
 *
 * Invariants: one report per scan, in order; a failed scan is reported as `{ error }` and ends the child.
 * Concurrency: one scan at a time.
 */
import { DbReader } from '../../src/db/db-reader.js';
import { fromUtf8 } from '../../src/util/bytes.js';

const [dir, pollMs, lifetimeMs] = process.argv.slice(2);
let stop = false;
process.on('message', (m) => {
  if (m === 'stop') stop = true;
});

async function main(): Promise<void> {
  const reader = await DbReader.open('db', `file://${dir}`, {
    manifestPollInterval: Number(pollMs),
    checkpointLifetime: Number(lifetimeMs),
  });
  process.send!({ type: 'open', checkpointId: reader.status().checkpointId });
  while (!stop) {
    const t = Date.now();
    let n = 0;
    let ok = true;
    for await (const kv of reader.scan()) {
      const want = `k${String(n).padStart(6, '0')}`;
      if (fromUtf8(kv.key) !== want || fromUtf8(kv.value) !== `v${n}`) ok = false;
      n++;
    }
    process.send!({ type: 'view', t, n, ok, manifestId: Number(reader.status().manifestId) });
    await new Promise((r) => setTimeout(r, 5));
  }
  await reader.close();
  process.send!({ type: 'closed' }, () => process.exit(0));
}

main().catch((e) => {
  process.send!({ type: 'error', error: e instanceof Error ? e.stack : String(e) }, () => process.exit(1));
});
