/**
 * The disk cache's file formats and names. A cached object `p` lives in the folder `<root>/<p>/`, as in SlateDB
 * 0.12.1's cache: `_head` (the object's metadata) and one file per part, `_part{size}-{n:09}` where size is "4mb" or
 * "64kb" (the size in the name lets the part size change without invalidating the cache).
 *
 * ShaleDB's part files carry checksums, so a torn or stale-zero part (a crash between rename and data reaching the
 * disk) is detected and never served:
 *
 *   0   magic "SDCP" | 4 version (1) | 5..7 zero | 8 data length u32 | 12 chunk size u32 (64 KiB)
 *   16  CRC-32C of each chunk of the data, u32 each | CRC-32C of every header byte before it, u32
 *   ... the data
 *
 * A range read reads the header and only the chunks the range covers. `_head` is "SDCH", CRC-32C of the JSON, JSON.
 * All integers little-endian.
 *
 * Invariants: `readPartRange` returns bytes only when the header checksum and every covered chunk's checksum match;
 * anything else (short file, bad magic, checksum mismatch) is `undefined`, as for a missing file.
 * Concurrency: pure, plus reads through the given FileSystem.
 */
import type { FileSystem } from '../../io/file-system.js';
import { crc32c } from '../../util/crc.js';
import type { ObjectMeta } from '../object-store.js';

/** Checksum granularity inside a part. */
export const CHUNK_BYTES = 64 * 1024;
const PART_MAGIC = 0x50434453; // "SDCP" little-endian
const HEAD_MAGIC = 0x48434453; // "SDCH"
const FIXED_HEADER = 16;

/** The file name of part `n` for a part size, e.g. `_part4mb-000000003`. */
export function partFileName(partSize: number, n: number): string {
  const mib = 1024 * 1024;
  const size = partSize % mib === 0 ? `${partSize / mib}mb` : `${partSize / 1024}kb`;
  return `_part${size}-${String(n).padStart(9, '0')}`;
}

/** The head file's name. */
export const HEAD_FILE = '_head';

/** True for names the cache writes in an object's folder. */
export function isCacheFileName(name: string): boolean {
  return name === HEAD_FILE || /^_part\d+(mb|kb)-\d{9}$/.test(name);
}

function headerBytes(dataLength: number): number {
  return FIXED_HEADER + 4 * Math.ceil(dataLength / CHUNK_BYTES) + 4;
}

/** Encodes a part file: header with checksums, then `data`. Returns the chunks to write (the data is not copied). */
export function encodePart(data: Uint8Array): Uint8Array[] {
  const chunks = Math.ceil(data.length / CHUNK_BYTES);
  const header = new Uint8Array(headerBytes(data.length));
  const v = new DataView(header.buffer);
  v.setUint32(0, PART_MAGIC, true);
  header[4] = 1;
  v.setUint32(8, data.length, true);
  v.setUint32(12, CHUNK_BYTES, true);
  for (let i = 0; i < chunks; i++) {
    const c = data.subarray(i * CHUNK_BYTES, Math.min(data.length, (i + 1) * CHUNK_BYTES));
    v.setUint32(FIXED_HEADER + 4 * i, crc32c(c), true);
  }
  const end = header.length - 4;
  v.setUint32(end, crc32c(header.subarray(0, end)), true);
  return [header, data];
}

/** The whole checksum chunks covering `[start, end)` of a part's data of `length` bytes. */
function chunkSpan(start: number, end: number, length: number): { from: number; to: number } | undefined {
  if (start >= end) return undefined;
  return {
    from: Math.floor(start / CHUNK_BYTES) * CHUNK_BYTES,
    to: Math.min(length, Math.ceil(end / CHUNK_BYTES) * CHUNK_BYTES),
  };
}

async function readFully(
  handle: { read(into: Uint8Array, pos: number): Promise<number> },
  into: Uint8Array,
  pos: number,
): Promise<number> {
  let off = 0;
  while (off < into.length) {
    const n = await handle.read(into.subarray(off), pos + off);
    if (n === 0) break;
    off += n;
  }
  return off;
}

/**
 * Reads `[start, end)` of a part's data (end clamped to the data), verifying checksums. `maxPartSize` bounds the
 * header read. Returns undefined when the file is missing, torn or corrupt; other file-system errors throw.
 */
export async function readPartRange(
  fs: FileSystem,
  path: string,
  maxPartSize: number,
  start: number,
  end: number,
): Promise<Uint8Array | undefined> {
  let handle: Awaited<ReturnType<FileSystem['open']>>;
  try {
    handle = await fs.open(path, 'read');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const hmax = headerBytes(maxPartSize);
    const head = new Uint8Array(hmax);
    // Most parts are full, so their data starts at `hmax`: read the header and the covered chunks at once.
    const guess = chunkSpan(start, Math.min(end, maxPartSize), maxPartSize);
    const guessed = guess === undefined ? undefined : new Uint8Array(guess.to - guess.from);
    const [got, guessedGot] = await Promise.all([
      readFully(handle, head, 0),
      guessed === undefined || guess === undefined ? 0 : readFully(handle, guessed, hmax + guess.from),
    ]);
    if (got < FIXED_HEADER) return undefined;
    const v = new DataView(head.buffer);
    if (v.getUint32(0, true) !== PART_MAGIC || head[4] !== 1) return undefined;
    const length = v.getUint32(8, true);
    if (v.getUint32(12, true) !== CHUNK_BYTES || length > maxPartSize) return undefined;
    const hlen = headerBytes(length);
    if (got < hlen) return undefined;
    if (crc32c(head.subarray(0, hlen - 4)) !== v.getUint32(hlen - 4, true)) return undefined;
    const e = Math.min(end, length);
    if (start >= e) return start <= length ? new Uint8Array(0) : undefined;
    const span = chunkSpan(start, e, length)!;
    let data: Uint8Array;
    if (hlen === hmax && guessed !== undefined && guess?.from === span.from && guess.to >= span.to) {
      if (guessedGot < span.to - span.from) return undefined;
      data = guessed.subarray(0, span.to - span.from);
    } else {
      data = new Uint8Array(span.to - span.from);
      if ((await readFully(handle, data, hlen + span.from)) !== data.length) return undefined;
    }
    const c0 = span.from / CHUNK_BYTES;
    for (let c = c0; c * CHUNK_BYTES < span.to; c++) {
      const a = c * CHUNK_BYTES - span.from;
      const chunk = data.subarray(a, Math.min(data.length, a + CHUNK_BYTES));
      if (crc32c(chunk) !== v.getUint32(FIXED_HEADER + 4 * c, true)) return undefined;
    }
    return data.subarray(start - span.from, e - span.from);
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Encodes an object's metadata for `_head`. */
export function encodeHead(meta: ObjectMeta): Uint8Array {
  const json = new TextEncoder().encode(
    JSON.stringify({ size: meta.size, lastModifiedMs: meta.lastModifiedMs, etag: meta.etag ?? null }),
  );
  const out = new Uint8Array(8 + json.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, HEAD_MAGIC, true);
  v.setUint32(4, crc32c(json), true);
  out.set(json, 8);
  return out;
}

/** Decodes `_head` bytes; undefined when torn or corrupt. */
export function decodeHead(bytes: Uint8Array, path: string): ObjectMeta | undefined {
  if (bytes.length < 8) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== HEAD_MAGIC) return undefined;
  const json = bytes.subarray(8);
  if (crc32c(json) !== v.getUint32(4, true)) return undefined;
  try {
    const o = JSON.parse(new TextDecoder().decode(json)) as {
      size: unknown;
      lastModifiedMs: unknown;
      etag: unknown;
    };
    if (!Number.isSafeInteger(o.size) || (o.size as number) < 0) return undefined;
    if (typeof o.lastModifiedMs !== 'number') return undefined;
    if (o.etag !== null && typeof o.etag !== 'string') return undefined;
    return {
      path,
      size: o.size as number,
      lastModifiedMs: o.lastModifiedMs,
      etag: o.etag === null ? undefined : o.etag,
    };
  } catch {
    return undefined;
  }
}
