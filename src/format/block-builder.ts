/**
 * BlockBuilder: packs rows into one V2 data block, the block format SlateDB 0.12.1 writes
 * (docs/format.md#data-blocks).
 *
 * Format: entries (row codec V2) ‖ u16 BE restart offsets ‖ u16 BE restart count. Entry 0, 16, 32, ... is a
 * restart point (stores its whole key); every other entry shares a prefix with the previous key.
 * Invariants: a row is accepted when the block is empty (so an oversized row gets a block of its own) or when
 * data + 2 per restart + 2, plus the row and its restart slot if it starts one, stays <= the target size; this
 * is 0.12.1's rule, so blocks split where SlateDB's split. Keys are never empty.
 * Concurrency: single owner; not shared.
 */
import { assert } from '../util/assert.js';
import { sharedPrefixLength, writeU16BE } from '../util/bytes.js';
import type { RowEntry } from './row.js';
import { encodeRowV2, rowV2Size } from './row-codec-v2.js';

/** Entries between restart points. */
export const RESTART_INTERVAL = 16;
/** Smallest and largest target block sizes. */
export const BLOCK_SIZE_MIN = 1;
export const BLOCK_SIZE_MAX = 65_536;

const EMPTY = new Uint8Array(0);

/** Builds one V2 block at a time; reusable after {@link finish}. */
export class BlockBuilder {
  readonly blockSize: number;
  #data = new Uint8Array(4096);
  #len = 0;
  #restarts: number[] = [];
  #count = 0;
  #lastKey: Uint8Array = EMPTY;

  /** Requires: 1 <= blockSize <= 65536. */
  constructor(blockSize: number) {
    assert(
      Number.isInteger(blockSize) && blockSize >= BLOCK_SIZE_MIN && blockSize <= BLOCK_SIZE_MAX,
      () => `block size ${blockSize} outside [${BLOCK_SIZE_MIN}, ${BLOCK_SIZE_MAX}]`,
    );
    this.blockSize = blockSize;
  }

  /** Rows in the block so far. */
  get count(): number {
    return this.#count;
  }

  /** True when no row has been added since the last finish. */
  get isEmpty(): boolean {
    return this.#count === 0;
  }

  /** Raw size of the block if finished now. */
  get size(): number {
    return this.#len + 2 * this.#restarts.length + 2;
  }

  #shared(key: Uint8Array): number {
    return this.#count % RESTART_INTERVAL === 0 ? 0 : sharedPrefixLength(this.#lastKey, key);
  }

  /** True when `row` would be accepted now. */
  wouldFit(row: RowEntry): boolean {
    if (this.#count === 0) return true;
    const restart = this.#count % RESTART_INTERVAL === 0 ? 2 : 0;
    return this.size + rowV2Size(row, this.#shared(row.key)) + restart <= this.blockSize;
  }

  /**
   * Adds `row` if it fits (see the file header) and returns whether it did.
   * Requires: a non-empty key, and rows in the order the caller's SST type demands.
   */
  add(row: RowEntry): boolean {
    assert(row.key.length > 0, 'block rows need a non-empty key');
    const restart = this.#count % RESTART_INTERVAL === 0;
    const shared = restart ? 0 : sharedPrefixLength(this.#lastKey, row.key);
    const entrySize = rowV2Size(row, shared);
    if (this.#count > 0 && this.size + entrySize + (restart ? 2 : 0) > this.blockSize) return false;
    if (restart) {
      assert(this.#len <= 0xffff, () => `restart offset ${this.#len} does not fit a u16`);
      this.#restarts.push(this.#len);
    }
    this.#reserve(entrySize);
    this.#len = encodeRowV2(this.#data, this.#len, row, shared);
    this.#lastKey = row.key;
    this.#count++;
    return true;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#data.length) return;
    const grown = new Uint8Array(Math.max(this.#len + n, this.#data.length * 2));
    grown.set(this.#data.subarray(0, this.#len));
    this.#data = grown;
  }

  /**
   * Writes the finished raw block at `dst[off..]` (which must hold `size` bytes), resets the builder and returns
   * the offset after the block. Requires: at least one row.
   */
  finishInto(dst: Uint8Array, off: number): number {
    assert(this.#count > 0, 'cannot finish an empty block');
    assert(dst.length - off >= this.size, 'finishInto: destination too small');
    dst.set(this.#data.subarray(0, this.#len), off);
    off += this.#len;
    const restarts = this.#restarts;
    const r = restarts.length;
    for (let i = 0; i < r; i++, off += 2) writeU16BE(dst, off, restarts[i]!);
    writeU16BE(dst, off, r);
    this.#len = 0;
    restarts.length = 0;
    this.#count = 0;
    this.#lastKey = EMPTY;
    return off + 2;
  }

  /**
   * Returns the finished raw block (a fresh array with `reserve` spare bytes after it, for a caller that frames
   * it in place) and resets the builder.
   * Requires: at least one row.
   */
  finish(reserve = 0): Uint8Array {
    assert(this.#count > 0, 'cannot finish an empty block');
    const r = this.#restarts.length;
    const out = new Uint8Array(this.#len + 2 * r + 2 + reserve);
    out.set(this.#data.subarray(0, this.#len));
    let off = this.#len;
    for (let i = 0; i < r; i++, off += 2) writeU16BE(out, off, this.#restarts[i]!);
    writeU16BE(out, off, r);
    this.#len = 0;
    this.#restarts = [];
    this.#count = 0;
    this.#lastKey = EMPTY;
    return out;
  }
}
