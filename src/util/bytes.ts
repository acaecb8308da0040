/**
 * Byte helpers used on hot paths: ordering, equality, UTF-8, hex, big-endian integers and LEB128 varints.
 *
 * Invariants: comparison is unsigned bytewise (the LSM key order). Readers of u64 values as `number` reject values
 * above 2^53 - 1 with a data error instead of silently losing precision.
 * Concurrency: pure functions over caller-owned buffers.
 */
import { dataError, invalidError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Unsigned bytewise comparison: negative, zero or positive. A byte loop: faster than Buffer.compare here. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** True when both hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Length of the common prefix of `a` and `b`. */
export function sharedPrefixLength(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** True when `key` starts with `prefix`. */
export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/**
 * The smallest key greater than every key with this prefix, or undefined when none exists (all 0xff). Always a new
 * array: `prefix` is never written (a Buffer's `slice` is a view, so the bound is built by copying).
 */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const out = new Uint8Array(i + 1);
      out.set(prefix.subarray(0, i + 1));
      out[i]!++;
      return out;
    }
  }
  return undefined;
}

/** UTF-8 encodes a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8 (replacing invalid sequences). */
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

/** Accepts a public key or value argument: a Uint8Array or a string (UTF-8). */
export function toBytes(v: Uint8Array | string, what: string): Uint8Array {
  if (typeof v === 'string') return encoder.encode(v);
  if (v instanceof Uint8Array) return v;
  throw invalidError('INVALID_ARGUMENT', `${what} must be a Uint8Array or a string, got ${typeof v}`);
}

/**
 * A private copy of `b` as a plain Uint8Array. (`Buffer#slice` returns a view, not a copy, so `b.slice()` is no
 * copy when `b` may be a Buffer.)
 */
export function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** True when `b` views the whole of its ArrayBuffer (so transferring the buffer moves exactly `b`). */
export function spansBuffer(b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Lowercase hex. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Parses hex (whitespace ignored). */
export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw invalidError('INVALID_ARGUMENT', 'not a hex string');
  }
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

/** A DataView over the same memory. */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

const TWO_32 = 4294967296;

/** Reads a big-endian u64 as a number; values above 2^53 - 1 are a data error. */
export function readU64BE(b: Uint8Array, off: number): number {
  const hi = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  const lo = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
  if (hi > 0x1fffff) throw dataError('INVALID_FORMAT', `u64 at offset ${off} exceeds 2^53 - 1`);
  return hi * TWO_32 + lo;
}

/** Writes a non-negative safe integer as a big-endian u64. */
export function writeU64BE(b: Uint8Array, off: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  const lo = v >>> 0;
  b[off] = hi >>> 24;
  b[off + 1] = (hi >>> 16) & 0xff;
  b[off + 2] = (hi >>> 8) & 0xff;
  b[off + 3] = hi & 0xff;
  b[off + 4] = lo >>> 24;
  b[off + 5] = (lo >>> 16) & 0xff;
  b[off + 6] = (lo >>> 8) & 0xff;
  b[off + 7] = lo & 0xff;
}

/** Reads a big-endian i64 as a number; values outside the safe range are a data error. */
export function readI64BE(b: Uint8Array, off: number): number {
  const hi = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
  const lo = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
  const v = hi * TWO_32 + lo;
  if (hi > 0x1fffff || hi < -0x200000) throw dataError('INVALID_FORMAT', `i64 at offset ${off} out of range`);
  return v;
}

/** Writes a safe integer as a big-endian i64 (two's complement). */
export function writeI64BE(b: Uint8Array, off: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  const lo = v - hi * TWO_32;
  b[off] = (hi >>> 24) & 0xff;
  b[off + 1] = (hi >>> 16) & 0xff;
  b[off + 2] = (hi >>> 8) & 0xff;
  b[off + 3] = hi & 0xff;
  b[off + 4] = lo >>> 24;
  b[off + 5] = (lo >>> 16) & 0xff;
  b[off + 6] = (lo >>> 8) & 0xff;
  b[off + 7] = lo & 0xff;
}

/** Reads a big-endian u32. */
export function readU32BE(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Writes a big-endian u32. */
export function writeU32BE(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** Reads a big-endian u16. */
export function readU16BE(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

/** Writes a big-endian u16. */
export function writeU16BE(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

/** Number of bytes the LEB128 encoding of a u32 takes. */
export function varintLength(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** Writes a u32 as LEB128; returns the new offset. */
export function writeVarint(b: Uint8Array, off: number, v: number): number {
  while (v >= 0x80) {
    b[off++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[off++] = v;
  return off;
}

/**
 * Reads a LEB128 u32 at `off`, returns it, and sets `out.next` to the offset after it (non-canonical encodings
 * are accepted, so the length is not implied by the value). Truncation or overflow is a data error.
 */
export function readVarint(b: Uint8Array, off: number, out: { next: number }): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (off >= b.length) throw dataError('INVALID_FORMAT', 'truncated varint');
    const byte = b[off++]!;
    if (i === 4 && byte > 0x0f) throw dataError('INVALID_FORMAT', 'varint exceeds u32');
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) {
      out.next = off;
      return result;
    }
    shift += 7;
  }
  throw dataError('INVALID_FORMAT', 'varint exceeds u32');
}
