/**
 * LatencyModelObjectStore: meets the contract (with a tiny model on the real clock), and on a manual clock each
 * request completes exactly at first-byte latency + bytes / bandwidth; listings pay per page; streamed uploads
 * per part; jitter stays within its bounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeObjectStoreContract } from '../../test/support/object-store-contract.js';
import { bytesOf, collect } from '../../test/support/object-store-contract-basic.js';
import { type Clock, ManualClock } from '../util/clock.js';
import { LatencyModelObjectStore, S3_STANDARD_MODEL } from './latency-model-store.js';
import { MemoryObjectStore } from './memory-store.js';

describeObjectStoreContract('latency model (memory below, 0-1 ms latencies)', {
  makeStore: async () =>
    new LatencyModelObjectStore(new MemoryObjectStore(), {
      model: { getMs: 0, headMs: 0, putMs: 1, listMs: 0, deleteMs: 0, bandwidthBytesPerSec: 1e12 },
    }),
});

/** The manual-clock time at which `p` settles, advancing 1 ms at a time. */
async function settleTime(clock: ManualClock, p: Promise<unknown>): Promise<number> {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  const start = clock.monotonicMs();
  for (let i = 0; i < 100_000 && !done; i++) {
    await clock.advance(1);
    await new Promise((r) => setImmediate(r));
  }
  return clock.monotonicMs() - start;
}

/** A clock whose sleeps return at once and are recorded. */
class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  nowMs(): number {
    return 0;
  }
  monotonicMs(): number {
    return 0;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
  }
}

describe('latency model timing', () => {
  it('defaults are the documented S3 Standard figures', () => {
    assert.equal(S3_STANDARD_MODEL.getMs, 20);
    assert.equal(S3_STANDARD_MODEL.bandwidthBytesPerSec, 93_000_000);
  });

  it('gets and puts take first-byte latency plus transfer time', async () => {
    const clock = new ManualClock();
    const s = new LatencyModelObjectStore(new MemoryObjectStore(), {
      clock,
      model: { getMs: 20, putMs: 50, bandwidthBytesPerSec: 1_000_000 },
    });
    const data = new Uint8Array(100_000);
    assert.equal(await settleTime(clock, s.put('k', data)), 50 + 100);
    assert.equal(await settleTime(clock, s.get('k')), 20 + 100);
    assert.equal(await settleTime(clock, s.get('k', { range: { offset: 0, length: 10_000 } })), 20 + 10);
  });

  it('listings pay listMs per page; streamed uploads pay putMs per part', async () => {
    const clock = new RecordingClock();
    const mem = new MemoryObjectStore();
    for (let i = 0; i < 25; i++) await mem.put(`k${String(i).padStart(2, '0')}`, bytesOf('v'));
    const s = new LatencyModelObjectStore(mem, {
      clock,
      model: { listMs: 30, listPageSize: 10, putMs: 5, partSizeBytes: 1000, bandwidthBytesPerSec: 1e12 },
    });
    assert.equal((await collect(s.list(''))).length, 25);
    assert.deepEqual(clock.sleeps, [30, 30, 30]);
    clock.sleeps.length = 0;
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 5; i++) yield new Uint8Array(700);
    }
    await s.putStream('big', chunks());
    assert.equal(clock.sleeps.length, 4, '3 full parts of 1000 bytes and a last one of 500');
    for (const ms of clock.sleeps) assert.ok(Math.abs(ms - 5) < 0.01, `part took ${ms} ms`);
  });

  it('jitter keeps each latency within [1 - j, 1 + j] of the model', async () => {
    const clock = new ManualClock();
    const s = new LatencyModelObjectStore(new MemoryObjectStore(), {
      clock,
      seed: 42,
      model: { headMs: 100, jitterFraction: 0.2 },
    });
    await s.inner.put('k', bytesOf('v'));
    const times: number[] = [];
    for (let i = 0; i < 20; i++) times.push(await settleTime(clock, s.head('k')));
    for (const t of times) assert.ok(t >= 80 && t <= 121, `head took ${t} ms`);
    assert.ok(new Set(times).size > 1, 'jitter varies');
  });
});
