/**
 * Row codec V2: how one row is laid out inside a V2 data block, the only row codec SlateDB 0.12.1 writes
 * (docs/format.md#row-codec-v2).
 *
 * Format: varint shared ‖ varint unshared ‖ varint value_len ‖ key suffix ‖ value ‖ u64 BE seq ‖ u8 flags ‖
 * [i64 BE expire_ts if flags & 0x02] ‖ [i64 BE create_ts if flags & 0x04]. Tombstones store value_len 0 and no
 * value bytes.
 * Invariants: the decoder rejects unknown flag bits and TOMBSTONE together with MERGE_OPERAND, and never reads
 * outside the entry area it is given; every failure is a data error naming where.
 * Concurrency: pure functions; the decoder state is owned by one iterator.
 */
import { readU32BE, varintLength, writeI64BE, writeU64BE, writeVarint } from '../util/bytes.js';
import { dataError } from '../util/errors.js';
import type { RowEntry, RowKind } from './row.js';

/** The row is a deletion marker. */
export const FLAG_TOMBSTONE = 0x01;
/** An i64 expire_ts follows the flags. */
export const FLAG_HAS_EXPIRE_TS = 0x02;
/** An i64 create_ts follows the flags (and expire_ts). */
export const FLAG_HAS_CREATE_TS = 0x04;
/** The row is a merge operand. */
export const FLAG_MERGE_OPERAND = 0x08;
/** Every flag bit this codec knows. */
export const FLAGS_KNOWN = 0x0f;

/** The flags byte for a row. */
export function rowFlags(row: RowEntry): number {
  let f = row.kind === 'tombstone' ? FLAG_TOMBSTONE : row.kind === 'merge' ? FLAG_MERGE_OPERAND : 0;
  if (row.expireTs !== undefined) f |= FLAG_HAS_EXPIRE_TS;
  if (row.createTs !== undefined) f |= FLAG_HAS_CREATE_TS;
  return f;
}

/** Validates a flags byte and returns the row kind it encodes. */
export function kindOfFlags(flags: number, where: string): RowKind {
  if ((flags & ~FLAGS_KNOWN) !== 0) {
    throw dataError('INVALID_FORMAT', `${where}: unknown row flag bits 0x${flags.toString(16)}`);
  }
  if ((flags & FLAG_TOMBSTONE) !== 0) {
    if ((flags & FLAG_MERGE_OPERAND) !== 0) {
      throw dataError('INVALID_FORMAT', `${where}: row is both a tombstone and a merge operand`);
    }
    return 'tombstone';
  }
  return (flags & FLAG_MERGE_OPERAND) !== 0 ? 'merge' : 'value';
}

/** Stored value length: tombstones store none. */
export function storedValueLength(row: RowEntry): number {
  return row.kind === 'tombstone' ? 0 : row.value.length;
}

/** Bytes the V2 encoding of `row` takes when `shared` key bytes are shared with the previous key. */
export function rowV2Size(row: RowEntry, shared: number): number {
  const unshared = row.key.length - shared;
  const vlen = storedValueLength(row);
  let n = varintLength(shared) + varintLength(unshared) + varintLength(vlen) + unshared + vlen + 9;
  if (row.expireTs !== undefined) n += 8;
  if (row.createTs !== undefined) n += 8;
  return n;
}

/**
 * Writes the V2 encoding of `row` at `off` (the caller sized `out` with {@link rowV2Size}); returns the offset
 * after it.
 */
export function encodeRowV2(out: Uint8Array, off: number, row: RowEntry, shared: number): number {
  const key = row.key;
  const vlen = storedValueLength(row);
  off = writeVarint(out, off, shared);
  off = writeVarint(out, off, key.length - shared);
  off = writeVarint(out, off, vlen);
  const n = key.length;
  if (shared === 0) out.set(key, off);
  else if (n - shared > 64) out.set(key.subarray(shared), off);
  else for (let i = shared; i < n; i++) out[off + i - shared] = key[i]!;
  off += n - shared;
  if (vlen > 0) {
    out.set(row.value, off);
    off += vlen;
  }
  writeU64BE(out, off, row.seq);
  off += 8;
  out[off++] = rowFlags(row);
  if (row.expireTs !== undefined) {
    writeI64BE(out, off, row.expireTs);
    off += 8;
  }
  if (row.createTs !== undefined) {
    writeI64BE(out, off, row.createTs);
    off += 8;
  }
  return off;
}

const EMPTY = new Uint8Array(0);
const TWO_32 = 4294967296;

/** Reads a u64 BE sequence number; above 2^53 - 1 is a data error. */
export function readSeq(buf: Uint8Array, off: number, where: string): number {
  const hi = readU32BE(buf, off);
  if (hi > 0x1fffff) throw dataError('INVALID_FORMAT', `${where}: seq at ${off} exceeds 2^53 - 1`);
  return hi * TWO_32 + readU32BE(buf, off + 4);
}

/** Reads an i64 BE timestamp (ms); outside the safe integer range is a data error. */
export function readTimestamp(buf: Uint8Array, off: number, where: string): number {
  const hi = readU32BE(buf, off) | 0;
  if (hi > 0x1fffff || hi < -0x200000) {
    throw dataError('INVALID_FORMAT', `${where}: timestamp at ${off} is outside the safe integer range`);
  }
  return hi * TWO_32 + readU32BE(buf, off + 4);
}

/**
 * Decodes V2 entries one after another, keeping the previous key so prefix-compressed keys can be rebuilt. A
 * cursor first parses an entry's header and key ({@link parse}), which lets a seek compare keys in place, and
 * only then builds the row ({@link materialize}).
 */
export class RowV2Decoder {
  /** The current key is `keyBuf[0, keyLen)`. */
  keyBuf: Uint8Array = new Uint8Array(64);
  keyLen = 0;
  /** Offsets of the parsed entry's value, its fixed tail and its end. */
  valueOff = 0;
  valueLen = 0;
  tailOff = 0;
  entryEnd = 0;
  #flags = 0;
  #pos = 0;

  /** Reads a LEB128 u32 at `#pos`, not past `end`. */
  #varint(buf: Uint8Array, end: number, where: string): number {
    let p = this.#pos;
    if (p < end) {
      const b0 = buf[p]!;
      if (b0 < 0x80) {
        this.#pos = p + 1;
        return b0;
      }
    }
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (p >= end) throw dataError('INVALID_FORMAT', `${where}: truncated varint at ${p}`);
      const byte = buf[p++]!;
      if (i === 4 && byte > 0x0f)
        throw dataError('INVALID_FORMAT', `${where}: varint exceeds u32 at ${p - 1}`);
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        this.#pos = p;
        return result;
      }
      shift += 7;
    }
    throw dataError('INVALID_FORMAT', `${where}: varint exceeds u32 at ${p}`);
  }

  /** Forgets the previous key (at a restart point). */
  reset(): void {
    this.keyLen = 0;
  }

  /** Sets the previous key to `key[0, len)` (a seek that found the entry's shared prefix in `key`). */
  seedKey(key: Uint8Array, len: number): void {
    if (len > this.keyBuf.length) this.keyBuf = new Uint8Array(Math.max(len, this.keyBuf.length * 2));
    for (let i = 0; i < len; i++) this.keyBuf[i] = key[i]!;
    this.keyLen = len;
  }

  /**
   * Parses the entry at `off` (which must end by `end`): rebuilds its key into `keyBuf` and records where its
   * parts are. `where` names the block for errors.
   */
  parse(buf: Uint8Array, off: number, end: number, where: string): void {
    this.#pos = off;
    const shared = this.#varint(buf, end, where);
    const unshared = this.#varint(buf, end, where);
    const vlen = this.#varint(buf, end, where);
    const keyOff = this.#pos;
    if (shared > this.keyLen) {
      throw dataError(
        'INVALID_FORMAT',
        `${where}: entry at ${off} shares ${shared} bytes of a ${this.keyLen}-byte key`,
      );
    }
    const keyLen = shared + unshared;
    if (keyLen === 0) throw dataError('INVALID_FORMAT', `${where}: entry at ${off} has an empty key`);
    const valueOff = keyOff + unshared;
    const tailOff = valueOff + vlen;
    if (tailOff + 9 > end) throw dataError('INVALID_FORMAT', `${where}: entry at ${off} overruns the block`);
    const flags = buf[tailOff + 8]!;
    const entryEnd =
      tailOff +
      9 +
      ((flags & FLAG_HAS_EXPIRE_TS) !== 0 ? 8 : 0) +
      ((flags & FLAG_HAS_CREATE_TS) !== 0 ? 8 : 0);
    if (entryEnd > end) throw dataError('INVALID_FORMAT', `${where}: entry at ${off} overruns the block`);
    if (keyLen > this.keyBuf.length) {
      const grown = new Uint8Array(Math.max(keyLen, this.keyBuf.length * 2));
      grown.set(this.keyBuf.subarray(0, shared));
      this.keyBuf = grown;
    }
    const kb = this.keyBuf;
    for (let i = 0; i < unshared; i++) kb[shared + i] = buf[keyOff + i]!;
    this.keyLen = keyLen;
    this.valueOff = valueOff;
    this.valueLen = vlen;
    this.tailOff = tailOff;
    this.entryEnd = entryEnd;
    this.#flags = flags;
  }

  /**
   * Builds the row for the entry last parsed. The value is a view into `buf`; the key is a copy, or `knownKey`
   * when the caller has checked it equals the entry's key.
   */
  materialize(buf: Uint8Array, where: string, knownKey?: Uint8Array): RowEntry {
    const flags = this.#flags;
    const kind = kindOfFlags(flags, where);
    let t = this.tailOff;
    const seq = readSeq(buf, t, where);
    t += 9;
    let expireTs: number | undefined;
    let createTs: number | undefined;
    if ((flags & FLAG_HAS_EXPIRE_TS) !== 0) {
      expireTs = readTimestamp(buf, t, where);
      t += 8;
    }
    if ((flags & FLAG_HAS_CREATE_TS) !== 0) createTs = readTimestamp(buf, t, where);
    const value =
      kind === 'tombstone' || this.valueLen === 0
        ? EMPTY
        : buf.subarray(this.valueOff, this.valueOff + this.valueLen);
    const key = knownKey ?? this.keyBuf.slice(0, this.keyLen);
    return { key, value, seq, kind, createTs, expireTs };
  }
}
