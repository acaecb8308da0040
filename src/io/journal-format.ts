/**
 * Journal format v1 (frozen; docs/journal-format.md): the 32-byte segment header, the record frame
 * (length + CRC-32C + payload), segment file names, and the pure parser that classifies what it finds.
 *
 * Format: segment header = magic "SHALEJNL" | version u16 = 1 | header length u16 = 32 | flags u32 = 0 |
 * base LSN u64 | reserved u32 = 0 | CRC-32C u32 of bytes 0..28. Record = payload length u32 | CRC-32C u32 over
 * (LSN u64 ‖ length u32 ‖ payload) | payload. All integers big-endian. LSNs are implicit: the base LSN, + 1 per
 * record. Segment file name: `<base LSN, 20 decimal digits>.jnl`.
 *
 * Invariants: `parseFrame` never reads past `buf.length`, and reports 'need-more' only when not at end of file;
 * a record is returned only if its CRC matches for its LSN.
 * Concurrency: pure functions.
 */

import { readU16BE, readU32BE, readU64BE, writeU16BE, writeU32BE, writeU64BE } from '../util/bytes.js';
import { crc32c } from '../util/crc.js';

/** "SHALEJNL" in ASCII. */
export const SEGMENT_MAGIC = new Uint8Array([0x53, 0x48, 0x41, 0x4c, 0x45, 0x4a, 0x4e, 0x4c]);
/** The only format version this code reads or writes. */
export const JOURNAL_FORMAT_VERSION = 1;
/** Segment header size in bytes. */
export const SEGMENT_HEADER_BYTES = 32;
/** Record frame header size: length u32 + CRC u32. */
export const FRAME_HEADER_BYTES = 8;
/** Largest payload a v1 frame may declare (1 GiB); a larger length is 'length-overflow'. */
export const FRAME_PAYLOAD_MAX = 1 << 30;
/** Largest LSN (2^53 - 1: LSNs are JS numbers). */
export const LSN_MAX = Number.MAX_SAFE_INTEGER;

const SEGMENT_NAME = /^(\d{20})\.jnl$/;

/** How a segment (or the last part of one) ends. Everything but 'clean' means damage at `offset`. */
export type TailClass =
  /** Ends exactly after a whole, valid record (or after the header, with no records). */
  | 'clean'
  /** Fewer bytes left than a header needs (segment header: < 32 bytes; record: < 8). */
  | 'truncated-header'
  /** A record header declares more payload than the file holds. */
  | 'truncated-payload'
  /** The bytes are all there but the CRC-32C does not match (record or segment header). */
  | 'checksum-mismatch'
  /** The segment header does not start with "SHALEJNL". */
  | 'bad-magic'
  /** A record declares a payload longer than FRAME_PAYLOAD_MAX. */
  | 'length-overflow';

/** The file name of the segment whose first record has LSN `baseLsn`. */
export function segmentFileName(baseLsn: number): string {
  return `${baseLsn.toString().padStart(20, '0')}.jnl`;
}

/** The base LSN encoded in a segment file name, or undefined if the name is not a segment's. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return undefined;
  const v = Number(m[1]);
  return Number.isSafeInteger(v) && v >= 1 ? v : undefined;
}

/** Encodes a segment header. */
export function encodeSegmentHeader(baseLsn: number): Uint8Array {
  const b = new Uint8Array(SEGMENT_HEADER_BYTES);
  b.set(SEGMENT_MAGIC, 0);
  writeU16BE(b, 8, JOURNAL_FORMAT_VERSION);
  writeU16BE(b, 10, SEGMENT_HEADER_BYTES);
  writeU32BE(b, 12, 0);
  writeU64BE(b, 16, baseLsn);
  writeU32BE(b, 24, 0);
  writeU32BE(b, 28, crc32c(b.subarray(0, 28)));
  return b;
}

/** What decoding a segment header found. */
export type SegmentHeaderResult =
  | { readonly ok: true; readonly baseLsn: number }
  | { readonly ok: false; readonly tail: Exclude<TailClass, 'clean'>; readonly detail: string };

/** Decodes the header at the start of `buf` (which holds the file's first bytes, up to all of them). */
export function decodeSegmentHeader(buf: Uint8Array): SegmentHeaderResult {
  for (let i = 0; i < SEGMENT_MAGIC.length && i < buf.length; i++) {
    if (buf[i] !== SEGMENT_MAGIC[i])
      return { ok: false, tail: 'bad-magic', detail: `byte ${i} of the magic` };
  }
  if (buf.length < SEGMENT_HEADER_BYTES) {
    return {
      ok: false,
      tail: 'truncated-header',
      detail: `${buf.length} of ${SEGMENT_HEADER_BYTES} header bytes`,
    };
  }
  const stored = readU32BE(buf, 28);
  const actual = crc32c(buf.subarray(0, 28));
  if (stored !== actual) return { ok: false, tail: 'checksum-mismatch', detail: 'segment header CRC-32C' };
  return { ok: true, baseLsn: readU64BE(buf, 16) };
}

/** Checks the fields a valid-CRC header must hold in v1; returns a problem description, or undefined. */
export function segmentHeaderProblem(buf: Uint8Array): string | undefined {
  const version = readU16BE(buf, 8);
  if (version !== JOURNAL_FORMAT_VERSION) return `unsupported journal format version ${version}`;
  if (readU16BE(buf, 10) !== SEGMENT_HEADER_BYTES) return `header length ${readU16BE(buf, 10)} is not 32`;
  if (readU32BE(buf, 12) !== 0) return `unknown flags 0x${readU32BE(buf, 12).toString(16)}`;
  if (readU64BE(buf, 16) < 1) return 'base LSN 0';
  return undefined;
}

const lsnScratch = new Uint8Array(12);

/** CRC-32C of a frame: over LSN (u64 BE) ‖ length (u32 BE) ‖ payload. */
export function frameCrc(lsn: number, payload: Uint8Array): number {
  writeU64BE(lsnScratch, 0, lsn);
  writeU32BE(lsnScratch, 8, payload.length);
  return crc32c(payload, crc32c(lsnScratch));
}

/** Writes the frame of record `lsn` into `out` at `offset`; returns the offset after it. */
export function encodeFrameInto(out: Uint8Array, offset: number, lsn: number, payload: Uint8Array): number {
  writeU32BE(out, offset, payload.length);
  writeU32BE(out, offset + 4, frameCrc(lsn, payload));
  out.set(payload, offset + FRAME_HEADER_BYTES);
  return offset + FRAME_HEADER_BYTES + payload.length;
}

/** The frame of record `lsn` as a new buffer. */
export function encodeFrame(lsn: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  encodeFrameInto(out, 0, lsn, payload);
  return out;
}

/** What `parseFrame` found at a position. Offsets are indexes into the buffer it was given. */
export type FrameResult =
  | { readonly kind: 'record'; readonly payloadStart: number; readonly end: number }
  /** No bytes left, at end of file. */
  | { readonly kind: 'end' }
  /** The frame continues past the buffer (only when not at end of file). */
  | { readonly kind: 'need-more'; readonly bytesNeeded: number }
  | {
      readonly kind: 'invalid';
      readonly tail: Exclude<TailClass, 'clean' | 'bad-magic'>;
      readonly detail: string;
    };

/**
 * Parses the frame of record `lsn` at `buf[pos]`. `atEof` says whether `buf` ends where the file ends; if not,
 * a frame that runs past `buf` is 'need-more' rather than truncated.
 */
export function parseFrame(buf: Uint8Array, pos: number, lsn: number, atEof: boolean): FrameResult {
  const left = buf.length - pos;
  if (left === 0) return atEof ? { kind: 'end' } : { kind: 'need-more', bytesNeeded: FRAME_HEADER_BYTES };
  if (left < FRAME_HEADER_BYTES) {
    if (!atEof) return { kind: 'need-more', bytesNeeded: FRAME_HEADER_BYTES };
    return {
      kind: 'invalid',
      tail: 'truncated-header',
      detail: `${left} of ${FRAME_HEADER_BYTES} frame header bytes`,
    };
  }
  const length = readU32BE(buf, pos);
  if (length > FRAME_PAYLOAD_MAX) {
    return { kind: 'invalid', tail: 'length-overflow', detail: `length ${length} > ${FRAME_PAYLOAD_MAX}` };
  }
  const end = pos + FRAME_HEADER_BYTES + length;
  if (end > buf.length) {
    if (!atEof) return { kind: 'need-more', bytesNeeded: FRAME_HEADER_BYTES + length };
    return {
      kind: 'invalid',
      tail: 'truncated-payload',
      detail: `${left - FRAME_HEADER_BYTES} of ${length} payload bytes`,
    };
  }
  const payload = buf.subarray(pos + FRAME_HEADER_BYTES, end);
  if (frameCrc(lsn, payload) !== readU32BE(buf, pos + 4)) {
    return { kind: 'invalid', tail: 'checksum-mismatch', detail: `record ${lsn} CRC-32C` };
  }
  return { kind: 'record', payloadStart: pos + FRAME_HEADER_BYTES, end };
}

/** What a whole-segment scan found. */
export interface SegmentScan {
  /** The header's base LSN, when the header is valid. */
  readonly baseLsn: number | undefined;
  /** Offset (in the file) just after each valid record, in order. */
  readonly recordEnds: readonly number[];
  /** How the segment ends. */
  readonly tail: TailClass;
  /** Where the damage starts (= the end of the valid prefix); the file length when clean. */
  readonly tailOffset: number;
  readonly detail: string;
}

/** Scans a whole segment held in memory: the header, then records until the first invalid one or the end. */
export function scanSegment(file: Uint8Array): SegmentScan {
  const header = decodeSegmentHeader(file);
  if (!header.ok) {
    return { baseLsn: undefined, recordEnds: [], tail: header.tail, tailOffset: 0, detail: header.detail };
  }
  const recordEnds: number[] = [];
  let pos = SEGMENT_HEADER_BYTES;
  for (let lsn = header.baseLsn; ; lsn++) {
    const r = parseFrame(file, pos, lsn, true);
    if (r.kind === 'end')
      return { baseLsn: header.baseLsn, recordEnds, tail: 'clean', tailOffset: pos, detail: '' };
    if (r.kind !== 'record') {
      const tail = r.kind === 'invalid' ? r.tail : 'truncated-payload';
      const detail = r.kind === 'invalid' ? r.detail : '';
      return { baseLsn: header.baseLsn, recordEnds, tail, tailOffset: pos, detail };
    }
    recordEnds.push(r.end);
    pos = r.end;
  }
}
