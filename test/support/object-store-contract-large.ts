/**
 * Contract cases, part 3: objects of 64 MiB and more (single and streamed puts, whole and ranged reads), streams
 * that fail part-way, and the retry wrapper over this store under injected faults (ambiguous creates and CAS
 * resolved by reading back, transient errors and timeouts retried, permanent errors not).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CountingObjectStore } from '../../src/object-store/counting-store.js';
import { FaultInjectingObjectStore, type FaultRule } from '../../src/object-store/fault-injecting-store.js';
import type { ObjectStore } from '../../src/object-store/object-store.js';
import { isObjectStoreError, ObjectStoreError } from '../../src/object-store/object-store.js';
import { RetryingObjectStore } from '../../src/object-store/retrying-store.js';
import { SeededRand } from '../../src/util/random.js';
import type { ContractContext } from './object-store-contract.js';
import { bytesOf, collect, inParallel, rejectsWith, textOf } from './object-store-contract-basic.js';

const MIB = 1024 * 1024;

/** Deterministic bytes: a seeded 64 KiB block repeated, each copy stamped with its index so copies differ. */
export function patternBytes(size: number, seed: number): Buffer {
  const block = Buffer.from(new SeededRand(seed).fillBytes(new Uint8Array(64 * 1024)));
  const out = Buffer.allocUnsafe(size);
  for (let off = 0, i = 0; off < size; off += block.length, i++) {
    block.writeUInt32BE(i, 0);
    block.copy(out, off, 0, Math.min(block.length, size - off));
  }
  return out;
}

async function* chunked(data: Buffer, chunkSize: number): AsyncIterable<Uint8Array> {
  for (let off = 0; off < data.length; off += chunkSize) yield data.subarray(off, off + chunkSize);
}

function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${what}: bytes differ`);
}

/** The retry wrapper over `inner` with faults in between, counting the attempts that reach the fault layer. */
function faulty(
  inner: ObjectStore,
  seed: number,
  rules: readonly FaultRule[],
  errorRate = 0,
): { store: RetryingObjectStore; faults: FaultInjectingObjectStore; counts: CountingObjectStore } {
  const faults = new FaultInjectingObjectStore(inner, {
    seed,
    rules,
    rates: errorRate === 0 ? undefined : { default: { errorRate, appliedFraction: 0.5 } },
  });
  const counts = new CountingObjectStore(faults);
  const store = new RetryingObjectStore(counts, {
    rand: new SeededRand(seed),
    attemptsMax: 40,
    backoffInitialMs: 1,
    backoffMaxMs: 4,
    attemptTimeoutMs: 30_000,
  });
  return { store, faults, counts };
}

export function registerLargeAndFaultCases(ctx: ContractContext): void {
  it('objects of 64 MiB: single put, whole and ranged reads', () =>
    ctx.withStore(async (s) => {
      const data = patternBytes(64 * MIB + 123, ctx.seed);
      if (!ctx.supports.largeObjects) {
        await assert.rejects(s.put('big', data), (e) => isObjectStoreError(e));
        return;
      }
      await s.put('big/single', data);
      assert.equal((await s.head('big/single')).size, data.length);
      sameBytes((await s.get('big/single')).bytes, data, 'whole');
      const mid = await s.get('big/single', { range: { offset: 8 * MIB - 10, length: 20 + MIB } });
      sameBytes(mid.bytes, data.subarray(8 * MIB - 10, 9 * MIB + 10), 'middle range');
      const tail = await s.get('big/single', { range: { suffix: 1000 } });
      assert.equal(tail.offset, data.length - 1000);
      sameBytes(tail.bytes, data.subarray(data.length - 1000), 'suffix');
    }));

  it('streamed puts: 64 MiB in odd-sized chunks, small and empty streams', () =>
    ctx.withStore(async (s) => {
      const data = patternBytes(64 * MIB + 4321, ctx.seed + 1);
      if (ctx.supports.largeObjects) {
        const r = await s.putStream('big/stream', chunked(data, MIB + 7));
        const h = await s.head('big/stream');
        assert.equal(h.size, data.length);
        if (r.etag !== undefined) assert.equal(r.etag, h.etag);
        sameBytes((await s.get('big/stream')).bytes, data, 'streamed');
      }
      await s.putStream('small/stream', chunked(data.subarray(0, 1000), 333));
      sameBytes((await s.get('small/stream')).bytes, data.subarray(0, 1000), 'small stream');
      await s.putStream('small/empty', chunked(Buffer.alloc(0), 1));
      assert.equal((await s.head('small/empty')).size, 0);
      await s.putStream('small/empty', chunked(data.subarray(0, 10), 4));
      sameBytes((await s.get('small/empty')).bytes, data.subarray(0, 10), 'stream overwrite');
    }));

  it('a stream that fails part-way publishes nothing', () =>
    ctx.withStore(async (s) => {
      await s.put('keep', bytesOf('old'));
      const boom = new Error('source failed');
      async function* failing(): AsyncIterable<Uint8Array> {
        yield patternBytes(3 * MIB, ctx.seed);
        yield patternBytes(3 * MIB, ctx.seed + 1);
        throw boom;
      }
      await assert.rejects(s.putStream('keep', failing()));
      assert.equal(textOf((await s.get('keep')).bytes), 'old');
      await assert.rejects(s.putStream('fresh', failing()));
      await rejectsWith(s.head('fresh'), 'not-found');
      assert.deepEqual(
        (await collect(s.list(''))).map((m) => m.path),
        ['keep'],
      );
    }));

  it('retry wrapper: an applied-then-failed create or CAS is resolved by reading back', () =>
    ctx.withStore(async (inner) => {
      const rules: FaultRule[] = [
        { operations: ['put'], path: 'amb/create', calls: [0], kind: 'error', applied: true },
        { operations: ['put'], path: 'amb/cas', calls: [1], kind: 'timeout', applied: true, timeoutMs: 5 },
        { operations: ['put'], path: 'amb/lost', calls: [0], kind: 'error', applied: true },
        { operations: ['put'], path: 'amb/perm', kind: 'error', reason: 'permanent' },
        { operations: ['get', 'head'], path: 'amb/flaky', calls: [0, 1, 2], kind: 'error' },
      ];
      const { store, counts } = faulty(inner, ctx.seed, rules);
      const created = await store.put('amb/create', bytesOf('mine'), { mode: 'create' });
      assert.equal(textOf((await inner.get('amb/create')).bytes), 'mine');
      if (created.etag !== undefined) assert.equal(created.etag, (await inner.head('amb/create')).etag);
      await rejectsWith(store.put('amb/create', bytesOf('again'), { mode: 'create' }), 'already-exists');

      const base = await store.put('amb/cas', bytesOf('v1'));
      await store.put('amb/cas', bytesOf('v2'), {
        mode: { ifMatch: base.etag ?? (await inner.head('amb/cas')).etag! },
      });
      assert.equal(textOf((await inner.get('amb/cas')).bytes), 'v2');

      // The first attempt lands but reports failure; meanwhile another writer replaces the object: a conflict.
      await inner.put('amb/lost', bytesOf('theirs'));
      const etag = (await inner.head('amb/lost')).etag!;
      const interfering: ObjectStore = {
        description: 'interfering',
        async put(path, bytes, options) {
          await inner.put(path, bytes, options);
          await inner.put(path, bytesOf('third'));
          throw new ObjectStoreError('transient', 'put', path, 'connection reset after the request was sent');
        },
        putStream: (path, chunks, options) => inner.putStream(path, chunks, options),
        get: (path, options) => inner.get(path, options),
        head: (path, options) => inner.head(path, options),
        list: (prefix, options) => inner.list(prefix, options),
        delete: (path, options) => inner.delete(path, options),
        close: async () => {},
      };
      const lossy = new RetryingObjectStore(interfering, { backoffInitialMs: 1, backoffMaxMs: 2 });
      await rejectsWith(
        lossy.put('amb/lost', bytesOf('ours'), { mode: { ifMatch: etag } }),
        'precondition-failed',
      );
      assert.equal(textOf((await inner.get('amb/lost')).bytes), 'third');

      const before = counts.calls('put');
      await rejectsWith(store.put('amb/perm', bytesOf('x')), 'permanent');
      assert.equal(counts.calls('put') - before, 1, 'a permanent error is not retried');
      await rejectsWith(inner.head('amb/perm'), 'not-found');

      await inner.put('amb/flaky', bytesOf('ok'));
      assert.equal(textOf((await store.get('amb/flaky')).bytes), 'ok');
      assert.equal((await store.head('amb/flaky')).size, 2);
    }));

  it('retry wrapper: random transient faults leave exactly-once results', () =>
    ctx.withStore(async (inner) => {
      const { store, faults } = faulty(inner, ctx.seed, [], 0.3);
      const keys = Array.from({ length: 20 }, (_, i) => `f/${String(i).padStart(2, '0')}`);
      await inParallel(keys, 4, async (k) => {
        await store.put(k, bytesOf(`created ${k}`), { mode: 'create' });
      });
      for (const k of keys) {
        await rejectsWith(store.put(k, bytesOf('again'), { mode: 'create' }), 'already-exists');
        assert.equal(textOf((await store.get(k)).bytes), `created ${k}`);
      }
      await store.put('f/counter', bytesOf('0'));
      for (let i = 1; i <= 10; i++) {
        for (;;) {
          const g = await store.get('f/counter');
          try {
            await store.put('f/counter', bytesOf(String(Number(textOf(g.bytes)) + 1)), {
              mode: { ifMatch: g.meta.etag! },
            });
            break;
          } catch (e) {
            if (!isObjectStoreError(e, 'precondition-failed')) throw e;
          }
        }
      }
      assert.equal(textOf((await inner.get('f/counter')).bytes), '10');
      const listed = (await collect(store.list('f/'))).map((m) => m.path);
      assert.deepEqual(listed, [...keys, 'f/counter'].sort());
      for (const k of keys.slice(0, 5)) await store.delete(k);
      assert.equal((await collect(inner.list('f/'))).length, keys.length - 4);
      assert.ok(faults.injected.error > 0, 'faults were injected');
    }));
}
