/**
 * BlockV1Builder: packs rows into one V1 data block (SST format version 1), the layout SlateDB wrote before
 * 0.12; ShaleDB writes it only to test that such SSTs are still read (docs/format.md#data-blocks).
 *
 * Format: entries (row codec V0, key prefix shared with the block's first key) ‖ u16 BE offset per entry ‖
 * u16 BE count.
 * Invariants: a row is accepted when the block is empty or when 2 + 2 per entry + data + the row's size stays
 * <= the target (the V1 rule does not count the new row's offset slot). Keys are never empty.
 * Concurrency: single owner.
 */
import { assert } from '../util/assert.js';
import { sharedPrefixLength, writeU16BE } from '../util/bytes.js';
import type { RowEntry } from './row.js';
import { encodeRowV0, rowV0Size } from './row-codec-v0.js';

/** Builds one V1 block at a time; reusable after {@link finish}. */
export class BlockV1Builder {
  readonly blockSize: number;
  #parts: Uint8Array[] = [];
  #len = 0;
  #offsets: number[] = [];
  #firstKey: Uint8Array | undefined;

  constructor(blockSize: number) {
    assert(Number.isInteger(blockSize) && blockSize >= 1 && blockSize <= 65_536, 'block size out of range');
    this.blockSize = blockSize;
  }

  get isEmpty(): boolean {
    return this.#offsets.length === 0;
  }

  get size(): number {
    return 2 + 2 * this.#offsets.length + this.#len;
  }

  /** True when `row` would be accepted now. */
  wouldFit(row: RowEntry): boolean {
    if (this.isEmpty) return true;
    const prefix = sharedPrefixLength(this.#firstKey!, row.key);
    return this.size + rowV0Size(row, prefix) <= this.blockSize;
  }

  /** Adds `row` if it fits; returns whether it did. */
  add(row: RowEntry): boolean {
    assert(row.key.length > 0, 'block rows need a non-empty key');
    const prefix = this.#firstKey === undefined ? 0 : sharedPrefixLength(this.#firstKey, row.key);
    const n = rowV0Size(row, prefix);
    if (!this.isEmpty && this.size + n > this.blockSize) return false;
    assert(this.#len <= 0xffff, 'V1 entry offset does not fit a u16');
    const part = new Uint8Array(n);
    encodeRowV0(part, 0, row, prefix);
    this.#offsets.push(this.#len);
    this.#parts.push(part);
    this.#len += n;
    this.#firstKey ??= row.key;
    return true;
  }

  /** Returns the finished raw block and resets the builder. Requires: at least one row. */
  finish(): Uint8Array {
    assert(!this.isEmpty, 'cannot finish an empty block');
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.#parts) {
      out.set(p, off);
      off += p.length;
    }
    for (const o of this.#offsets) {
      writeU16BE(out, off, o);
      off += 2;
    }
    writeU16BE(out, off, this.#offsets.length);
    this.#parts = [];
    this.#offsets = [];
    this.#len = 0;
    this.#firstKey = undefined;
    return out;
  }
}
