/**
 * SsTableInfo: the metadata block of an SST (offsets and lengths of its parts, first and last entry, codec,
 * type), stored CRC-framed before the footer and embedded in manifests (docs/format.md#sst-info).
 *
 * Format: flatbuffer `SsTableInfo` (0.12.1 schema, slots 0-9; no filter_format), never compressed.
 * Invariants: offsets and lengths are safe integers; `filterOffset` is the end of the data blocks even when
 * there is no filter; an unknown sst_type is a data error (0.12.1 panics), an unknown codec reads as 'none'.
 * Concurrency: values are immutable; codec functions are pure.
 */
import type { Builder, Offset } from 'flatbuffers';
import { type CompressionCodec, codecFromEnum, codecToEnum } from './compression.js';
import { FbReader, type FbTable } from './flatbuffer-reader.js';
import { createBytes, finishBytes, newBuilder, u64 } from './flatbuffer-writer.js';

/** Compacted (L0, sorted runs, the WAL fence) or WAL. */
export type SstType = 'compacted' | 'wal';

/** What an SST says about itself. */
export interface SsTableInfo {
  /** Compacted: the first user key. WAL: the first row's seq as 8 BE bytes. Absent in empty SSTs. */
  readonly firstEntry: Uint8Array | undefined;
  /** Compacted: the last user key. Absent in WAL and empty SSTs. */
  readonly lastEntry: Uint8Array | undefined;
  readonly indexOffset: number;
  /** Includes the 4-byte CRC. */
  readonly indexLen: number;
  /** Always the end of the data blocks. */
  readonly filterOffset: number;
  /** Includes the CRC; 0 when there is no filter. */
  readonly filterLen: number;
  readonly compressionCodec: CompressionCodec;
  readonly sstType: SstType;
  /** 0 when there is no stats block. */
  readonly statsOffset: number;
  readonly statsLen: number;
}

/** Adds an SsTableInfo table to `b` (first_entry, last_entry vectors, then the table, as Rust does). */
export function addSsTableInfo(b: Builder, info: SsTableInfo): Offset {
  const first = info.firstEntry === undefined ? 0 : createBytes(b, info.firstEntry);
  const last = info.lastEntry === undefined ? 0 : createBytes(b, info.lastEntry);
  b.startObject(10);
  b.addFieldInt64(9, u64(info.statsLen), 0n);
  b.addFieldInt64(8, u64(info.statsOffset), 0n);
  b.addFieldInt64(4, u64(info.filterLen), 0n);
  b.addFieldInt64(3, u64(info.filterOffset), 0n);
  b.addFieldInt64(2, u64(info.indexLen), 0n);
  b.addFieldInt64(1, u64(info.indexOffset), 0n);
  if (info.lastEntry !== undefined) b.addFieldOffset(7, last, 0);
  if (info.firstEntry !== undefined) b.addFieldOffset(0, first, 0);
  b.addFieldInt8(6, info.sstType === 'wal' ? 1 : 0, 0);
  b.addFieldInt8(5, codecToEnum(info.compressionCodec), 0);
  return b.endObject();
}

/** Encodes an SsTableInfo as a standalone flatbuffer (the SST's metadata block, before its CRC). */
export function encodeSsTableInfo(info: SsTableInfo): Uint8Array {
  const b = newBuilder(256);
  return finishBytes(b, addSsTableInfo(b, info));
}

function copyOf(b: Uint8Array | undefined): Uint8Array | undefined {
  return b === undefined ? undefined : new Uint8Array(b);
}

/** Reads an SsTableInfo table. Vectors are copied out of the buffer. */
export function readSsTableInfo(t: FbTable): SsTableInfo {
  const sstType = t.i8(6);
  if (sstType !== 0 && sstType !== 1) t.r.fail(`unknown sst_type ${sstType}`);
  return {
    firstEntry: copyOf(t.bytes(0)),
    lastEntry: copyOf(t.bytes(7)),
    indexOffset: t.u64(1),
    indexLen: t.u64(2),
    filterOffset: t.u64(3),
    filterLen: t.u64(4),
    compressionCodec: codecFromEnum(t.i8(5)),
    sstType: sstType === 1 ? 'wal' : 'compacted',
    statsOffset: t.u64(8),
    statsLen: t.u64(9),
  };
}

/** Decodes a standalone SsTableInfo flatbuffer. `what` names the object for errors. */
export function decodeSsTableInfo(bytes: Uint8Array, what: string): SsTableInfo {
  return readSsTableInfo(new FbReader(bytes, what).root());
}
