/**
 * Row codec V0: the row layout inside V1 data blocks (SST format version 1), which SlateDB 0.12.1 still reads
 * but no longer writes (docs/format.md#row-codec-v0).
 *
 * Format: u16 BE key_prefix_len (shared with the block's first key) ‖ u16 BE key_suffix_len ‖ suffix ‖ u64 BE
 * seq ‖ u8 flags ‖ [i64 BE expire_ts] ‖ [i64 BE create_ts] ‖ then, unless a tombstone, u32 BE value_len ‖ value.
 * Invariants: a tombstone's expire_ts is dropped on read, as 0.12.1 drops it. Decoding never reads outside the
 * given bounds; every failure is a data error naming where.
 * Concurrency: pure functions.
 */
import { readU16BE, readU32BE, writeI64BE, writeU16BE, writeU32BE, writeU64BE } from '../util/bytes.js';
import { dataError } from '../util/errors.js';
import type { RowEntry } from './row.js';
import {
  FLAG_HAS_CREATE_TS,
  FLAG_HAS_EXPIRE_TS,
  kindOfFlags,
  readSeq,
  readTimestamp,
  rowFlags,
} from './row-codec-v2.js';

const EMPTY = new Uint8Array(0);

/** Bytes the V0 encoding of `row` takes with `prefix` key bytes shared with the block's first key. */
export function rowV0Size(row: RowEntry, prefix: number): number {
  let n = 4 + (row.key.length - prefix) + 9;
  if (row.expireTs !== undefined) n += 8;
  if (row.createTs !== undefined) n += 8;
  if (row.kind !== 'tombstone') n += 4 + row.value.length;
  return n;
}

/** Writes the V0 encoding of `row` at `off`; returns the offset after it. */
export function encodeRowV0(out: Uint8Array, off: number, row: RowEntry, prefix: number): number {
  writeU16BE(out, off, prefix);
  writeU16BE(out, off + 2, row.key.length - prefix);
  off += 4;
  out.set(row.key.subarray(prefix), off);
  off += row.key.length - prefix;
  writeU64BE(out, off, row.seq);
  out[off + 8] = rowFlags(row);
  off += 9;
  if (row.expireTs !== undefined) {
    writeI64BE(out, off, row.expireTs);
    off += 8;
  }
  if (row.createTs !== undefined) {
    writeI64BE(out, off, row.createTs);
    off += 8;
  }
  if (row.kind !== 'tombstone') {
    writeU32BE(out, off, row.value.length);
    out.set(row.value, off + 4);
    off += 4 + row.value.length;
  }
  return off;
}

/**
 * Decodes the V0 entry occupying `buf[off, end)`. `firstKey` is the block's first key (undefined while decoding
 * the first entry itself). Returns the row.
 */
export function decodeRowV0(
  buf: Uint8Array,
  off: number,
  end: number,
  firstKey: Uint8Array | undefined,
  where: string,
): RowEntry {
  const need = (n: number, at: number): void => {
    if (at + n > end) throw dataError('INVALID_FORMAT', `${where}: entry at ${off} overruns its bounds`);
  };
  need(4, off);
  const prefix = readU16BE(buf, off);
  const suffixLen = readU16BE(buf, off + 2);
  let p = off + 4;
  need(suffixLen + 9, p);
  const base = firstKey ?? EMPTY;
  if (prefix > base.length) {
    throw dataError(
      'INVALID_FORMAT',
      `${where}: entry at ${off} shares ${prefix} bytes of a ${base.length}-byte key`,
    );
  }
  const key = new Uint8Array(prefix + suffixLen);
  key.set(base.subarray(0, prefix));
  key.set(buf.subarray(p, p + suffixLen), prefix);
  if (key.length === 0) throw dataError('INVALID_FORMAT', `${where}: entry at ${off} has an empty key`);
  p += suffixLen;
  const seq = readSeq(buf, p, where);
  const flags = buf[p + 8]!;
  const kind = kindOfFlags(flags, where);
  p += 9;
  let expireTs: number | undefined;
  let createTs: number | undefined;
  if ((flags & FLAG_HAS_EXPIRE_TS) !== 0) {
    need(8, p);
    expireTs = readTimestamp(buf, p, where);
    p += 8;
  }
  if ((flags & FLAG_HAS_CREATE_TS) !== 0) {
    need(8, p);
    createTs = readTimestamp(buf, p, where);
    p += 8;
  }
  if (kind === 'tombstone') return { key, value: EMPTY, seq, kind, createTs, expireTs: undefined };
  need(4, p);
  const vlen = readU32BE(buf, p);
  p += 4;
  need(vlen, p);
  return { key, value: buf.subarray(p, p + vlen), seq, kind, createTs, expireTs };
}
