/**
 * Manifest invariants: each named check rejects a manifest that breaks it (and only that check fails for it), a
 * well-formed manifest passes every check, cheap checks run even with invariants disabled, and the manifest store
 * refuses to write a bad manifest (nothing is stored).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_SST_INFO } from '../../test/support/manifest-text.js';
import type { CompactedSsTable, Manifest } from '../format/manifest.js';
import { newManifest } from '../format/manifest.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { invariants } from '../util/assert.js';
import { isShaleDBError } from '../util/errors.js';
import { Ulid, Uuid } from '../util/ids.js';
import { checkManifestWrite, MANIFEST_CHECKS, manifestViolations } from './manifest-invariants.js';
import { manifestStore } from './manifest-store.js';

const key = (s: string): Uint8Array => new TextEncoder().encode(s);

function sst(n: number, first?: string, last?: string): CompactedSsTable {
  return {
    id: new Ulid(1n, BigInt(n)),
    info: {
      ...EMPTY_SST_INFO,
      firstEntry: first === undefined ? undefined : key(first),
      lastEntry: last === undefined ? undefined : key(last),
    },
    formatVersion: 2,
  };
}

function checkpoint(n: number, manifestId: number) {
  return { id: Uuid.fromHighLow(2n, BigInt(n)), manifestId, expireTimeS: 0, createTimeS: 0 };
}

/** A manifest that keeps every rule (written as version 5 after `PREVIOUS`). */
const GOOD: Manifest = {
  ...newManifest(),
  writerEpoch: 3,
  compactorEpoch: 2,
  replayAfterWalId: 10,
  walIdLastSeen: 12,
  lastL0Seq: 100,
  l0: [sst(9, 'a', 'z'), sst(8, 'b', 'c')],
  l0LastCompacted: sst(7).id,
  compacted: [
    { id: 4, ssts: [sst(1, 'a', 'f'), sst(2, 'f', 'k'), sst(3, 'm', 'p')] },
    { id: 1, ssts: [sst(4, 'a', 'z')] },
  ],
  checkpoints: [checkpoint(1, 4), checkpoint(2, 5)],
};
const PREVIOUS: Manifest = { ...GOOD, writerEpoch: 3, compactorEpoch: 2, replayAfterWalId: 9, lastL0Seq: 90 };

/** For each named check, a manifest (and the version it follows) that breaks it and nothing else (but `also`). */
const BAD: Record<string, { m: Manifest; previous?: Manifest; also?: string[] }> = {
  'epochs-never-regress': { m: { ...GOOD, writerEpoch: 2 }, previous: PREVIOUS },
  'writer-progress-never-regresses': { m: { ...GOOD, replayAfterWalId: 8 }, previous: PREVIOUS },
  'l0-ids-unique': { m: { ...GOOD, l0: [sst(9, 'a', 'z'), sst(9, 'a', 'z')] }, also: ['sst-ids-unique'] },
  'l0-last-compacted-not-in-l0': { m: { ...GOOD, l0LastCompacted: sst(8).id } },
  'sorted-runs-descending': { m: { ...GOOD, compacted: [...GOOD.compacted].reverse() } },
  'checkpoints-name-past-manifests': { m: { ...GOOD, checkpoints: [checkpoint(1, 6)] } },
  'sst-ids-unique': {
    m: { ...GOOD, compacted: [GOOD.compacted[0]!, { id: 1, ssts: [sst(9, 'a', 'z')] }] },
  },
  'sorted-run-ssts-in-key-order': {
    m: { ...GOOD, compacted: [{ id: 4, ssts: [sst(1, 'a', 'g'), sst(2, 'f', 'k')] }, GOOD.compacted[1]!] },
  },
};

test('a well-formed manifest keeps every rule', () => {
  assert.deepEqual(manifestViolations(GOOD, 5, PREVIOUS), []);
  assert.deepEqual(manifestViolations(newManifest(), 1, undefined), []);
});

test('every named check has a bad manifest here', () => {
  assert.deepEqual(Object.keys(BAD).sort(), MANIFEST_CHECKS.map((c) => c.name).sort());
});

for (const check of MANIFEST_CHECKS) {
  test(`${check.name} rejects a manifest that breaks it`, () => {
    const bad = BAD[check.name]!;
    assert.deepEqual(
      manifestViolations(bad.m, 5, bad.previous).map((v) => v.name),
      [check.name, ...(bad.also ?? [])],
    );
    const saved = invariants.enabled;
    invariants.enabled = true;
    try {
      assert.throws(
        () => checkManifestWrite(bad.m, 5, bad.previous),
        (e) =>
          isShaleDBError(e, 'internal') && e.code === 'MANIFEST_INVARIANT' && e.message.includes(check.name),
      );
    } finally {
      invariants.enabled = saved;
    }
  });
}

test('cheap checks run with invariants disabled; expensive ones do not', () => {
  const saved = invariants.enabled;
  invariants.enabled = false;
  try {
    for (const check of MANIFEST_CHECKS) {
      const bad = BAD[check.name]!;
      if (check.expensive) checkManifestWrite(bad.m, 5, bad.previous);
      else assert.throws(() => checkManifestWrite(bad.m, 5, bad.previous), /MANIFEST_INVARIANT|breaks/);
    }
  } finally {
    invariants.enabled = saved;
  }
});

test('the manifest store refuses to write a bad manifest, and stores nothing', async () => {
  const store = new MemoryObjectStore();
  const manifests = manifestStore(store, 'db');
  await manifests.write(1, newManifest());
  const bad = BAD['checkpoints-name-past-manifests']!.m;
  await assert.rejects(manifests.write(2, bad, newManifest()), (e) => isShaleDBError(e, 'internal'));
  assert.deepEqual(
    (await manifests.list()).map((v) => v.id),
    [1],
  );
});
