/**
 * Compaction interop with the real SlateDB 0.12.1 on one `file://` directory:
 * - SlateDB's compactor compacts a ShaleDB-written database (L0s with puts, deletes, merges) into a sorted run; the
 *   contents are unchanged and both engines read the result;
 * - ShaleDB's compactor compacts a SlateDB-written database; likewise.
 * Method: the visible rows (key, value) before compaction are the expectation; after compaction each engine's scan
 * must equal it, and the latest manifest must hold a sorted run and no L0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Db } from '../../src/open/open.js';
import { testSeed } from '../../src/util/random.js';
import { concat, shaleScan, showRows, toWriteBatch } from '../support/db-interop.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { compactionDone } from '../support/slatedb-db-check.js';
import { requireOracle } from '../support/slatedb-oracle.js';
import { RemoteOracle } from '../support/slatedb-remote.js';
import { makeWorkload, type WorkloadOp } from '../support/slatedb-workload.js';
import { INTEROP_WAIT, waitFor } from '../support/wait.js';

const show = (rows: ReadonlyArray<{ key: Uint8Array; value: Uint8Array }>) => showRows(rows);

/** Long TTLs only: a 1 ms TTL would expire at compaction and make the expectation depend on timing. */
const toBatch = (ops: readonly WorkloadOp[]) => toWriteBatch(ops, 1000);

const noCompaction = {
  flushInterval: '10ms',
  compactorOptions: null,
  garbageCollectorOptions: null,
} as const;

test('SlateDB 0.12.1 compacts a ShaleDB-written database; both read the result', async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const w = makeWorkload({ seed, memtables: [[30], [30], [30], [30], [30]] });
    const db = await Db.open('db', `file://${dir}`, { settings: noCompaction, mergeOperator: concat });
    for (const mt of w.memtables) {
      for (const b of mt) await db.write(toBatch(b));
      await db.flush({ type: 'memtable' });
    }
    const expected = show(await shaleScan(db));
    assert.equal(db.status().l0Count, 5);
    await db.close();

    const slate = await RemoteOracle.open({
      dir,
      mergeOperator: 'concat',
      compactor: { pollInterval: '100ms' },
    });
    try {
      await waitFor(() => compactionDone(dir), 'SlateDB to compact the L0s', INTEROP_WAIT);
      assert.deepEqual(show(await slate.scan()), expected);
    } finally {
      await slate.close('shutdown');
    }
    const again = await Db.open('db', `file://${dir}`, { settings: noCompaction, mergeOperator: concat });
    assert.equal(again.status().l0Count, 0);
    assert.ok(again.status().sortedRunCount >= 1);
    assert.deepEqual(show(await shaleScan(again)), expected);
    await again.close();
  });
});

test('ShaleDB compacts a SlateDB-written database; both read the result', async () => {
  await requireOracle();
  const seed = testSeed();
  console.log(`seed ${seed}`);
  await withTempDir(async (dir) => {
    const w = makeWorkload({ seed, memtables: [[30], [30], [30], [30], [30], [10]] });
    const slate = await RemoteOracle.open({ dir, mergeOperator: 'concat' });
    try {
      for (let i = 0; i < w.memtables.length; i++) {
        for (const b of w.memtables[i]!) {
          await slate.write(
            b.map((op) =>
              op.type === 'put' && op.ttlMs !== undefined && op.ttlMs < 1000
                ? { type: 'put', key: op.key, value: op.value }
                : op,
            ),
          );
        }
        if (i < w.memtables.length - 1) await slate.flushMemtable();
      }
    } finally {
      await slate.close('shutdown');
    }
    const settings = {
      flushInterval: '10ms',
      garbageCollectorOptions: null,
      manifestPollInterval: '50ms',
      compactorOptions: { pollInterval: '50ms' },
    };
    const db = await Db.open('db', `file://${dir}`, { settings, mergeOperator: concat });
    const before = show(await shaleScan(db));
    await waitFor(() => compactionDone(dir), 'ShaleDB to compact the L0s', INTEROP_WAIT);
    await waitFor(() => db.status().l0Count === 0, 'the writer to see the compaction', INTEROP_WAIT);
    assert.deepEqual(show(await shaleScan(db)), before);
    await db.close();

    const slate2 = await RemoteOracle.open({ dir, mergeOperator: 'concat' });
    try {
      assert.deepEqual(show(await slate2.scan()), before);
    } finally {
      await slate2.close('shutdown');
    }
  });
});
