/**
 * The embedded compactor's and GC's metrics in `db.metrics()`: after L0s are compacted, `slatedb.compactor.
 * bytes_compacted` counts the output, `running_compactions` is back to 0 and `last_compaction_timestamp_sec` is set;
 * GC passes count `slatedb.gc.count` and the objects they delete per resource.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { findMetric } from '../util/metrics.js';
import { Db } from './open.js';

function metric(db: Db, name: string, labels: Record<string, string> = {}): number {
  const m = findMetric(db.metrics(), name, labels);
  assert.ok(m !== undefined && m.kind !== 'histogram', `${name} is registered`);
  return m.value as number;
}

test('compactor and GC metrics', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), {
    settings: {
      flushInterval: '5ms',
      l0SstSizeBytes: 4096,
      manifestPollInterval: '20ms',
      compactorOptions: { pollInterval: '20ms', maxSstSize: 16 * 1024 },
      garbageCollectorOptions: {
        walOptions: { interval: '20ms', minAge: '0s' },
        manifestOptions: { interval: '20ms', minAge: '0s' },
        compactedOptions: null,
        compactionsOptions: null,
      },
    },
  });
  const before = Math.floor(Date.now() / 1000);
  for (let round = 0; round < 8; round++) {
    for (let i = 0; i < 50; i++) await db.put(`k${round}-${i}`, 'x'.repeat(50), { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
  for (let i = 0; i < 500 && db.status().sortedRunCount === 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(db.status().sortedRunCount > 0, 'a compaction ran');
  for (let i = 0; i < 500 && metric(db, 'slatedb.gc.deleted_count', { resource: 'wal' }) === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(metric(db, 'slatedb.compactor.bytes_compacted') > 0);
  assert.ok(metric(db, 'slatedb.compactor.last_compaction_timestamp_sec') >= before);
  assert.ok(metric(db, 'slatedb.compactor.running_compactions') >= 0);
  assert.ok(metric(db, 'slatedb.gc.count') > 0);
  assert.ok(metric(db, 'slatedb.gc.deleted_count', { resource: 'wal' }) > 0, 'old WAL SSTs were collected');
  assert.equal(metric(db, 'slatedb.gc.deleted_count', { resource: 'compacted' }), 0, 'compacted GC is off');
  await db.close();
  assert.equal(metric(db, 'slatedb.compactor.running_compactions'), 0, 'no compaction runs after close');
});
