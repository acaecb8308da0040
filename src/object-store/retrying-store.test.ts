/**
 * RetryingObjectStore: the contract suite with random transient faults (some applied before failing) injected
 * below it, and the retry rules one at a time on a manual clock: bounded attempts and total time, backoff delays
 * within their jitter bounds, no retry of permanent errors or plain conflicts, per-attempt timeouts, listings that
 * resume after a failure, and conditional puts that read back instead of re-sending blindly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { describeObjectStoreContract } from '../../test/support/object-store-contract.js';
import { bytesOf, collect, rejectsWith, textOf } from '../../test/support/object-store-contract-basic.js';
import { ManualClock } from '../util/clock.js';
import { SeededRand, testSeed } from '../util/random.js';
import { CountingObjectStore } from './counting-store.js';
import { FaultInjectingObjectStore } from './fault-injecting-store.js';
import { MemoryObjectStore } from './memory-store.js';
import type { ListOptions, ObjectMeta, ObjectStore } from './object-store.js';
import { ObjectStoreError } from './object-store.js';
import { RetryPolicy } from './retry-policy.js';
import { RetryingObjectStore } from './retrying-store.js';

const seed = testSeed();
// Puts fail before they apply (an applied ifMatch write that another writer then replaces is reported as a
// conflict, which concurrent increment loops would count twice; see retrying-store.ts); every other operation
// fails half the time after it ran. Every put failure is still ambiguous to the wrapper, so it reads back.
const putFaults = { errorRate: 0.15, appliedFraction: 0 };
const otherFaults = { errorRate: 0.15, appliedFraction: 0.5 };
describeObjectStoreContract('retrying over random transient faults (memory below)', {
  seed,
  makeStore: async () =>
    new RetryingObjectStore(
      new FaultInjectingObjectStore(new MemoryObjectStore(), {
        seed,
        rates: {
          put: putFaults,
          get: otherFaults,
          head: otherFaults,
          list: otherFaults,
          delete: otherFaults,
        },
      }),
      { rand: new SeededRand(seed), backoffInitialMs: 1, backoffMaxMs: 4, attemptsMax: 50 },
    ),
});

/** Runs `p` to completion, advancing the manual clock in 1 ms steps. */
async function drive<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  const settled = p.finally(() => {
    done = true;
  });
  settled.catch(() => {});
  for (let i = 0; i < 1_000_000 && !done; i++) await clock.advance(1);
  return settled;
}

function failing(
  reason: ObjectStoreError['reason'],
  times = Number.POSITIVE_INFINITY,
): FaultInjectingObjectStore {
  return new FaultInjectingObjectStore(new MemoryObjectStore(), {
    rules: [{ kind: 'error', reason, calls: { to: times } }],
  });
}

describe('retry rules', () => {
  it('stops after attemptsMax attempts with the last error, waiting backoff delays within bounds', async () => {
    const clock = new ManualClock();
    const counting = new CountingObjectStore(failing('transient'));
    const delays: number[] = [];
    const s = new RetryingObjectStore(counting, {
      clock,
      rand: new SeededRand(seed),
      attemptsMax: 6,
      backoffInitialMs: 10,
      backoffMaxMs: 40,
      onRetry: (e) => delays.push(e.delayMs),
    });
    await assert.rejects(drive(clock, s.get('x')), (e: unknown) => {
      assert.ok(e instanceof ObjectStoreError && e.reason === 'transient');
      assert.match(e.message, /gave up after 6 attempts/);
      return true;
    });
    assert.equal(counting.calls('get'), 6);
    const caps = [10, 20, 40, 40, 40];
    assert.equal(delays.length, 5);
    for (const [i, d] of delays.entries()) assert.ok(d >= caps[i]! / 2 && d <= caps[i]!, `delay ${i}: ${d}`);
  });

  it('stops when the next retry would pass totalTimeMs', async () => {
    const clock = new ManualClock();
    const counting = new CountingObjectStore(failing('transient'));
    const s = new RetryingObjectStore(counting, {
      clock,
      attemptsMax: 1000,
      totalTimeMs: 100,
      backoffInitialMs: 20,
      backoffMaxMs: 20,
    });
    const start = clock.monotonicMs();
    await rejectsWith(drive(clock, s.head('x')), 'transient');
    assert.ok(clock.monotonicMs() - start <= 100);
    assert.ok(
      counting.calls('head') >= 5 && counting.calls('head') <= 11,
      `${counting.calls('head')} attempts`,
    );
  });

  it('retries transient failures until success, but never permanent errors or plain conflicts', async () => {
    const clock = new ManualClock();
    const flaky = new CountingObjectStore(failing('transient', 3));
    const s = new RetryingObjectStore(flaky, { clock, backoffInitialMs: 1 });
    await drive(clock, s.put('a', bytesOf('v')));
    assert.equal(flaky.calls('put'), 4);
    const perm = new CountingObjectStore(failing('permanent'));
    await rejectsWith(new RetryingObjectStore(perm, { clock }).put('a', bytesOf('v')), 'permanent');
    assert.equal(perm.calls('put'), 1);
    const mem = new CountingObjectStore(new MemoryObjectStore());
    const r = new RetryingObjectStore(mem, { clock });
    await r.put('k', bytesOf('1'), { mode: 'create' });
    await rejectsWith(r.put('k', bytesOf('2'), { mode: 'create' }), 'already-exists');
    await rejectsWith(r.get('nope'), 'not-found');
    assert.equal(mem.calls('put'), 2);
    assert.equal(mem.calls('get'), 1, 'no read-back without an ambiguous attempt');
  });

  it('abandons an attempt that exceeds attemptTimeoutMs (aborting it) and retries', async () => {
    const clock = new ManualClock();
    const mem = new MemoryObjectStore();
    await mem.put('k', bytesOf('v'));
    let calls = 0;
    const aborted: boolean[] = [];
    const hanging: ObjectStore = {
      ...passThrough(mem),
      get(path, options) {
        calls++;
        if (calls > 1) return mem.get(path, options);
        return new Promise((_, reject) => {
          options?.signal?.addEventListener('abort', () => {
            aborted.push(true);
            reject(options.signal!.reason);
          });
        });
      },
    };
    const s = new RetryingObjectStore(hanging, { clock, attemptTimeoutMs: 50, backoffInitialMs: 1 });
    const g = await drive(clock, s.get('k'));
    assert.equal(textOf(g.bytes), 'v');
    assert.equal(calls, 2);
    assert.deepEqual(aborted, [true]);
  });

  it('a listing that fails part-way resumes after the last yielded path', async () => {
    const mem = new MemoryObjectStore();
    for (const k of ['a', 'b', 'c', 'd', 'e']) await mem.put(k, bytesOf(k));
    const starts: (string | undefined)[] = [];
    const breaking: ObjectStore = {
      ...passThrough(mem),
      async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
        starts.push(options?.startAfter);
        let n = 0;
        for await (const m of mem.list(prefix, options)) {
          if (starts.length === 1 && n === 2)
            throw new ObjectStoreError('transient', 'list', prefix, 'reset');
          n++;
          yield m;
        }
      },
    };
    const s = new RetryingObjectStore(breaking, { backoffInitialMs: 1, backoffMaxMs: 1 });
    assert.deepEqual(
      (await collect(s.list(''))).map((m) => m.path),
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.deepEqual(starts, [undefined, 'b']);
  });

  it('an ambiguous create of an absent object is sent again only after reading back', async () => {
    const mem = new MemoryObjectStore();
    const faults = new FaultInjectingObjectStore(mem, {
      rules: [{ operations: ['put'], calls: [0], kind: 'error' }],
    });
    const counting = new CountingObjectStore(faults);
    const s = new RetryingObjectStore(counting, { backoffInitialMs: 1, backoffMaxMs: 1 });
    await s.put('k', bytesOf('mine'), { mode: 'create' });
    assert.equal(counting.calls('put'), 2);
    assert.equal(counting.calls('get'), 1, 'read back before re-sending');
    assert.equal(textOf((await mem.get('k')).bytes), 'mine');
  });

  it('an aborted signal stops the retries', async () => {
    const clock = new ManualClock();
    const counting = new CountingObjectStore(failing('transient'));
    const s = new RetryingObjectStore(counting, { clock, backoffInitialMs: 1000, backoffMaxMs: 1000 });
    const c = new AbortController();
    const p = s.get('x', { signal: c.signal });
    await clock.advance(10);
    c.abort(new Error('caller gave up'));
    await assert.rejects(p, /caller gave up/);
    assert.equal(counting.calls('get'), 1);
  });

  it('backoff delays stay within [cap/2, cap] and never exceed backoffMaxMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer(),
        (initial, max, attempt, s) => {
          const p = new RetryPolicy({ backoffInitialMs: initial, backoffMaxMs: max }, new SeededRand(s));
          const cap = Math.min(max, initial * 2 ** (attempt - 1));
          const d = p.nextDelayMs(attempt);
          return d >= cap / 2 && d <= cap && d <= max;
        },
      ),
    );
  });
});

/** An ObjectStore object literal that forwards everything to `s`. */
function passThrough(s: ObjectStore): ObjectStore {
  return {
    description: s.description,
    put: (p, b, o) => s.put(p, b, o),
    putStream: (p, c, o) => s.putStream(p, c, o),
    get: (p, o) => s.get(p, o),
    head: (p, o) => s.head(p, o),
    list: (p, o) => s.list(p, o),
    delete: (p, o) => s.delete(p, o),
    close: () => s.close(),
  };
}
