/**
 * Block compression: the five codecs an SST may record, framed exactly as SlateDB 0.12.1 frames them
 * (docs/format.md#compression).
 *
 * Invariants: `compress` output decompresses to its input. Snappy is the raw block format (no framing); LZ4 is a
 * u32 little-endian uncompressed length followed by one raw LZ4 block; zlib is an RFC 1950 stream at level 6;
 * zstd is one frame at level 3. A failed or implausible decompression is a data error, never a crash.
 * Concurrency: pure, synchronous (the native codecs run on the calling thread).
 */
import * as zlib from 'node:zlib';
import { compressSync as lz4Compress, uncompressSync as lz4Uncompress } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';
import { dataError } from '../util/errors.js';

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

const ZSTD_PARAMS = { compressionLevel: 3 };
// Copied (not external) output buffers: several times cheaper per call for block-sized inputs.
const SNAPPY_OPTIONS = { copyOutputData: true };
const SNAPPY_DECODE_OPTIONS = { asBuffer: true, copyOutputData: true };

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function asBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Compresses one block's raw bytes. 'none' returns the input itself. */
export function compressBlock(codec: CompressionCodec, raw: Uint8Array): Uint8Array {
  switch (codec) {
    case 'none':
      return raw;
    case 'snappy':
      return asBytes(snappyCompress(asBuffer(raw), SNAPPY_OPTIONS));
    case 'zlib':
      return asBytes(zlib.deflateSync(raw, { level: 6 }));
    case 'lz4':
      return asBytes(lz4Compress(asBuffer(raw)));
    case 'zstd':
      return asBytes(zstdCompress(raw, ZSTD_PARAMS));
  }
}

/** Largest expansion ratio the LZ4 and Snappy block formats allow, used to refuse absurd declared sizes. */
const LZ4_MAX_RATIO = 256;
const SNAPPY_MAX_RATIO = 32;

/** Decompresses one stored block. `where` names the object and block for the error message. */
export function decompressBlock(codec: CompressionCodec, stored: Uint8Array, where: string): Uint8Array {
  if (codec === 'none') return stored;
  checkDeclaredSize(codec, stored, where);
  try {
    switch (codec) {
      case 'snappy':
        return asBytes(snappyUncompress(asBuffer(stored), SNAPPY_DECODE_OPTIONS) as Buffer);
      case 'zlib':
        return asBytes(zlib.inflateSync(stored));
      case 'lz4':
        return asBytes(lz4Uncompress(asBuffer(stored)));
      case 'zstd':
        return asBytes(zstdDecompress(stored));
    }
  } catch (e) {
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
