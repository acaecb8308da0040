/**
 * Block compression: the five codecs an SST may record, framed exactly as SlateDB 0.12.1 frames them
 * (docs/format.md#compression).
 *
 * Invariants: `compress` output decompresses to its input. Snappy is the raw block format (no framing); LZ4 is a
 * u32 little-endian uncompressed length followed by one raw LZ4 block; zlib is an RFC 1950 stream at level 6;
 * zstd is one frame at level 3. A failed or implausible decompression is a data error, never a crash.
 * The snappy, lz4 and zstd implementations load on first use (codec-modules.ts): a codec whose package is missing
 * fails with CODEC_UNAVAILABLE ('invalid' when compressing, 'unavailable' when decompressing), never at import.
 * Concurrency: pure, synchronous (the native codecs run on the calling thread).
 */
import * as zlib from 'node:zlib';
import { dataError, isShaleDBError } from '../util/errors.js';
import { codecImpl } from './codec-modules.js';

/** A block codec, as SsTableInfo.compression_format records it. */
export type CompressionCodec = 'none' | 'snappy' | 'zlib' | 'lz4' | 'zstd';

/** All codecs, in enum order. */
export const COMPRESSION_CODECS: readonly CompressionCodec[] = ['none', 'snappy', 'zlib', 'lz4', 'zstd'];

/** The CompressionFormat enum value stored in SsTableInfo. */
export function codecToEnum(codec: CompressionCodec): number {
  return COMPRESSION_CODECS.indexOf(codec);
}

/**
 * The codec for a stored enum value. Unknown values read as 'none', as 0.12.1 reads them (the block checksum
 * still guards the bytes, so a wrong guess surfaces as a data error when the block is decoded).
 */
export function codecFromEnum(value: number): CompressionCodec {
  return COMPRESSION_CODECS[value] ?? 'none';
}

/** Parses a codec name as SlateDB settings spell it ("Zstd", "zstd", null/undefined for none). */
export function parseCodecName(name: string | null | undefined): CompressionCodec {
  if (name === null || name === undefined) return 'none';
  const lower = name.toLowerCase();
  if ((COMPRESSION_CODECS as readonly string[]).includes(lower)) return lower as CompressionCodec;
  throw dataError('INVALID_FORMAT', `unknown compression codec ${JSON.stringify(name)}`);
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function asBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Throws CODEC_UNAVAILABLE ('invalid') when this install cannot compress with `codec`; settings call it so a
 * database configured with a missing codec fails at open, not at its first flush.
 */
export function checkCodecAvailable(codec: CompressionCodec): void {
  if (codec !== 'none' && codec !== 'zlib') codecImpl(codec, true);
}

/** Compresses one block's raw bytes. 'none' returns the input itself. */
export function compressBlock(codec: CompressionCodec, raw: Uint8Array): Uint8Array {
  switch (codec) {
    case 'none':
      return raw;
    case 'zlib':
      return asBytes(zlib.deflateSync(raw, { level: 6 }));
    default:
      return asBytes(codecImpl(codec, true).compress(asBuffer(raw)));
  }
}

/** Largest expansion ratio the LZ4 and Snappy block formats allow, used to refuse absurd declared sizes. */
const LZ4_MAX_RATIO = 256;
const SNAPPY_MAX_RATIO = 32;

/** Decompresses one stored block. `where` names the object and block for the error message. */
export function decompressBlock(codec: CompressionCodec, stored: Uint8Array, where: string): Uint8Array {
  if (codec === 'none') return stored;
  checkDeclaredSize(codec, stored, where);
  const impl = codec === 'zlib' ? undefined : codecImpl(codec, false);
  try {
    if (impl === undefined) return asBytes(zlib.inflateSync(stored));
    return asBytes(impl.decompress(asBuffer(stored)));
  } catch (e) {
    if (isShaleDBError(e)) throw e;
    throw dataError('DECOMPRESSION_FAILED', `${where}: ${codec} decompression failed`, e);
  }
}

function checkDeclaredSize(codec: CompressionCodec, stored: Uint8Array, where: string): void {
  if (codec === 'lz4') {
    if (stored.length < 4)
      throw dataError('DECOMPRESSION_FAILED', `${where}: lz4 block shorter than its header`);
    const size = (stored[0]! | (stored[1]! << 8) | (stored[2]! << 16) | (stored[3]! << 24)) >>> 0;
    if (size > (stored.length - 4) * LZ4_MAX_RATIO + 64) {
      throw dataError('DECOMPRESSION_FAILED', `${where}: lz4 block declares an impossible size ${size}`);
    }
  } else if (codec === 'snappy') {
    let size = 0;
    let shift = 0;
    for (let i = 0; i < 5 && i < stored.length; i++) {
      size += (stored[i]! & 0x7f) * 2 ** shift;
      shift += 7;
      if ((stored[i]! & 0x80) === 0) break;
    }
    if (size > stored.length * SNAPPY_MAX_RATIO + 64) {
      throw dataError('DECOMPRESSION_FAILED', `${where}: snappy block declares an impossible size ${size}`);
    }
  }
}
