/**
 * FaultInjectingObjectStore and PathGlob: rules select calls by operation, path glob and call index; `applied`
 * faults run the call before failing; timeouts hang on the clock; random rates are reproducible from the seed;
 * with only latency faults the wrapped store still meets the whole contract.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeObjectStoreContract } from '../../test/support/object-store-contract.js';
import { bytesOf, rejectsWith, textOf } from '../../test/support/object-store-contract-basic.js';
import { ManualClock } from '../util/clock.js';
import { testSeed } from '../util/random.js';
import { FaultInjectingObjectStore } from './fault-injecting-store.js';
import { MemoryObjectStore } from './memory-store.js';
import { PathGlob } from './path-glob.js';

const seed = testSeed();
describeObjectStoreContract('fault injector with latency faults only (memory below)', {
  seed,
  makeStore: async () =>
    new FaultInjectingObjectStore(new MemoryObjectStore(), {
      seed,
      rates: { default: { latencyRate: 0.05, latencyMs: 1 } },
    }),
});

describe('path globs', () => {
  it('* stays within a segment, ** crosses segments, ? is one character, the rest is literal', () => {
    const cases: [string, string, boolean][] = [
      ['wal/*.sst', 'wal/00000000000000000001.sst', true],
      ['wal/*.sst', 'wal/x/y.sst', false],
      ['**.sst', 'compacted/01ARZ.sst', true],
      ['**', 'anything/at/all', true],
      ['manifest/?.manifest', 'manifest/1.manifest', true],
      ['manifest/?.manifest', 'manifest/12.manifest', false],
      ['a.b', 'aXb', false],
      ['a+(b)', 'a+(b)', true],
      ['exact', 'exact/more', false],
    ];
    for (const [pattern, path, want] of cases)
      assert.equal(new PathGlob(pattern).matches(path), want, `${pattern} ~ ${path}`);
  });
});

describe('fault rules', () => {
  it('match by operation, path glob and call index among the selected calls', async () => {
    const mem = new MemoryObjectStore();
    const s = new FaultInjectingObjectStore(mem, {
      rules: [
        { operations: ['put'], path: 'wal/*', calls: [1, 3], kind: 'error' },
        { operations: ['get'], calls: { from: 2, to: 4 }, kind: 'error', reason: 'permanent' },
      ],
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      outcomes.push(
        await s.put(`wal/${i}`, bytesOf('x')).then(
          () => 'ok',
          (e) => e.reason,
        ),
      );
      await s.put(`other/${i}`, bytesOf('y'));
    }
    assert.deepEqual(outcomes, ['ok', 'transient', 'ok', 'transient', 'ok']);
    assert.equal(mem.size, 8);
    const gets: string[] = [];
    for (let i = 0; i < 6; i++)
      gets.push(
        await s.get('other/0').then(
          () => 'ok',
          (e) => e.reason,
        ),
      );
    assert.deepEqual(gets, ['ok', 'ok', 'permanent', 'permanent', 'ok', 'ok']);
    assert.equal(s.injected.error, 4);
  });

  it('an applied fault performs the write and then reports failure', async () => {
    const mem = new MemoryObjectStore();
    const s = new FaultInjectingObjectStore(mem, {
      rules: [{ operations: ['put'], kind: 'error', applied: true }],
    });
    await rejectsWith(s.put('k', bytesOf('written anyway'), { mode: 'create' }), 'transient');
    assert.equal(textOf((await mem.get('k')).bytes), 'written anyway');
  });

  it('a timeout hangs for timeoutMs on the clock, then fails transiently; latency delays the call', async () => {
    const clock = new ManualClock();
    const mem = new MemoryObjectStore();
    await mem.put('k', bytesOf('v'));
    const s = new FaultInjectingObjectStore(mem, {
      clock,
      rules: [
        { operations: ['get'], calls: [0], kind: 'timeout', timeoutMs: 500 },
        { operations: ['head'], kind: 'latency', latencyMs: 200 },
      ],
    });
    let settled = false;
    const p = s.get('k').finally(() => {
      settled = true;
    });
    p.catch(() => {});
    await clock.advance(499);
    assert.equal(settled, false);
    await clock.advance(1);
    await rejectsWith(p, 'transient');
    let headDone = false;
    const h = s.head('k').then((m) => {
      headDone = true;
      return m;
    });
    await clock.advance(199);
    assert.equal(headDone, false);
    await clock.advance(1);
    assert.equal((await h).size, 1);
  });

  it('random rates are reproducible from the seed', async () => {
    const pattern = async (sd: number): Promise<string> => {
      const s = new FaultInjectingObjectStore(new MemoryObjectStore(), {
        seed: sd,
        rates: { put: { errorRate: 0.3 } },
      });
      let out = '';
      for (let i = 0; i < 200; i++)
        out += await s.put(`k${i}`, bytesOf('v')).then(
          () => '.',
          () => 'x',
        );
      return out;
    };
    const a = await pattern(seed);
    assert.equal(await pattern(seed), a);
    const errors = [...a].filter((c) => c === 'x').length;
    assert.ok(errors > 20 && errors < 100, `${errors} of 200 at rate 0.3`);
  });

  it('disabled injects nothing', async () => {
    const s = new FaultInjectingObjectStore(new MemoryObjectStore(), { rules: [{ kind: 'error' }] });
    s.enabled = false;
    await s.put('k', bytesOf('v'));
    assert.equal(textOf((await s.get('k')).bytes), 'v');
  });
});
