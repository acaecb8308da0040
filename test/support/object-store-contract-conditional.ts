/**
 * Contract cases, part 2: create-if-absent and compare-and-swap, alone and racing: N concurrent creators of one
 * key have exactly one winner, N concurrent CAS writers from one etag have exactly one winner, and CAS increment
 * loops lose no update.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isObjectStoreError } from '../../src/object-store/object-store.js';
import type { ContractContext } from './object-store-contract.js';
import { bytesOf, rejectsWith, textOf } from './object-store-contract-basic.js';

export function registerConditionalCases(ctx: ContractContext): void {
  /** How a race loser may fail: the typed conflict, or (when declared) a transient error. */
  const isLoss = (e: unknown, reason: 'already-exists' | 'precondition-failed'): boolean =>
    isObjectStoreError(e, reason) ||
    (ctx.supports.conditionalLosersMayBeTransient && isObjectStoreError(e, 'transient'));

  it('create succeeds when absent and fails with already-exists, leaving the object, when present', () =>
    ctx.withStore(async (s) => {
      const r = await s.put('c/1', bytesOf('one'), { mode: 'create' });
      assert.equal(textOf((await s.get('c/1')).bytes), 'one');
      await rejectsWith(s.put('c/1', bytesOf('two'), { mode: 'create' }), 'already-exists');
      const h = await s.head('c/1');
      assert.equal(textOf((await s.get('c/1')).bytes), 'one');
      if (r.etag !== undefined) assert.equal(h.etag, r.etag);
      await s.delete('c/1');
      await s.put('c/1', bytesOf('three'), { mode: 'create' });
      assert.equal(textOf((await s.get('c/1')).bytes), 'three');
    }));

  it('ifMatch replaces only the version it names', () =>
    ctx.withStore(async (s) => {
      const v1 = await s.put('k', bytesOf('v1'));
      const etag1 = v1.etag ?? (await s.head('k')).etag;
      assert.ok(etag1 !== undefined, 'the store reports etags');
      const v2 = await s.put('k', bytesOf('v2'), { mode: { ifMatch: etag1 } });
      assert.equal(textOf((await s.get('k')).bytes), 'v2');
      const etag2 = v2.etag ?? (await s.head('k')).etag;
      assert.notEqual(etag2, etag1);
      await rejectsWith(s.put('k', bytesOf('stale'), { mode: { ifMatch: etag1 } }), 'precondition-failed');
      assert.equal(textOf((await s.get('k')).bytes), 'v2');
      await rejectsWith(
        s.put('k', bytesOf('bogus'), { mode: { ifMatch: '"not-an-etag"' } }),
        'precondition-failed',
      );
      await rejectsWith(s.put('absent', bytesOf('x'), { mode: { ifMatch: etag2! } }), 'precondition-failed');
      await rejectsWith(s.get('absent'), 'not-found');
      const v3 = await s.put('k', bytesOf('v3'), { mode: { ifMatch: etag2! } });
      assert.equal((await s.head('k')).etag, v3.etag ?? (await s.head('k')).etag);
    }));

  it('an etag names one version: after delete and re-create, the old etag no longer matches', () =>
    ctx.withStore(async (s) => {
      const v1 = await s.put('d', bytesOf('same'));
      const etag = v1.etag ?? (await s.head('d')).etag!;
      await s.delete('d');
      await s.put('d', bytesOf('same'), { mode: 'create' });
      const recreated = (await s.head('d')).etag;
      if (ctx.supports.versionEtags) {
        assert.notEqual(recreated, etag, 'a re-created object must not reuse the old etag');
        await rejectsWith(s.put('d', bytesOf('late'), { mode: { ifMatch: etag } }), 'precondition-failed');
      } else {
        // Declared limitation (S3): the etag is the MD5 of the bytes, so equal bytes give an equal etag.
        assert.equal(recreated, etag);
        await s.put('d', bytesOf('late'), { mode: { ifMatch: etag } });
        assert.equal(textOf((await s.get('d')).bytes), 'late');
      }
    }));

  it('concurrent creators of one key: exactly one wins', () =>
    ctx.withStore(async (s) => {
      const n = ctx.supports.racers;
      for (let round = 0; round < 3; round++) {
        const key = `race/create-${round}`;
        const results = await Promise.allSettled(
          Array.from({ length: n }, (_, i) => s.put(key, bytesOf(`writer-${i}`), { mode: 'create' })),
        );
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
        for (const r of results) {
          if (r.status === 'rejected')
            assert.ok(isObjectStoreError(r.reason, 'already-exists'), String(r.reason));
        }
        assert.equal(textOf((await s.get(key)).bytes), `writer-${winners[0]}`);
      }
    }));

  it('concurrent compare-and-swap writers from one etag: exactly one wins', () =>
    ctx.withStore(async (s) => {
      const n = ctx.supports.racers;
      await s.put('race/cas', bytesOf('base'));
      for (let round = 0; round < 3; round++) {
        const etag = (await s.head('race/cas')).etag!;
        const results = await Promise.allSettled(
          Array.from({ length: n }, (_, i) =>
            s.put('race/cas', bytesOf(`round-${round}-writer-${i}`), { mode: { ifMatch: etag } }),
          ),
        );
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
        for (const r of results) {
          if (r.status === 'rejected') assert.ok(isLoss(r.reason, 'precondition-failed'), String(r.reason));
        }
        assert.equal(textOf((await s.get('race/cas')).bytes), `round-${round}-writer-${winners[0]}`);
      }
    }));

  it('compare-and-swap increment loops lose no update', () =>
    ctx.withStore(async (s) => {
      const workers = Math.min(8, ctx.supports.racers);
      const each = 5;
      // Each write names its writer: a retrying store that meets an ambiguous failure decides by reading back,
      // and identical bytes from another writer would count as its own (a documented limit of read-back).
      await s.put('counter', bytesOf('0:init'));
      const value = (bytes: Uint8Array) => Number(textOf(bytes).split(':')[0]);
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          for (let done = 0; done < each; ) {
            const g = await s.get('counter');
            const next = `${value(g.bytes) + 1}:${w}`;
            try {
              await s.put('counter', bytesOf(next), { mode: { ifMatch: g.meta.etag! } });
              done++;
            } catch (e) {
              if (!isLoss(e, 'precondition-failed')) throw e;
            }
          }
        }),
      );
      assert.equal(value((await s.get('counter')).bytes), workers * each);
    }));
}
