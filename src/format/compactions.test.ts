/**
 * Compactions codec: round trips over random compactions files, 0.12.1's omissions (empty lists not written,
 * Submitted status as the default), the derived destination, unknown statuses, and damaged input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fcParams } from '../../test/support/format-arbitraries.js';
import { compactionsArb } from '../../test/support/manifest-arbitraries.js';
import { toHex } from '../util/bytes.js';
import { isDataError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import {
  type Compactions,
  compactionDestination,
  decodeCompactions,
  encodeCompactions,
} from './compactions.js';
import { FbReader } from './flatbuffer-reader.js';

function normalize(c: Compactions): unknown {
  return JSON.parse(
    JSON.stringify(c, (_k, v) => {
      if (v instanceof Uint8Array) return toHex(v);
      if (v instanceof Ulid) return v.toString();
      return v;
    }),
  );
}

test('round trip over random compactions files; re-encoding is stable', () => {
  fc.assert(
    fc.property(compactionsArb, (c) => {
      const bytes = encodeCompactions(c);
      const back = decodeCompactions(bytes);
      assert.deepEqual(normalize(back), normalize(c));
      assert.equal(toHex(encodeCompactions(back)), toHex(bytes));
    }),
    fcParams('compactions round trip', 200),
  );
});

test('empty lists and the default status are omitted, as 0.12.1 writes them', () => {
  const bytes = encodeCompactions({
    compactorEpoch: 0,
    recentCompactions: [
      {
        id: new Ulid(1n, 2n),
        spec: { l0ViewIds: [new Ulid(3n, 4n)], sortedRuns: [] },
        status: 'submitted',
        outputSsts: [],
      },
    ],
  });
  assert.deepEqual([...bytes.subarray(0, 2)], [0, 1]);
  const root = new FbReader(bytes.subarray(2), 't').root();
  assert.equal(root.has(0), false); // epoch 0
  const [job] = root.requiredTables(1, 'recent', (t) => t);
  assert.equal(job!.has(3), false); // status Submitted
  assert.equal(job!.has(4), false); // no outputs
  assert.equal(job!.u8(1), 1); // TieredCompactionSpec
  const spec = job!.requiredTable(2, 'spec');
  assert.equal(spec.has(1), false); // no sorted runs
  assert.equal(spec.has(2), true);
});

test('destination = lowest source sorted run, or 0 without one', () => {
  assert.equal(compactionDestination({ l0ViewIds: [], sortedRuns: [1, 0] }), 0);
  assert.equal(compactionDestination({ l0ViewIds: [], sortedRuns: [5, 3] }), 3);
  assert.equal(compactionDestination({ l0ViewIds: [new Ulid(1n, 1n)], sortedRuns: [] }), 0);
});

test('unknown status reads as submitted; bad version and damage are data errors', () => {
  const c: Compactions = {
    compactorEpoch: 3,
    recentCompactions: [
      { id: new Ulid(1n, 2n), spec: { l0ViewIds: [], sortedRuns: [2] }, status: 'failed', outputSsts: [] },
    ],
  };
  const bytes = encodeCompactions(c);
  const root = new FbReader(bytes.subarray(2), 't').root();
  const statusAt = 2 + root.requiredTables(1, 'recent', (t) => t)[0]!.field(3, 1); // the i8 status (Failed = 3)
  assert.equal(bytes[statusAt], 3);
  const patched = bytes.slice();
  patched[statusAt] = 9;
  assert.equal(decodeCompactions(patched).recentCompactions[0]!.status, 'submitted');
  const v2 = bytes.slice();
  v2[1] = 2;
  assert.throws(() => decodeCompactions(v2), isDataError);
  for (let n = 0; n < bytes.length; n++) {
    try {
      decodeCompactions(bytes.subarray(0, n));
    } catch (e) {
      assert.ok(isDataError(e), String(e));
    }
  }
  for (let i = 0; i < bytes.length; i++) {
    const copy = bytes.slice();
    copy[i]! ^= 0xff;
    try {
      decodeCompactions(copy);
    } catch (e) {
      assert.ok(isDataError(e), String(e));
    }
  }
});
