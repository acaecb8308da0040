/**
 * L0 and WAL SST encoding off the main thread: the main thread packs the rows a memtable flush writes (already
 * resolved by retainedRows), or a WAL buffer's rows, into one transferable buffer, a worker unpacks them and runs
 * the same SstBuilder / WalSstBuilder as the in-thread path, and hands back the SST's bytes and info. Packing is a plain copy of keys, values and row
 * headers, far cheaper than encoding, compressing, filtering and checksumming them.
 *
 * Packed layout, per row, little-endian: u8 kind (0 value, 1 tombstone, 2 merge), u8 flags (1: createTs set,
 * 2: expireTs set), f64 seq, f64 createTs, f64 expireTs, u32 key length, u32 value length, key, value.
 *
 * Invariants: unpacking a packing gives rows equal to the packed ones, in order; the builders are configured only
 * by {@link tableSstBuilder} and {@link tableWalBuilder}, used by both paths, so the bytes are identical in-thread and in a worker;
 * packing yields to the event loop whenever its TimeSlice is used up.
 * Concurrency: pure functions; a packed buffer is owned by whoever holds it (it is transferred).
 */

import type { CompressionCodec as FormatCodec } from '../format/compression.js';
import type { RowEntry, RowKind } from '../format/row.js';
import type { RowIterator } from '../format/row-iterator.js';
import { SstBuilder, sstBytes, WalSstBuilder } from '../format/sst-builder.js';
import type { SsTableInfo } from '../format/sst-info.js';
import { ROWS_PER_CHECK_MASK, TimeSlice } from '../util/time-slice.js';
import type { CompressionCodec } from './settings.js';

/** The task kind of an L0 encoding. */
export const ENCODE_L0_TASK = 'encode-l0';
/** The task kind of a WAL SST encoding. */
export const ENCODE_WAL_TASK = 'encode-wal';

/**
 * Below this many bytes of rows (the caller's size hint) an SST is encoded on the calling thread: the round trip
 * to a worker (and a worker's start) would cost more than it saves.
 */
export const MIN_WORKER_ENCODE_BYTES = 64 * 1024;

/** The table settings an SST builder needs. */
export interface SstBuildSettings {
  readonly codec: CompressionCodec;
  readonly blockSize: number;
  readonly minFilterKeys: number;
  readonly filterBitsPerKey: number;
}

/** Settings codec name -> format codec name. */
export function formatCodec(c: CompressionCodec): FormatCodec {
  return c ?? 'none';
}

/** A builder of L0 and compacted SSTs with the table settings (the one place they are configured). */
export function tableSstBuilder(s: SstBuildSettings, sizeHint = 0): SstBuilder {
  return new SstBuilder({
    blockSize: s.blockSize,
    compression: formatCodec(s.codec),
    minFilterKeys: s.minFilterKeys,
    filterBitsPerKey: s.filterBitsPerKey,
    sizeHint,
  });
}

/** A builder of WAL SSTs with the table settings (the one place they are configured). */
export function tableWalBuilder(s: SstBuildSettings, sizeHint = 0): WalSstBuilder {
  return new WalSstBuilder({ blockSize: s.blockSize, compression: formatCodec(s.codec), sizeHint });
}

/** Rows packed for a worker. */
export interface PackedRows {
  /** The packing: a view of an ArrayBuffer nothing else uses (`bytes.buffer` may be transferred). */
  readonly bytes: Uint8Array;
  readonly count: number;
}

/** The encode-l0 and encode-wal tasks: packed rows and the table settings. */
export interface EncodeL0Task {
  readonly table: SstBuildSettings;
  readonly rows: PackedRows;
  readonly sizeHint: number;
}

/** An encoded L0 SST as it comes back from a worker. */
export interface EncodedL0 {
  /** The object's bytes, in an ArrayBuffer of their own. */
  readonly bytes: Uint8Array;
  readonly info: SsTableInfo;
  readonly formatVersion: number;
}

const HEADER = 34;
const KIND_CODE: Readonly<Record<RowKind, number>> = { value: 0, tombstone: 1, merge: 2 };
const KINDS: readonly RowKind[] = ['value', 'tombstone', 'merge'];

/** Copies `src` into `dst` at `at`: a byte loop for short arrays (TypedArray.set costs more per call). */
function copyInto(dst: Uint8Array, src: Uint8Array, at: number): void {
  const n = src.length;
  if (n > 64) {
    dst.set(src, at);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[i]!;
}

/** Packs rows (an iterator in LSM order, or an array in any order) into one buffer; `sizeHint` guesses its size. */
export async function packRows(source: RowIterator | readonly RowEntry[], sizeHint = 0): Promise<PackedRows> {
  let pos = 0;
  const rows: RowIterator = Array.isArray(source)
    ? { next: () => source[pos++], seek: () => {}, close: () => {} }
    : (source as RowIterator);
  let buf = new Uint8Array(Math.max(64 * 1024, sizeHint));
  let view = new DataView(buf.buffer);
  let at = 0;
  let count = 0;
  const slice = new TimeSlice();
  for (;;) {
    let r = rows.next();
    if (r instanceof Promise) r = await r;
    if (r === undefined) break;
    const need = at + HEADER + r.key.length + r.value.length;
    if (need > buf.length) {
      const grown = new Uint8Array(Math.max(need, buf.length * 2));
      grown.set(buf.subarray(0, at));
      buf = grown;
      view = new DataView(buf.buffer);
    }
    buf[at] = KIND_CODE[r.kind];
    buf[at + 1] = (r.createTs === undefined ? 0 : 1) | (r.expireTs === undefined ? 0 : 2);
    view.setFloat64(at + 2, r.seq, true);
    view.setFloat64(at + 10, r.createTs ?? 0, true);
    view.setFloat64(at + 18, r.expireTs ?? 0, true);
    view.setUint32(at + 26, r.key.length, true);
    view.setUint32(at + 30, r.value.length, true);
    copyInto(buf, r.key, at + HEADER);
    copyInto(buf, r.value, at + HEADER + r.key.length);
    at = need;
    count++;
    if ((count & ROWS_PER_CHECK_MASK) === 0 && slice.due) await slice.next();
  }
  // A view of a buffer nothing else uses: the whole buffer is transferred, without another copy.
  return { bytes: buf.subarray(0, at), count };
}

/** The rows of a packing, in order (keys and values are views of `packed.bytes`). */
export function* unpackRows(packed: PackedRows): Generator<RowEntry> {
  const buf = packed.bytes;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  for (let i = 0; i < packed.count; i++) {
    const flags = view.getUint8(at + 1);
    const keyLen = view.getUint32(at + 26, true);
    const valueLen = view.getUint32(at + 30, true);
    const keyAt = at + HEADER;
    yield {
      kind: KINDS[view.getUint8(at)]!,
      seq: view.getFloat64(at + 2, true),
      createTs: flags & 1 ? view.getFloat64(at + 10, true) : undefined,
      expireTs: flags & 2 ? view.getFloat64(at + 18, true) : undefined,
      key: buf.subarray(keyAt, keyAt + keyLen),
      value: buf.subarray(keyAt + keyLen, keyAt + keyLen + valueLen),
    };
    at = keyAt + keyLen + valueLen;
  }
}

/** Encodes a packing as an L0 SST (in a worker; synchronous, since that thread has nothing else to do). */
export function encodeL0(task: EncodeL0Task): EncodedL0 {
  const b = tableSstBuilder(task.table, task.sizeHint);
  for (const r of unpackRows(task.rows)) b.add(r);
  return owned(b.finish());
}

/** Encodes a packing (rows in commit order) as a WAL SST (in a worker). */
export function encodeWal(task: EncodeL0Task): EncodedL0 {
  const b = tableWalBuilder(task.table, task.sizeHint);
  for (const r of unpackRows(task.rows)) b.add(r);
  return owned(b.finish());
}

function owned(sst: ReturnType<SstBuilder['finish']>): EncodedL0 {
  let bytes = sstBytes(sst);
  if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
  return { bytes, info: sst.info, formatVersion: sst.formatVersion };
}

type Handler = (spec: unknown) => Promise<{ readonly result: EncodedL0; readonly transfer: ArrayBuffer[] }>;

/** A worker's task handlers for encode-l0 and encode-wal: the result, with its bytes' ArrayBuffer to transfer. */
export const encodeHandlers: Readonly<Record<string, Handler>> = {
  [ENCODE_L0_TASK]: async (spec) => {
    const out = encodeL0(spec as EncodeL0Task);
    return { result: out, transfer: [out.bytes.buffer as ArrayBuffer] };
  },
  [ENCODE_WAL_TASK]: async (spec) => {
    const out = encodeWal(spec as EncodeL0Task);
    return { result: out, transfer: [out.bytes.buffer as ArrayBuffer] };
  },
};
