/**
 * SstIndex: the index block of an SST, one (offset, first key) per data block, and the rule that picks each
 * block's index key (docs/format.md#index-block).
 *
 * Format: flatbuffer `SsTableIndex { block_meta: [BlockMeta { offset: u64, first_key: [ubyte] (required) }] }`.
 * Compacted SSTs: block 0's key is empty; block i's key is the shortest prefix of its first key that is greater
 * than block i-1's last key (the whole key when both are equal). WAL SSTs: the block's first seq, 8 bytes BE.
 * Invariants: a decoded index has strictly increasing offsets starting at 0 (when non-empty); keys are views
 * into the decoded index buffer.
 * Concurrency: immutable once decoded; shared by every reader of the SST.
 */
import type { Builder, Offset } from 'flatbuffers';
import { compareBytes } from '../util/bytes.js';
import { FbReader } from './flatbuffer-reader.js';
import { createOffsetVector, finishBytes, u64 } from './flatbuffer-writer.js';

const EMPTY = new Uint8Array(0);

/**
 * The index key for a block whose first key is `first`, after a block whose last key was `prevLast` (undefined
 * for the first block). Returns a view of `first` (or the empty key).
 */
export function indexKey(prevLast: Uint8Array | undefined, first: Uint8Array): Uint8Array {
  if (prevLast === undefined) return EMPTY;
  const n = prevLast.length;
  for (let i = 0; i < n; i++) {
    if (i >= first.length) return first;
    if (prevLast[i] !== first[i]) return first.subarray(0, i + 1);
  }
  if (first.length === n) return first;
  return first.subarray(0, n + 1);
}

/** Adds one BlockMeta table (offset, then first_key, as Rust's create adds them). */
export function addBlockMeta(b: Builder, offset: number, firstKey: Offset): Offset {
  b.startObject(2);
  b.addFieldInt64(0, u64(offset), 0n);
  b.addFieldOffset(1, firstKey, 0);
  return b.endObject();
}

/** Finishes an index whose BlockMeta tables were added to `b` in block order. */
export function finishIndex(b: Builder, metas: readonly Offset[]): Uint8Array {
  const vec = createOffsetVector(b, metas);
  b.startObject(1);
  b.addFieldOffset(0, vec, 0);
  return finishBytes(b, b.endObject());
}

/** A decoded index. */
export class SstIndex {
  /** Byte offset of each data block. */
  readonly offsets: readonly number[];
  /** Index key of each data block. */
  readonly keys: readonly Uint8Array[];

  constructor(offsets: readonly number[], keys: readonly Uint8Array[]) {
    this.offsets = offsets;
    this.keys = keys;
  }

  get blockCount(): number {
    return this.offsets.length;
  }

  /** Memory held (for cache accounting): keys are views into one decoded buffer. */
  get byteSize(): number {
    let n = 64 + 16 * this.offsets.length;
    if (this.keys.length > 0) n += this.keys[0]!.buffer.byteLength;
    return n;
  }

  /** Decodes and checks an index block. */
  static decode(bytes: Uint8Array, what: string): SstIndex {
    const r = new FbReader(bytes, what);
    const metas = r.root().requiredTables(0, 'block_meta', (t) => ({
      offset: t.u64(0),
      key: t.requiredBytes(1, 'first_key'),
    }));
    const offsets = new Array<number>(metas.length);
    const keys = new Array<Uint8Array>(metas.length);
    for (let i = 0; i < metas.length; i++) {
      const m = metas[i]!;
      if (i === 0 ? m.offset !== 0 : m.offset <= offsets[i - 1]!) {
        r.fail(`block ${i} offset ${m.offset} is out of order`);
      }
      offsets[i] = m.offset;
      keys[i] = m.key;
    }
    return new SstIndex(offsets, keys);
  }

  /** Search acceleration: keys[1..] share `#p` bytes; `#heads[i]` packs the next 4 bytes of keys[i] (BE). */
  #p = -1;
  #heads: Uint32Array | undefined;

  #prepare(): void {
    const n = this.keys.length;
    if (n < 3) {
      this.#p = 0;
      return;
    }
    const a = this.keys[1]!;
    const b = this.keys[n - 1]!;
    let p = 0;
    while (p < a.length && p < b.length && a[p] === b[p]) p++;
    this.#p = p;
    const heads = new Uint32Array(n);
    for (let i = 1; i < n; i++) heads[i] = head(this.keys[i]!, p);
    this.#heads = heads;
  }

  /** Number of keys < `key` (or <= key when `orEqual`). */
  #count(key: Uint8Array, orEqual: boolean): number {
    const keys = this.keys;
    const n = keys.length;
    if (n === 0) return 0;
    if (this.#p < 0) this.#prepare();
    const heads = this.#heads;
    const c0 = compareBytes(keys[0]!, key);
    if (c0 > 0 || (c0 === 0 && !orEqual)) return 0;
    if (heads === undefined) {
      let lo = 1;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const c = compareBytes(keys[mid]!, key);
        if (c < 0 || (c === 0 && orEqual)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    // Outside the shared prefix, the key sorts before or after every key but the first.
    const p = this.#p;
    const first = keys[1]!;
    for (let i = 0; i < p; i++) {
      if (i >= key.length) return 1;
      const d = first[i]! - key[i]!;
      if (d !== 0) return d > 0 ? 1 : n;
    }
    const h = head(key, p);
    let lo = 1;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const hm = heads[mid]!;
      let c: number;
      if (hm !== h) c = hm < h ? -1 : 1;
      else c = compareFrom(keys[mid]!, key, p);
      if (c < 0 || (c === 0 && orEqual)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The first block that can hold `key`: (blocks whose index key is < key) - 1, or 0. Versions of one key may
   * straddle blocks, so a reader scans forward from here.
   */
  firstBlockFor(key: Uint8Array): number {
    const lo = this.#count(key, false);
    return lo > 0 ? lo - 1 : 0;
  }

  /**
   * The last block that can hold a key <= `key` (or < key when `exclusive`): (blocks whose index key is
   * <= key, or < key) - 1. -1 when every block starts above.
   */
  lastBlockFor(key: Uint8Array, exclusive: boolean): number {
    return this.#count(key, !exclusive) - 1;
  }
}

/** Bytes [p, p + 4) of `k` as a big-endian u32, zero-padded. */
function head(k: Uint8Array, p: number): number {
  return (((k[p] ?? 0) << 24) | ((k[p + 1] ?? 0) << 16) | ((k[p + 2] ?? 0) << 8) | (k[p + 3] ?? 0)) >>> 0;
}

/** compareBytes of `a` and `b` when both are known to share their first `p` bytes. */
function compareFrom(a: Uint8Array, b: Uint8Array, p: number): number {
  const n = Math.min(a.length, b.length);
  for (let i = p; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
