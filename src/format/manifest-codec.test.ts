/**
 * Manifest codec: the spec's 106-byte golden first manifest, V1 round trips over random manifests (every field,
 * optional parts present and absent), V2 decoding, the sequence tracker's golden bytes, and damaged input (every
 * flip and truncation of sample manifests gives a data error or a valid manifest, never a crash or a hang).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fcParams } from '../../test/support/format-arbitraries.js';
import { compactedSstArb, manifestArb } from '../../test/support/manifest-arbitraries.js';
import { fromHex, toHex } from '../util/bytes.js';
import { isDataError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import { createOffsetVector, createUlid, finishBytes, newBuilder } from './flatbuffer-writer.js';
import { type CompactedSsTable, type Manifest, newManifest } from './manifest.js';
import { decodeManifest, encodeManifest } from './manifest-codec.js';
import { addBytesRange } from './manifest-parts-codec.js';
import { EMPTY_SEQUENCE_TRACKER, SequenceTracker } from './sequence-tracker.js';
import { addSsTableInfo } from './sst-info.js';

const GOLDEN_FIRST_MANIFEST =
  '0001 28000000240020000000000007000000000000000000000008000c001800100000000000000014002400000000000001340000' +
  '002c000000240000000c00000000000000000000800d00000001000000000000000000000000000000000000000000000000000000';

test('golden: the first manifest of a new database is 106 identical bytes', () => {
  const bytes = encodeManifest(newManifest());
  assert.equal(bytes.length, 106);
  assert.equal(toHex(bytes), toHex(fromHex(GOLDEN_FIRST_MANIFEST)));
  const m = decodeManifest(fromHex(GOLDEN_FIRST_MANIFEST));
  assert.equal(m.initialized, true);
  assert.equal(m.lastL0ClockTick, -(2n ** 63n));
  assert.equal(toHex(m.sequenceTracker), '01000000000000000000000000');
});

test('sequence tracker golden: one entry (seq 1, ts 1795338441)', () => {
  const t = new SequenceTracker();
  t.insert(1n, 1795338441n);
  assert.equal(toHex(t.toBytes()), '01010000000000000100000000000000010000000100000000' + '6b02b0c9');
  const back = SequenceTracker.fromBytes(t.toBytes(), 't');
  assert.deepEqual(back.seqs, [1n]);
  assert.deepEqual(back.timestampsS, [1795338441n]);
  assert.equal(toHex(EMPTY_SEQUENCE_TRACKER), '01000000000000000000000000');
});

test('sequence tracker: one sample per 60 s, round trips with large deltas', () => {
  const t = new SequenceTracker();
  t.insert(1n, 100n);
  t.insert(2n, 120n); // within 60 s: dropped
  t.insert(5n, 160n);
  t.insert(5n + 2_000_000_000n, 1n << 31n);
  t.insert(5n + 2_000_000_700n, (1n << 31n) + 61n);
  assert.deepEqual(t.seqs, [1n, 5n, 2_000_000_005n, 2_000_000_705n]);
  const back = SequenceTracker.fromBytes(t.toBytes(), 't');
  assert.deepEqual(back.seqs, t.seqs);
  assert.deepEqual(back.timestampsS, t.timestampsS);
  // A delta-of-delta beyond 32 bits keeps only its low 32 bits, exactly as 0.12.1 encodes it.
  const wide = new SequenceTracker();
  wide.insert(0n, 0n);
  wide.insert(1n << 40n, 100n);
  assert.deepEqual(SequenceTracker.fromBytes(wide.toBytes(), 't').seqs, [0n, 0n]);
});

function normalize(m: Manifest): unknown {
  return JSON.parse(
    JSON.stringify(m, (_k, v) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v instanceof Uint8Array) return toHex(v);
      if (v instanceof Ulid) return v.toString();
      if (v !== null && typeof v === 'object' && 'bytes' in v && v.bytes instanceof Uint8Array)
        return v.toString();
      return v;
    }),
  );
}

test('V1 round trip over random manifests, and re-encoding is stable', () => {
  fc.assert(
    fc.property(manifestArb, (m) => {
      const bytes = encodeManifest(m);
      const back = decodeManifest(bytes);
      assert.deepEqual(normalize(back), normalize(m));
      assert.equal(toHex(encodeManifest(back)), toHex(bytes));
    }),
    fcParams('manifest round trip', 200),
  );
});

function encodeV2(ssts: CompactedSsTable[], l0Views: Array<[Ulid, Ulid]>, lastView?: Ulid): Uint8Array {
  const b = newBuilder();
  const sstTables = ssts.map((s) => {
    const id = createUlid(b, s.id);
    const info = addSsTableInfo(b, s.info);
    b.startObject(3);
    b.addFieldOffset(0, id, 0);
    b.addFieldOffset(1, info, 0);
    b.addFieldInt16(2, s.formatVersion, null);
    return b.endObject();
  });
  const sstVec = createOffsetVector(b, sstTables);
  const views = l0Views.map(([viewId, sst]) => {
    const id = createUlid(b, viewId);
    const sstId = createUlid(b, sst);
    const range = addBytesRange(b, {
      start: { type: 'included', key: Uint8Array.of(1) },
      end: { type: 'unbounded' },
    });
    b.startObject(3);
    b.addFieldOffset(0, id, 0);
    b.addFieldOffset(1, sstId, 0);
    b.addFieldOffset(2, range, 0);
    return b.endObject();
  });
  const l0 = createOffsetVector(b, views);
  const compacted = createOffsetVector(b, []);
  const checkpoints = createOffsetVector(b, []);
  const last = lastView === undefined ? 0 : createUlid(b, lastView);
  b.startObject(16);
  b.addFieldInt64(3, 7n, 0n);
  b.addFieldInt64(6, 9n, 0n);
  b.addFieldOffset(8, sstVec, 0);
  b.addFieldOffset(9, l0, 0);
  b.addFieldOffset(10, compacted, 0);
  b.addFieldInt64(11, 1234n, 0n);
  b.addFieldOffset(12, checkpoints, 0);
  b.addFieldInt64(13, 55n, 0n);
  if (last !== 0) b.addFieldOffset(7, last, 0);
  b.addFieldInt8(2, 1, 0);
  return finishBytes(b, b.endObject(), 2);
}

test('V2 manifests decode with their views resolved', () => {
  const [a, c] = fc
    .sample(compactedSstArb, { numRuns: 2, seed: 42 })
    .map((s) => ({ ...s, visibleRange: undefined }));
  const view = new Ulid(5n, 6n);
  const m = decodeManifest(
    encodeV2(
      [a!, c!],
      [
        [view, c!.id],
        [a!.id, a!.id],
      ],
      view,
    ),
  );
  assert.equal(m.writerEpoch, 7);
  assert.equal(m.walIdLastSeen, 9);
  assert.equal(m.lastL0Seq, 55);
  assert.equal(m.lastL0ClockTick, 1234n);
  assert.equal(m.walObjectStoreUri, undefined);
  assert.equal(m.l0LastCompacted, undefined);
  assert.ok(m.l0LastCompactedViewId?.equals(view));
  assert.equal(m.l0.length, 2);
  assert.ok(m.l0[0]!.id.equals(c!.id));
  assert.ok(m.l0[0]!.viewId?.equals(view));
  assert.equal(m.l0[1]!.viewId, undefined);
  assert.deepEqual(m.l0[0]!.visibleRange?.start, { type: 'included', key: Uint8Array.of(1) });
  assert.equal(toHex(m.sequenceTracker), toHex(EMPTY_SEQUENCE_TRACKER));
  // A view naming an unknown SST is a data error.
  assert.throws(() => decodeManifest(encodeV2([a!], [[view, c!.id]])), isDataError);
});

test('unsupported versions and short input are data errors', () => {
  const bytes = encodeManifest(newManifest());
  for (const v of [0, 3, 0xffff]) {
    const copy = bytes.slice();
    copy[0] = v >> 8;
    copy[1] = v & 0xff;
    assert.throws(() => decodeManifest(copy), isDataError);
  }
  assert.throws(() => decodeManifest(Uint8Array.of(0)), isDataError);
});

test('every flip and truncation of a manifest: a data error or a valid decode', () => {
  const m = fc.sample(manifestArb, { numRuns: 1, seed: 7 })[0]!;
  for (const sample of [encodeManifest(newManifest()), encodeManifest(m)]) {
    for (let n = 0; n < sample.length; n++) {
      try {
        decodeManifest(sample.subarray(0, n));
      } catch (e) {
        assert.ok(isDataError(e), `truncated to ${n}: ${e}`);
      }
    }
    for (let i = 0; i < sample.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const copy = sample.slice();
        copy[i]! ^= mask;
        try {
          decodeManifest(copy);
        } catch (e) {
          assert.ok(isDataError(e), `flip ${mask} at ${i}: ${e}`);
        }
      }
    }
  }
});
