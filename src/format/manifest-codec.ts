/**
 * Manifest codec: `encodeManifest` writes ManifestV1 byte-identical to SlateDB 0.12.1; `decodeManifest` reads
 * ManifestV1 and ManifestV2 (docs/format.md#manifest).
 *
 * Format: u16 BE version ‖ flatbuffer (no file identifier, no size prefix); no checksum.
 * Invariants: encoding creates objects in 0.12.1's order (L0 list, l0_last_compacted, sorted runs, checkpoints,
 * external DBs, WAL store URI, sequence tracker, root) and adds root fields largest first, so the 106-byte first
 * manifest of a new database comes out exactly. Decoding is bounds-checked: damage gives a data error
 * (INVALID_FORMAT) or a different but valid manifest, never a crash or a hang. V2 manifests decode with each view's
 * SST (view ids kept in `viewId`) and no WAL store URI, as 0.12.1 decodes them.
 * Concurrency: pure functions.
 */
import { readU16BE } from '../util/bytes.js';
import { dataError } from '../util/errors.js';
import type { Ulid } from '../util/ids.js';
import { FbReader, type FbTable } from './flatbuffer-reader.js';
import {
  createBytes,
  createOffsetVector,
  createUlid,
  finishBytes,
  newBuilder,
  u64,
} from './flatbuffer-writer.js';
import type { CompactedSsTable, Manifest, SortedRun } from './manifest.js';
import {
  addCheckpoint,
  addCompactedSsTable,
  addExternalDb,
  readBytesRange,
  readCheckpoint,
  readCompactedSsTable,
  readExternalDb,
  readUlid,
} from './manifest-parts-codec.js';
import { EMPTY_SEQUENCE_TRACKER, SequenceTracker } from './sequence-tracker.js';
import { readSsTableInfo } from './sst-info.js';
import { MANIFEST_FORMAT_V1, MANIFEST_FORMAT_V2, SST_FORMAT_V1 } from './versions.js';

/** Encodes a manifest as ManifestV1 (what 0.12.1 writes). */
export function encodeManifest(m: Manifest): Uint8Array {
  const b = newBuilder(1024);
  const l0 = createOffsetVector(
    b,
    m.l0.map((s) => addCompactedSsTable(b, s)),
  );
  const lastCompacted = m.l0LastCompacted === undefined ? 0 : createUlid(b, m.l0LastCompacted);
  const runs = m.compacted.map((sr) => {
    const ssts = createOffsetVector(
      b,
      sr.ssts.map((s) => addCompactedSsTable(b, s)),
    );
    b.startObject(2);
    b.addFieldOffset(1, ssts, 0);
    b.addFieldInt32(0, sr.id | 0, 0);
    return b.endObject();
  });
  const compacted = createOffsetVector(b, runs);
  const checkpoints = createOffsetVector(
    b,
    m.checkpoints.map((c) => addCheckpoint(b, c)),
  );
  const externalDbs =
    m.externalDbs.length === 0
      ? 0
      : createOffsetVector(
          b,
          m.externalDbs.map((e) => addExternalDb(b, e)),
        );
  const walUri = m.walObjectStoreUri === undefined ? 0 : b.createString(m.walObjectStoreUri);
  const tracker = createBytes(b, m.sequenceTracker);
  b.startObject(16);
  b.addFieldInt64(14, u64(m.recentSnapshotMinSeq), 0n);
  b.addFieldInt64(12, u64(m.lastL0Seq), 0n);
  b.addFieldInt64(10, m.lastL0ClockTick, 0n);
  b.addFieldInt64(6, u64(m.walIdLastSeen), 0n);
  b.addFieldInt64(5, u64(m.replayAfterWalId), 0n);
  b.addFieldInt64(4, u64(m.compactorEpoch), 0n);
  b.addFieldInt64(3, u64(m.writerEpoch), 0n);
  b.addFieldOffset(15, tracker, 0);
  if (walUri !== 0) b.addFieldOffset(13, walUri, 0);
  b.addFieldOffset(11, checkpoints, 0);
  b.addFieldOffset(9, compacted, 0);
  b.addFieldOffset(8, l0, 0);
  if (lastCompacted !== 0) b.addFieldOffset(7, lastCompacted, 0);
  if (externalDbs !== 0) b.addFieldOffset(1, externalDbs, 0);
  b.addFieldInt8(2, m.initialized ? 1 : 0, 0);
  return finishBytes(b, b.endObject(), MANIFEST_FORMAT_V1);
}

/** Decodes a manifest file (V1 or V2). `what` names it in errors. */
export function decodeManifest(bytes: Uint8Array, what = 'manifest'): Manifest {
  if (bytes.length < 2) throw dataError('INVALID_FORMAT', `${what}: ${bytes.length} bytes is too short`);
  const version = readU16BE(bytes, 0);
  const root = new FbReader(bytes.subarray(2), what).root();
  if (version === MANIFEST_FORMAT_V1) return decodeV1(root, what);
  if (version === MANIFEST_FORMAT_V2) return decodeV2(root, what);
  throw dataError('INVALID_FORMAT', `${what}: unsupported manifest version ${version}`);
}

function trackerOf(t: FbTable, slot: number, what: string): Uint8Array {
  const bytes = t.bytes(slot);
  if (bytes === undefined) return EMPTY_SEQUENCE_TRACKER;
  SequenceTracker.fromBytes(bytes, what); // validates
  return new Uint8Array(bytes);
}

function decodeV1(t: FbTable, what: string): Manifest {
  const lastCompacted = t.table(7);
  return {
    externalDbs: t.tables(1, readExternalDb) ?? [],
    initialized: t.bool(2),
    writerEpoch: t.u64(3),
    compactorEpoch: t.u64(4),
    replayAfterWalId: t.u64(5),
    walIdLastSeen: t.u64(6),
    l0LastCompacted: lastCompacted === undefined ? undefined : readUlid(lastCompacted),
    l0: t.requiredTables(8, 'l0', readCompactedSsTable),
    compacted: t.requiredTables(9, 'compacted', (sr) => ({
      id: sr.u32(0),
      ssts: sr.requiredTables(1, 'ssts', readCompactedSsTable),
    })),
    lastL0ClockTick: t.i64big(10),
    checkpoints: t.requiredTables(11, 'checkpoints', readCheckpoint),
    lastL0Seq: t.u64(12),
    walObjectStoreUri: t.string(13),
    recentSnapshotMinSeq: t.u64(14),
    sequenceTracker: trackerOf(t, 15, what),
  };
}

function decodeV2(t: FbTable, what: string): Manifest {
  const ssts = new Map<string, CompactedSsTable>();
  t.requiredTables(8, 'ssts', (s) => {
    const sst: CompactedSsTable = {
      id: readUlid(s.requiredTable(0, 'id')),
      info: readSsTableInfo(s.requiredTable(1, 'info')),
      formatVersion: s.optU16(2) ?? SST_FORMAT_V1,
    };
    ssts.set(sst.id.toString(), sst);
    return sst;
  });
  const view = (v: FbTable): CompactedSsTable => {
    const viewId = readUlid(v.requiredTable(0, 'id'));
    const sstId: Ulid = readUlid(v.requiredTable(1, 'sst_id'));
    const sst = ssts.get(sstId.toString()) ?? t.r.fail(`view ${viewId} references unknown SST ${sstId}`);
    const range = v.table(2);
    return {
      ...sst,
      visibleRange: range === undefined ? undefined : readBytesRange(range),
      viewId: viewId.equals(sst.id) ? undefined : viewId,
    };
  };
  const lastView = t.table(7);
  const compacted: SortedRun[] = t.requiredTables(10, 'compacted', (sr) => ({
    id: sr.u32(0),
    ssts: sr.requiredTables(1, 'ssts', view),
  }));
  return {
    externalDbs: t.tables(1, readExternalDb) ?? [],
    initialized: t.bool(2),
    writerEpoch: t.u64(3),
    compactorEpoch: t.u64(4),
    replayAfterWalId: t.u64(5),
    walIdLastSeen: t.u64(6),
    l0LastCompacted: undefined,
    l0LastCompactedViewId: lastView === undefined ? undefined : readUlid(lastView),
    l0: t.requiredTables(9, 'l0', view),
    compacted,
    lastL0ClockTick: t.i64big(11),
    checkpoints: t.requiredTables(12, 'checkpoints', readCheckpoint),
    lastL0Seq: t.u64(13),
    walObjectStoreUri: undefined,
    recentSnapshotMinSeq: t.u64(14),
    sequenceTracker: trackerOf(t, 15, what),
  };
}
