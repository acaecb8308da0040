/**
 * WalWriter tests: a buffer that reaches its size limit is frozen at once, so WAL SSTs stay bounded even while an
 * earlier flush is still being written; flushes stay in id order and a batch's promise settles only after its SST.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowEntry } from '../format/row.js';
import { SystemClock } from '../util/clock.js';
import { Deferred } from '../util/deferred.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { WalWriter } from './wal-writer.js';

function rows(from: number, n: number, valueBytes: number): RowEntry[] {
  const out: RowEntry[] = [];
  for (let i = 0; i < n; i++) {
    const k = from + i;
    out.push({
      key: Uint8Array.of(k >> 16, k >> 8, k),
      value: new Uint8Array(valueBytes),
      seq: k + 1,
      kind: 'value',
      createTs: 0,
      expireTs: undefined,
    });
  }
  return out;
}

test('a full buffer is frozen at once: WAL SSTs stay near the size limit while an earlier flush is slow', async () => {
  const clock = new SystemClock();
  const executor = new TaskExecutor(clock);
  const gate = new Deferred<void>();
  const written: { id: number; rows: number; hint: number }[] = [];
  const maxBufferBytes = 64 * 1024;
  const wal = new WalWriter({
    executor,
    clock,
    writeWalSst: async (id, r, hint) => {
      await gate.promise;
      written.push({ id, rows: r.length, hint });
    },
    nextWalId: 1,
    flushIntervalMs: null,
    maxBufferBytes,
    onFlushed: () => {},
  });
  // 100 batches of 10 rows of ~1 KiB, each followed by the size check, as the write path does.
  const durable: Promise<void>[] = [];
  for (let b = 0; b < 100; b++) {
    durable.push(wal.append(rows(b * 10, 10, 1000)));
    wal.maybeTriggerFlush();
  }
  assert.ok(wal.estimatedBytes > 10 * maxBufferBytes, 'the first flush is still blocked');
  let settled = 0;
  for (const p of durable) void p.then(() => settled++);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, 0, 'nothing is durable before its SST is written');
  gate.resolve();
  await wal.flush();
  await Promise.all(durable);
  const total = written.reduce((n, w) => n + w.rows, 0);
  assert.equal(total, 1000);
  assert.deepEqual(
    written.map((w) => w.id),
    written.map((_, i) => i + 1),
  );
  for (const w of written) {
    // At most the limit plus the batch that crossed it (10 rows of ~1 KiB).
    assert.ok(w.hint <= maxBufferBytes + 11_000, `WAL SST ${w.id} hint ${w.hint} is over the limit`);
  }
  assert.ok(written.length >= 14, `${written.length} WAL SSTs for ~1 MiB at a 64 KiB limit`);
  await executor.shutdown();
});
