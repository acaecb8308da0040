/**
 * FrameArena: the journal's queue of encoded frames not yet written, kept in one contiguous buffer so that a group
 * is a slice of it (no per-record allocation, no copy to join a group), with the buffer recycled after its write.
 *
 * Invariants: frames are stored back to back in LSN order; `take` returns whole frames only, at least one when
 * any is queued, and never more than `maxBytes` unless the first frame alone is larger. A taken buffer is not
 * reused until `recycle` gives it back.
 * Concurrency: single owner (the journal); `append` and `take` run on the event loop.
 */
import { encodeFrameInto, FRAME_HEADER_BYTES } from './journal-format.js';

const INITIAL_BYTES = 64 * 1024;

/** Frames waiting to be written. */
export class FrameArena {
  #buf: Uint8Array = Buffer.allocUnsafe(INITIAL_BYTES);
  #bytes = 0;
  /** End offset of each queued frame. */
  #ends: number[] = [];
  #spare: Uint8Array | undefined;

  /** Queued bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queued frames. */
  get frames(): number {
    return this.#ends.length;
  }

  /** Encodes record `lsn` at the end of the queue. */
  append(lsn: number, payload: Uint8Array): void {
    const need = this.#bytes + FRAME_HEADER_BYTES + payload.length;
    if (need > this.#buf.length) this.#grow(need);
    this.#bytes = encodeFrameInto(this.#buf, this.#bytes, lsn, payload);
    this.#ends.push(this.#bytes);
  }

  /** Removes the next group: the longest run of whole frames within `maxBytes` (at least one frame). */
  take(maxBytes: number): { bytes: Uint8Array; count: number } {
    const ends = this.#ends;
    let count = 1;
    while (count < ends.length && ends[count]! <= maxBytes) count++;
    const end = ends[count - 1]!;
    const taken = this.#buf;
    const fresh =
      this.#spare !== undefined && this.#spare.length >= this.#bytes - end ? this.#spare : undefined;
    this.#spare = undefined;
    this.#buf = fresh ?? Buffer.allocUnsafe(Math.max(INITIAL_BYTES, taken.length));
    this.#buf.set(taken.subarray(end, this.#bytes), 0);
    this.#bytes -= end;
    this.#ends = count === ends.length ? [] : ends.slice(count).map((e) => e - end);
    return { bytes: taken.subarray(0, end), count };
  }

  /** Gives back a buffer returned by `take` once its write finished. */
  recycle(bytes: Uint8Array): void {
    const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.buffer.byteLength - bytes.byteOffset);
    if (this.#spare === undefined || whole.length > this.#spare.length) this.#spare = whole;
  }

  #grow(need: number): void {
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    next.set(this.#buf.subarray(0, this.#bytes), 0);
    this.#buf = next;
  }
}
