/**
 * Database metrics: `db.metrics()` counts what happened (writes, batches, gets, scans, flushes, WAL and L0 flushes,
 * object-store requests, block cache accesses, disk cache parts) under SlateDB 0.12.1's names; the registered names
 * a user's recorder receives the same values; absorbed background failures reach the logger. (The names are checked
 * against SlateDB 0.12.1 in test/metric-names.test.ts, which can load the compactor and GC.)
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { LogFields, LogLevel } from '../util/logger.js';
import { DefaultMetricsRecorder, findMetric, type Metric } from '../util/metrics.js';
import { Db } from './db.js';

function value(ms: readonly Metric[], name: string, labels: Record<string, string> = {}): number {
  const m = findMetric(ms, name, labels);
  assert.ok(m !== undefined, `${name} ${JSON.stringify(labels)} is registered`);
  assert.notEqual(m.kind, 'histogram');
  return m.value as number;
}

test('db.metrics() counts requests, writes, flushes and object-store traffic under 0.12.1 names', async () => {
  const user = new DefaultMetricsRecorder();
  const db = await Db.open('db', new MemoryObjectStore(), {
    settings: { compactorOptions: null, garbageCollectorOptions: null, flushInterval: null },
    metricsRecorder: user,
  });
  for (let i = 0; i < 10; i++) await db.put(`k${i}`, `v${i}`, { awaitDurable: false });
  await db.delete('k0', { awaitDurable: false });
  await db.flush();
  let m = db.metrics();
  assert.equal(value(m, 'slatedb.db.write_ops'), 11);
  assert.equal(value(m, 'slatedb.db.write_batch_count'), 11);
  assert.equal(value(m, 'slatedb.db.request_count', { op: 'flush' }), 1);
  assert.equal(value(m, 'slatedb.db.wal_buffer_flush_requests'), 1);
  assert.ok(value(m, 'slatedb.db.wal_buffer_flushes') >= 1);
  assert.equal(value(m, 'slatedb.db.immutable_memtable_flushes'), 0);
  assert.ok(value(m, 'slatedb.db.total_mem_size_bytes') > 0);
  await db.flush({ type: 'memtable' });
  for (let i = 0; i < 4; i++) await db.get(`k${i}`);
  const it = db.scan();
  let rows = 0;
  for await (const _ of it) rows++;
  assert.equal(rows, 9);
  m = db.metrics();
  assert.equal(value(m, 'slatedb.db.request_count', { op: 'get' }), 4);
  assert.equal(value(m, 'slatedb.db.request_count', { op: 'scan' }), 1);
  assert.equal(value(m, 'slatedb.db.immutable_memtable_flushes'), 1);
  assert.ok(value(m, 'slatedb.db.l0_flush_bytes') > 0);
  assert.equal(value(m, 'slatedb.db.l0_sst_count'), 1);
  const labels = { component: 'db', store_type: 'main', op: 'put', api: 'put' };
  assert.ok(value(m, 'slatedb.object_store.request_count', labels) >= 3, 'manifest, WAL and L0 puts');
  assert.equal(value(m, 'slatedb.object_store.error_count', labels), 0);
  const hist = findMetric(m, 'slatedb.object_store.request_duration_seconds', labels);
  assert.equal(hist?.kind, 'histogram');
  if (hist?.kind === 'histogram')
    assert.equal(hist.value.count, value(m, 'slatedb.object_store.request_count', labels));
  const dbCache = ['hit', 'miss'].reduce(
    (n, result) =>
      n +
      ['filter', 'index', 'data_block'].reduce(
        (k, kind) => k + value(m, 'slatedb.db_cache.access_count', { entry_kind: kind, result }),
        0,
      ),
    0,
  );
  assert.ok(dbCache > 0, 'the block cache was consulted');
  // The user's recorder saw the same events.
  assert.equal(value(user.snapshot(), 'slatedb.db.request_count', { op: 'get' }), 4);
  assert.match(db.metricsText(), /^slatedb_db_request_count\{op="get"\} 4$/m);
  await db.close();
});

test('bloom filter outcomes are counted: positives, negatives, false positives', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), {
    settings: { compactorOptions: null, garbageCollectorOptions: null, flushInterval: null },
    blockCacheBytes: 0,
  });
  for (let i = 0; i < 2000; i++) await db.put(`key${i}`, 'v', { awaitDurable: false });
  await db.flush({ type: 'memtable' });
  for (let i = 0; i < 100; i++) assert.notEqual(await db.get(`key${i * 7}`), undefined);
  for (let i = 0; i < 1000; i++)
    assert.equal(await db.get(`key1${String(i).padStart(3, '0')}_absent`), undefined);
  const m = db.metrics();
  const pos = value(m, 'slatedb.db.sst_filter_positive_count');
  const neg = value(m, 'slatedb.db.sst_filter_negative_count');
  const fp = value(m, 'slatedb.db.sst_filter_false_positive_count');
  assert.equal(pos + neg, 1100, 'one L0 SST, probed once per get');
  assert.equal(fp, pos - 100, 'present keys are never false positives; every absent positive is');
  assert.ok(neg >= 900, `10 bits per key keep false positives rare (${fp})`);
  await db.close();
});

test('merge operands are counted on the read and flush paths', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), {
    settings: { compactorOptions: null, garbageCollectorOptions: null, flushInterval: null },
    mergeOperator: (_k, existing, ops) =>
      Buffer.concat([...(existing === undefined ? [] : [existing]), ...ops]),
  });
  for (const part of ['a', 'b', 'c']) await db.merge('k', part, { awaitDurable: false });
  const operands = (path: string): number => value(db.metrics(), 'slatedb.merge_operator_operands', { path });
  assert.equal(operands('read'), 0);
  assert.equal(Buffer.from((await db.get('k'))!).toString(), 'abc');
  // Intermediate results merged again count again (as in 0.12.1), so at least the three operands.
  const read = operands('read');
  assert.ok(read >= 3, `read operands ${read}`);
  assert.equal(operands('flush'), 0);
  await db.flush({ type: 'memtable' });
  assert.ok(operands('flush') >= 3, `flush operands ${operands('flush')}`);
  assert.equal(operands('read'), read, 'flushing is not reading');
  await db.close();
});

test('a bad metricsRecorder or logger is an invalid argument', async () => {
  for (const options of [{ metricsRecorder: {} }, { logger: { log: 1 } }, { logger: null }]) {
    await assert.rejects(
      Db.open('db', new MemoryObjectStore(), options as never),
      (e: unknown) => (e as { code?: string }).code === 'INVALID_ARGUMENT',
    );
  }
});

test('absorbed background failures reach the logger, structured', async () => {
  await withTempDir(async (dir) => {
    const records: { level: LogLevel; message: string; fields: LogFields | undefined }[] = [];
    const root = join(dir, 'cache');
    const settings = {
      compactorOptions: null,
      garbageCollectorOptions: null,
      objectStoreCacheOptions: { rootFolder: root, partSizeBytes: 4096 },
    };
    const mem = new MemoryObjectStore();
    const w = await Db.open('db', mem, { settings });
    for (let i = 0; i < 50; i++) await w.put(`k${i}`, `v${i}`, { awaitDurable: false });
    await w.flush({ type: 'memtable' });
    await w.close();
    const db = await Db.open('db', mem, {
      settings,
      blockCacheBytes: 0,
      logger: { log: (level, message, fields) => records.push({ level, message, fields }) },
    });
    // The cache folder becomes unusable: saves fail, reads are still served from the store, and it is logged.
    rmSync(root, { recursive: true, force: true });
    writeFileSync(root, 'not a folder');
    assert.equal(Buffer.from((await db.get('k7'))!).toString(), 'v7');
    await db.close();
    const warn = records.find(
      (r) => r.message.startsWith('disk cache operation failed') && /^save /.test(String(r.fields?.['what'])),
    );
    assert.ok(warn !== undefined, JSON.stringify(records));
    assert.equal(warn.level, 'warn');
    assert.ok(warn.fields?.['error'] instanceof Error);
  });
});
