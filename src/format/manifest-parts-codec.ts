/**
 * Flatbuffer codecs for the tables nested in manifests and compactions files: Ulid, Uuid, BytesRange,
 * CompactedSsTable, Checkpoint, ExternalDb (docs/format.md#manifest).
 *
 * Invariants: encoders create nested objects, then add fields, in the order SlateDB 0.12.1's Rust code does, so
 * the bytes match; decoders check required fields and enum values (where 0.12.1 would panic, ShaleDB raises a
 * data error instead).
 * Concurrency: pure functions over a caller-owned Builder or FbReader.
 */
import type { Builder, Offset } from 'flatbuffers';
import { assert } from '../util/assert.js';
import { Ulid, Uuid } from '../util/ids.js';
import type { FbTable } from './flatbuffer-reader.js';
import { createBytes, createOffsetVector, createUlid, createUuid, u64 } from './flatbuffer-writer.js';
import type { BytesBound, BytesRange, Checkpoint, CompactedSsTable, ExternalDb } from './manifest.js';
import { addSsTableInfo, readSsTableInfo } from './sst-info.js';
import { SST_FORMAT_V1 } from './versions.js';

const BOUND_UNBOUNDED = 1;
const BOUND_INCLUDED = 2;
const BOUND_EXCLUDED = 3;

/** Reads a `Ulid` table. */
export function readUlid(t: FbTable): Ulid {
  return new Ulid(t.u64big(0), t.u64big(1));
}

/** Reads a `Uuid` table. */
export function readUuid(t: FbTable): Uuid {
  return Uuid.fromHighLow(t.u64big(0), t.u64big(1));
}

function addBytesBound(b: Builder, bound: BytesBound): Offset {
  assert(
    bound.type === 'unbounded' || bound.key.length > 0,
    'an included or excluded bound needs a non-empty key',
  );
  const key = bound.type === 'unbounded' ? 0 : createBytes(b, bound.key);
  b.startObject(2);
  if (key !== 0) b.addFieldOffset(0, key, 0);
  b.addFieldInt8(
    1,
    bound.type === 'unbounded'
      ? BOUND_UNBOUNDED
      : bound.type === 'included'
        ? BOUND_INCLUDED
        : BOUND_EXCLUDED,
    0,
  );
  return b.endObject();
}

/** Adds a BytesRange table (start bound, end bound, then the range). */
export function addBytesRange(b: Builder, r: BytesRange): Offset {
  const start = addBytesBound(b, r.start);
  const end = addBytesBound(b, r.end);
  b.startObject(2);
  b.addFieldOffset(1, end, 0);
  b.addFieldOffset(0, start, 0);
  return b.endObject();
}

function readBytesBound(t: FbTable): BytesBound {
  const type = t.i8(1);
  const key = t.bytes(0);
  if (type === BOUND_UNBOUNDED && key === undefined) return { type: 'unbounded' };
  if ((type === BOUND_INCLUDED || type === BOUND_EXCLUDED) && key !== undefined) {
    return { type: type === BOUND_INCLUDED ? 'included' : 'excluded', key: new Uint8Array(key) };
  }
  return t.r.fail(`unsupported bound (type ${type}, key ${key === undefined ? 'absent' : 'present'})`);
}

/** Reads a BytesRange table. */
export function readBytesRange(t: FbTable): BytesRange {
  return {
    start: readBytesBound(t.requiredTable(0, 'start_bound')),
    end: readBytesBound(t.requiredTable(1, 'end_bound')),
  };
}

/** Adds a CompactedSsTable (id, info, visible range, then the table; format_version always written). */
export function addCompactedSsTable(b: Builder, sst: CompactedSsTable): Offset {
  const id = createUlid(b, sst.id);
  const info = addSsTableInfo(b, sst.info);
  const range = sst.visibleRange === undefined ? 0 : addBytesRange(b, sst.visibleRange);
  b.startObject(4);
  if (range !== 0) b.addFieldOffset(2, range, 0);
  b.addFieldOffset(1, info, 0);
  b.addFieldOffset(0, id, 0);
  b.addFieldInt16(3, sst.formatVersion, null);
  return b.endObject();
}

/** Adds a vector of CompactedSsTable. */
export function addCompactedSsTables(b: Builder, ssts: readonly CompactedSsTable[]): Offset {
  return createOffsetVector(
    b,
    ssts.map((s) => addCompactedSsTable(b, s)),
  );
}

/** Reads a CompactedSsTable (format_version absent reads as 1). */
export function readCompactedSsTable(t: FbTable): CompactedSsTable {
  const range = t.table(2);
  return {
    id: readUlid(t.requiredTable(0, 'id')),
    info: readSsTableInfo(t.requiredTable(1, 'info')),
    visibleRange: range === undefined ? undefined : readBytesRange(range),
    formatVersion: t.optU16(3) ?? SST_FORMAT_V1,
  };
}

/** Adds a Checkpoint (id, name, then the table; metadata is never written, as in 0.12.1). */
export function addCheckpoint(b: Builder, c: Checkpoint): Offset {
  const id = createUuid(b, c.id);
  const name = c.name === undefined ? 0 : b.createString(c.name);
  b.startObject(7);
  b.addFieldInt64(1, u64(c.manifestId), 0n);
  if (name !== 0) b.addFieldOffset(6, name, 0);
  b.addFieldInt32(3, c.createTimeS | 0, 0);
  b.addFieldInt32(2, c.expireTimeS | 0, 0);
  b.addFieldOffset(0, id, 0);
  return b.endObject();
}

/** Reads a Checkpoint (its metadata union is ignored, as 0.12.1 ignores it). */
export function readCheckpoint(t: FbTable): Checkpoint {
  return {
    id: readUuid(t.requiredTable(0, 'id')),
    manifestId: t.u64(1),
    expireTimeS: t.u32(2),
    createTimeS: t.u32(3),
    name: t.string(6),
  };
}

/** Adds an ExternalDb (path, source id, final id, SST ids, then the table). */
export function addExternalDb(b: Builder, e: ExternalDb): Offset {
  const path = b.createString(e.path);
  const source = createUuid(b, e.sourceCheckpointId);
  const final = e.finalCheckpointId === undefined ? 0 : createUuid(b, e.finalCheckpointId);
  const ids = createOffsetVector(
    b,
    e.sstIds.map((id) => createUlid(b, id)),
  );
  b.startObject(4);
  b.addFieldOffset(3, ids, 0);
  if (final !== 0) b.addFieldOffset(2, final, 0);
  b.addFieldOffset(1, source, 0);
  b.addFieldOffset(0, path, 0);
  return b.endObject();
}

/** Reads an ExternalDb. */
export function readExternalDb(t: FbTable): ExternalDb {
  const final = t.table(2);
  return {
    path: t.requiredString(0, 'path'),
    sourceCheckpointId: readUuid(t.requiredTable(1, 'source_checkpoint_id')),
    finalCheckpointId: final === undefined ? undefined : readUuid(final),
    sstIds: t.requiredTables(3, 'sst_ids', readUlid),
  };
}
