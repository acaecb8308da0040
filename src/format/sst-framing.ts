/**
 * SST framing: the CRC-32 trailer after every stored block and the 10-byte footer
 * (docs/format.md#sst-layout).
 *
 * Format: stored part = compress(codec, raw) ‖ u32 BE CRC-32/IEEE of the stored bytes (info blocks are never
 * compressed). Footer = u64 BE info_offset ‖ u16 BE format version.
 * Invariants: a part is decompressed only after its CRC matched (CHECKSUM_MISMATCH otherwise); every error is
 * kind 'data' and names the object and part.
 * Concurrency: pure functions.
 */
import { readU16BE, readU32BE, readU64BE, writeU16BE, writeU32BE, writeU64BE } from '../util/bytes.js';
import { crc32 } from '../util/crc.js';
import { dataError } from '../util/errors.js';
import { type CompressionCodec, compressBlock, decompressBlock } from './compression.js';
import { isSupportedSstVersion } from './versions.js';

/** Bytes of the CRC trailer. */
export const CHECKSUM_SIZE = 4;
/** Bytes of the footer. */
export const FOOTER_SIZE = 10;

/** Compresses `raw` and appends its CRC: the bytes stored in the SST. */
export function framePart(codec: CompressionCodec, raw: Uint8Array): Uint8Array {
  const stored = compressBlock(codec, raw);
  const out = new Uint8Array(stored.length + CHECKSUM_SIZE);
  out.set(stored);
  writeU32BE(out, stored.length, crc32(stored));
  return out;
}

/** Checks the CRC of a stored part and returns the stored bytes without it. */
export function verifyPart(stored: Uint8Array, where: string): Uint8Array {
  if (stored.length < CHECKSUM_SIZE) {
    throw dataError('INVALID_FORMAT', `${where}: ${stored.length} bytes cannot hold a checksum`);
  }
  const body = stored.subarray(0, stored.length - CHECKSUM_SIZE);
  const want = readU32BE(stored, body.length);
  const got = crc32(body);
  if (want !== got) {
    throw dataError(
      'CHECKSUM_MISMATCH',
      `${where}: checksum mismatch (stored ${want.toString(16)}, computed ${got.toString(16)})`,
    );
  }
  return body;
}

/** Verifies and decompresses a stored part. */
export function unframePart(codec: CompressionCodec, stored: Uint8Array, where: string): Uint8Array {
  return decompressBlock(codec, verifyPart(stored, where), where);
}

/** The 10-byte footer. */
export function encodeFooter(infoOffset: number, version: number): Uint8Array {
  const out = new Uint8Array(FOOTER_SIZE);
  writeU64BE(out, 0, infoOffset);
  writeU16BE(out, 8, version);
  return out;
}

/** Decodes the footer of an object of `size` bytes; checks the version and that info lies inside. */
export function decodeFooter(
  footer: Uint8Array,
  size: number,
  where: string,
): { infoOffset: number; version: number } {
  if (size <= FOOTER_SIZE || footer.length !== FOOTER_SIZE) {
    throw dataError('INVALID_FORMAT', `${where}: ${size} bytes is too short for an SST`);
  }
  let infoOffset: number;
  try {
    infoOffset = readU64BE(footer, 0);
  } catch (e) {
    throw dataError('INVALID_FORMAT', `${where}: footer info offset out of range`, e);
  }
  const version = readU16BE(footer, 8);
  if (!isSupportedSstVersion(version)) {
    throw dataError('INVALID_FORMAT', `${where}: unsupported SST format version ${version}`);
  }
  if (infoOffset + CHECKSUM_SIZE > size - FOOTER_SIZE) {
    throw dataError('INVALID_FORMAT', `${where}: footer info offset ${infoOffset} is outside the object`);
  }
  return { infoOffset, version };
}
