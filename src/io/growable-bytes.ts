/**
 * GrowableBytes: a byte buffer with a logical size that grows by doubling, for the in-memory file system's file
 * contents (positional writes past the end zero-fill the gap, as on a real file).
 *
 * Invariants: `size <= capacity`; bytes in [size, capacity) are zero.
 * Concurrency: single owner.
 */

/** A resizable byte array. */
export class GrowableBytes {
  #buf: Uint8Array;
  #size = 0;

  constructor(capacity = 0) {
    this.#buf = new Uint8Array(capacity);
  }

  /** A copy of `bytes`. */
  static from(bytes: Uint8Array): GrowableBytes {
    const g = new GrowableBytes(bytes.length);
    g.writeAt(0, bytes);
    return g;
  }

  get size(): number {
    return this.#size;
  }

  /** The live bytes (a view: valid until the next change). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#size);
  }

  /** Writes `data` at `offset`, growing (and zero-filling any gap) as needed. */
  writeAt(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    this.#reserve(end);
    this.#buf.set(data, offset);
    if (end > this.#size) this.#size = end;
  }

  /** Copies bytes at `offset` into `into`; returns how many (0 at or past the end). */
  readAt(offset: number, into: Uint8Array): number {
    if (offset >= this.#size) return 0;
    const n = Math.min(into.length, this.#size - offset);
    into.set(this.#buf.subarray(offset, offset + n));
    return n;
  }

  /** Sets the size: cuts (zeroing the cut part) or zero-extends. */
  truncate(length: number): void {
    if (length < this.#size) this.#buf.fill(0, length, this.#size);
    else this.#reserve(length);
    this.#size = length;
  }

  #reserve(n: number): void {
    if (n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(n, this.#buf.length * 2, 64));
    next.set(this.#buf.subarray(0, this.#size));
    this.#buf = next;
  }
}
