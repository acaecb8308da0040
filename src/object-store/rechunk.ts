/**
 * Rechunking for streamed uploads: turns a stream of arbitrary chunks into parts of exactly `partSizeBytes` (the
 * last may be shorter; an empty stream yields nothing), as multipart and block uploads need.
 *
 * Invariants: the concatenation of the parts equals the concatenation of the input; every part but the last is
 * exactly `partSizeBytes` long; parts are fresh Buffers (the caller may keep them while reading on). Memory held
 * is at most one part plus one input chunk.
 * Concurrency: a single consumer.
 */
import { assert } from '../util/assert.js';

/** Yields parts of `partSizeBytes` bytes made from `chunks`. */
export async function* rechunk(
  chunks: AsyncIterable<Uint8Array>,
  partSizeBytes: number,
): AsyncIterable<Buffer> {
  assert(Number.isSafeInteger(partSizeBytes) && partSizeBytes > 0, 'rechunk: part size must be positive');
  let part = Buffer.allocUnsafe(partSizeBytes);
  let fill = 0;
  for await (const chunk of chunks) {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(partSizeBytes - fill, chunk.length - off);
      part.set(chunk.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === partSizeBytes) {
        yield part;
        part = Buffer.allocUnsafe(partSizeBytes);
        fill = 0;
      }
    }
  }
  if (fill > 0) yield part.subarray(0, fill);
}
