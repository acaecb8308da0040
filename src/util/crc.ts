/**
 * Checksums: CRC-32/IEEE (SlateDB's block, index, filter, stats and info trailers) and CRC-32C (the local journal).
 *
 * Invariants: both return an unsigned 32-bit integer; `crc32(b)` equals zlib's crc32 of the same bytes.
 * Concurrency: pure.
 */

import * as zlib from 'node:zlib';
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

const zlibCrc32 = (zlib as unknown as { crc32: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32/IEEE (poly 0xEDB88320 reflected), as zlib computes it. `prev` continues a running checksum. */
export function crc32(data: Uint8Array, prev = 0): number {
  return zlibCrc32(data, prev) >>> 0;
}

/** CRC-32C (Castagnoli). `prev` continues a running checksum. */
export function crc32c(data: Uint8Array, prev = 0): number {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return nativeCrc32c(buf, prev) >>> 0;
}
