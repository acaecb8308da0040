/**
 * SegmentReader: streams the records of one journal segment from a file handle in bounded chunks, checking every
 * CRC, and says how the segment ends (the same classification as `scanSegment`, without holding the file).
 *
 * Invariants: memory held is at most one chunk plus one record; returned payloads are views into buffers the
 * reader never writes again, so they stay valid. The reader never reads at or past `endOffset`.
 * Concurrency: one reader per handle at a time; the handle may be appended to meanwhile (beyond `endOffset`).
 */
import type { FileHandle } from './file-system.js';
import { toIoError } from './io-error.js';
import { parseFrame, SEGMENT_HEADER_BYTES, type TailClass } from './journal-format.js';

/** Default read size. */
export const READ_CHUNK_BYTES = 1 << 20;

/** One step of a segment read. */
export type SegmentStep =
  | { readonly kind: 'record'; readonly lsn: number; readonly payload: Uint8Array; readonly end: number }
  | { readonly kind: 'end'; readonly offset: number }
  | {
      readonly kind: 'invalid';
      readonly tail: Exclude<TailClass, 'clean' | 'bad-magic'>;
      readonly offset: number;
      readonly detail: string;
    };

/** Reads the records of a segment whose header was already checked. */
export class SegmentReader {
  readonly #handle: FileHandle;
  #endOffset: number;
  readonly #chunkBytes: number;
  #buf = new Uint8Array(0);
  /** File offset of `#buf[0]`. */
  #bufStart: number;
  #pos = 0;
  #lsn: number;

  /**
   * Reads records `baseLsn, baseLsn + 1, ...` from `startOffset` (default: just after the header) up to
   * `endOffset` (the file size, or a durable bound), reading `chunkBytes` at a time.
   */
  constructor(
    handle: FileHandle,
    baseLsn: number,
    endOffset: number,
    startOffset = SEGMENT_HEADER_BYTES,
    chunkBytes = READ_CHUNK_BYTES,
  ) {
    this.#handle = handle;
    this.#endOffset = endOffset;
    this.#chunkBytes = Math.max(1, chunkBytes);
    this.#bufStart = startOffset;
    this.#lsn = baseLsn;
  }

  /** The LSN the next record would have. */
  get nextLsn(): number {
    return this.#lsn;
  }

  /** The next record, or how the segment ends (after which it keeps returning the same). */
  async next(): Promise<SegmentStep> {
    for (;;) {
      const atEof = this.#bufStart + this.#buf.length >= this.#endOffset;
      const r = parseFrame(this.#buf, this.#pos, this.#lsn, atEof);
      const offset = this.#bufStart + this.#pos;
      if (r.kind === 'record') {
        this.#pos = r.end;
        const payload = this.#buf.subarray(r.payloadStart, r.end);
        return { kind: 'record', lsn: this.#lsn++, payload, end: this.#bufStart + r.end };
      }
      if (r.kind === 'end') {
        return { kind: 'end', offset };
      }
      if (r.kind === 'invalid') {
        return { kind: 'invalid', tail: r.tail, offset, detail: r.detail };
      }
      await this.#fill(r.bytesNeeded);
    }
  }

  /** Keeps the unread bytes and reads at least enough more for `bytesNeeded` from `#pos` (bounded by the end). */
  async #fill(bytesNeeded: number): Promise<void> {
    const left = this.#buf.subarray(this.#pos);
    const fileOffset = this.#bufStart + this.#pos + left.length;
    const want = Math.min(
      Math.max(this.#chunkBytes, bytesNeeded - left.length),
      this.#endOffset - fileOffset,
    );
    const next = new Uint8Array(left.length + want);
    next.set(left, 0);
    let got = 0;
    while (got < want) {
      let n: number;
      try {
        n = await this.#handle.read(next.subarray(left.length + got), fileOffset + got);
      } catch (e) {
        throw toIoError('read', this.#handle.path, e);
      }
      if (n === 0) break;
      got += n;
    }
    this.#bufStart += this.#pos;
    this.#buf = got === want ? next : next.subarray(0, left.length + got);
    this.#pos = 0;
    // The file is shorter than expected: its real end is the end.
    if (got < want) this.#endOffset = fileOffset + got;
  }
}
