/**
 * Block: one decoded (checksum-verified, decompressed) data block of either layout, and the cursor that reads
 * rows from it (docs/format.md#data-blocks).
 *
 * Format: V2 = entries ‖ u16 BE restart offsets ‖ u16 BE count; V1 = entries ‖ u16 BE offset per entry ‖ u16 BE
 * count. The SST's format version (from the manifest, or the footer for WAL SSTs) says which.
 * Invariants: `decode` checks the trailer (count >= 1, offsets start at 0 and strictly increase inside the
 * entry area) so cursors never read outside the block; row-level damage is a data error when reached.
 * Point reads may ask `decode` for a directory of a V2 block (every entry's offset and 4 key bytes past the
 * block's common prefix, about 8 bytes per entry, counted in byteSize): a seek then binary-searches all entries
 * instead of scanning up to 15 of them from a restart point, which touches a few cache lines instead of many.
 * Concurrency: a Block is immutable and may be shared (block cache); a BlockCursor has one owner.
 */
import { assert } from '../util/assert.js';
import { readU16BE } from '../util/bytes.js';
import { dataError } from '../util/errors.js';
import type { RowEntry } from './row.js';
import { decodeRowV0 } from './row-codec-v0.js';
import { RowV2Decoder } from './row-codec-v2.js';
import { SST_FORMAT_V1, SST_FORMAT_V2 } from './versions.js';

/** A decoded data block. */
export class Block {
  /** The raw block (entries and trailer). */
  readonly raw: Uint8Array;
  /** End of the entry area. */
  readonly dataEnd: number;
  /** V2: restart offsets; V1: one offset per entry. */
  readonly offsets: Uint32Array;
  /** SST format version whose block layout this is (1 or 2). */
  readonly version: number;
  /** Names the block in errors ("path block 3"). */
  readonly where: string;
  /** V2 blocks decoded for point reads: the entry directory (see the file header). */
  readonly directory: BlockDirectory | undefined;

  private constructor(
    raw: Uint8Array,
    dataEnd: number,
    offsets: Uint32Array,
    version: number,
    where: string,
    directory: boolean,
  ) {
    this.raw = raw;
    this.dataEnd = dataEnd;
    this.offsets = offsets;
    this.version = version;
    this.where = where;
    this.directory = directory && version === SST_FORMAT_V2 ? buildDirectory(this) : undefined;
  }

  /**
   * Parses a raw block's trailer (and, with `directory`, every entry of a V2 block, to build its directory).
   * Damage is a data error naming `where`.
   */
  static decode(bytes: Uint8Array, version: number, where: string, directory = false): Block {
    // Rows are views of `raw`: a plain Uint8Array keeps them plain (Buffer views are slower to make, and
    // Buffer#slice would not copy).
    const raw =
      Object.getPrototypeOf(bytes) === Uint8Array.prototype
        ? bytes
        : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert(version === SST_FORMAT_V1 || version === SST_FORMAT_V2, () => `unknown block version ${version}`);
    if (raw.length < 2) throw dataError('INVALID_FORMAT', `${where}: block of ${raw.length} bytes`);
    const n = readU16BE(raw, raw.length - 2);
    const dataEnd = raw.length - 2 - 2 * n;
    if (n === 0 || dataEnd < 0) {
      throw dataError('INVALID_FORMAT', `${where}: block trailer claims ${n} offsets in ${raw.length} bytes`);
    }
    const offsets = new Uint32Array(n);
    let prev = -1;
    for (let i = 0; i < n; i++) {
      const o = readU16BE(raw, dataEnd + 2 * i);
      if (o <= prev || o >= dataEnd || (i === 0 && o !== 0)) {
        throw dataError('INVALID_FORMAT', `${where}: block offset ${i} (${o}) out of order or out of range`);
      }
      offsets[i] = o;
      prev = o;
    }
    return new Block(raw, dataEnd, offsets, version, where, directory);
  }

  /** Memory the block holds, for cache accounting. */
  get byteSize(): number {
    const dir = this.directory === undefined ? 0 : this.directory.words.byteLength + 64;
    return this.raw.byteLength + this.offsets.byteLength + 64 + dir;
  }

  /** Decodes every row, in stored order. */
  rows(): RowEntry[] {
    const out: RowEntry[] = [];
    const c = new BlockCursor(this);
    for (let r = c.next(); r !== undefined; r = c.next()) out.push(r);
    return out;
  }
}

/**
 * Every entry of a V2 block: `words[i]` holds bytes [prefixLen, prefixLen + 4) of entry i's key (big-endian,
 * zero-padded) and `words[count + i]` its offset. All keys of the block share their first `prefixLen` bytes,
 * which entry 0 (a restart point, so stored whole) holds at `firstKeyOff`. Heads are non-decreasing, and
 * head(a) < head(b) implies a < b.
 */
export interface BlockDirectory {
  readonly count: number;
  readonly prefixLen: number;
  readonly firstKeyOff: number;
  readonly words: Uint32Array;
}

function head4(k: Uint8Array, len: number, p: number): number {
  const b0 = p < len ? k[p]! : 0;
  const b1 = p + 1 < len ? k[p + 1]! : 0;
  const b2 = p + 2 < len ? k[p + 2]! : 0;
  const b3 = p + 3 < len ? k[p + 3]! : 0;
  return ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
}

/** Parses every entry of a V2 block (reporting damage as data errors) and builds its directory. */
function buildDirectory(b: Block): BlockDirectory {
  const dec = new RowV2Decoder();
  const offs: number[] = [];
  let first: Uint8Array | undefined;
  let restart = 0;
  for (let pos = 0; pos < b.dataEnd; pos = dec.entryEnd) {
    if (restart < b.offsets.length && pos === b.offsets[restart]) {
      dec.reset();
      restart++;
    } else if (restart < b.offsets.length && pos > b.offsets[restart]!) {
      throw dataError('INVALID_FORMAT', `${b.where}: an entry straddles restart point ${restart}`);
    }
    dec.parse(b.raw, pos, b.dataEnd, b.where);
    first ??= dec.keyBuf.slice(0, dec.keyLen);
    offs.push(pos);
  }
  // Keys are sorted, so what the first and last share, all share.
  const last = dec.keyBuf;
  let p = 0;
  while (p < first!.length && p < dec.keyLen && first![p] === last[p]) p++;
  const n = offs.length;
  const words = new Uint32Array(2 * n);
  dec.reset();
  restart = 0;
  for (let i = 0; i < n; i++) {
    if (restart < b.offsets.length && offs[i] === b.offsets[restart]) {
      dec.reset();
      restart++;
    }
    dec.parse(b.raw, offs[i]!, b.dataEnd, b.where);
    words[i] = head4(dec.keyBuf, dec.keyLen, p);
    words[n + i] = offs[i]!;
  }
  const firstKeyOff = varintEnd(b.raw, varintEnd(b.raw, varintEnd(b.raw, 0)));
  return { count: n, prefixLen: p, firstKeyOff, words };
}

/** The offset just past the (already validated) LEB128 varint at `p`. */
function varintEnd(raw: Uint8Array, p: number): number {
  while (raw[p]! >= 0x80) p++;
  return p + 1;
}

/** Compares `buf[0, len)` with `key` bytewise. */
function compareKeyBuf(buf: Uint8Array, len: number, key: Uint8Array): number {
  const n = Math.min(len, key.length);
  for (let i = 0; i < n; i++) {
    const d = buf[i]! - key[i]!;
    if (d !== 0) return d;
  }
  return len - key.length;
}

/** A LEB128 u32 at `p` not past `end`, or -1 when malformed; `out[0]` receives the next offset. */
function varintAt(raw: Uint8Array, p: number, end: number, out: Int32Array): number {
  let v = 0;
  for (let i = 0; i < 5; i++, p++) {
    if (p >= end) return -1;
    const byte = raw[p]!;
    v += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) {
      out[0] = p + 1;
      return v;
    }
  }
  return -1;
}

const varintNext = new Int32Array(1);

/**
 * Compares the full key stored at a V2 restart point with `key`, in place (no copy). An entry whose header is
 * damaged (or that does not start with shared = 0) is decoded the slow way, which reports the damage.
 */
function compareRestartKey(b: Block, dec: RowV2Decoder, off: number, key: Uint8Array): number {
  const raw = b.raw;
  const end = b.dataEnd;
  const shared = varintAt(raw, off, end, varintNext);
  const len = shared === 0 ? varintAt(raw, varintNext[0]!, end, varintNext) : -1;
  const vlen = len > 0 ? varintAt(raw, varintNext[0]!, end, varintNext) : -1;
  const p = varintNext[0]!;
  if (vlen < 0 || p + len > end) {
    dec.reset();
    dec.parse(raw, off, end, b.where); // throws for damage
    return compareKeyBuf(dec.keyBuf, dec.keyLen, key);
  }
  const n = Math.min(len, key.length);
  for (let i = 0; i < n; i++) {
    const d = raw[p + i]! - key[i]!;
    if (d !== 0) return d;
  }
  return len - key.length;
}

/** Reads rows of one block in stored order, with a seek to the first row whose key is >= a key. */
export class BlockCursor {
  #block: Block;
  readonly #dec = new RowV2Decoder();
  /** V2: offset of the next entry; V1: index of the next entry. */
  #pos = 0;
  /** V2: index of the next restart point at or after #pos. */
  #nextRestart = 0;
  /** V2: the entry at #pos has been parsed into #dec. */
  #parsed = false;
  #firstKey: Uint8Array | undefined;

  constructor(block: Block) {
    this.#block = block;
  }

  /** Reuses this cursor for another block, positioned before its first row. */
  reset(block: Block): void {
    this.#block = block;
    this.#firstKey = undefined;
    this.seekToFirst();
  }

  /** Positions before the first row. */
  seekToFirst(): void {
    this.#pos = 0;
    this.#nextRestart = 0;
    this.#parsed = false;
    this.#dec.reset();
  }

  /** Positions at the first row whose key is >= `key` (at the end if none). */
  seek(key: Uint8Array): void {
    if (this.#block.version === SST_FORMAT_V1) {
      this.#seekV1(key);
      return;
    }
    const b = this.#block;
    if (b.directory !== undefined) {
      this.#seekDirectory(b.directory, key);
      return;
    }
    const offs = b.offsets;
    // The last restart whose key is < key: every version of `key` starts at or after it.
    let lo = 0;
    let hi = offs.length - 1;
    let start = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareRestartKey(b, this.#dec, offs[mid]!, key) < 0) {
        start = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    this.#scanFrom(start, key);
  }

  /**
   * From restart `start`, positions at the first entry whose key is >= `key` without rebuilding the keys it
   * passes: `matched` is how many leading bytes the previous key shares with `key` (that key being smaller, it
   * differs there or ends). An entry sharing more than `matched` bytes with its predecessor is smaller than
   * `key` too; otherwise its key is `key[0, shared)` + its suffix, compared in place. Damaged entries are left
   * to #parseNext, which reports them.
   */
  #scanFrom(start: number, key: Uint8Array): void {
    this.#scanAt(this.#block.offsets[start]!, start, 0, key);
  }

  /**
   * Binary search of the directory: the first entry whose head is >= key's head (all before it are smaller);
   * from there the scan compares in place, knowing from the heads how much of `key` the previous entry shares.
   */
  #seekDirectory(d: BlockDirectory, key: Uint8Array): void {
    const b = this.#block;
    const raw = b.raw;
    const p = d.prefixLen;
    for (let i = 0; i < p; i++) {
      // A proper prefix of the common prefix, or smaller at byte i: before every key; larger: after them all.
      const c = i < key.length ? raw[d.firstKeyOff + i]! - key[i]! : 1;
      if (c > 0) {
        this.#scanAt(0, 0, 0, key);
        return;
      }
      if (c < 0) {
        this.#scanAt(b.dataEnd, b.offsets.length, 0, key);
        return;
      }
    }
    const words = d.words;
    const n = d.count;
    const h = head4(key, key.length, p);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (words[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0 || lo === n) {
      this.#scanAt(lo === 0 ? 0 : b.dataEnd, lo === 0 ? 0 : b.offsets.length, 0, key);
      return;
    }
    const pos = words[n + lo]!;
    const offs = b.offsets;
    let restart = 0;
    while (restart < offs.length && offs[restart]! < pos) restart++;
    // Entry lo-1 is smaller than key and shares with it the prefix plus the equal leading bytes of the heads.
    const x = (words[lo - 1]! ^ h) >>> 0;
    const same = x === 0 ? 4 : Math.clz32(x) >>> 3;
    this.#scanAt(pos, restart, p + same, key);
  }

  /**
   * The scan of #scanFrom from the entry at `pos`, where `restart` is the first restart point at or after `pos`
   * and `matched` is how many leading bytes of `key` the entry before `pos` (smaller than key) shares with it.
   */
  #scanAt(pos: number, restart: number, matched: number, key: Uint8Array): void {
    const b = this.#block;
    const raw = b.raw;
    const end = b.dataEnd;
    const offs = b.offsets;
    for (;;) {
      this.#pos = pos;
      this.#nextRestart = restart;
      this.#parsed = false;
      if (pos >= end) return;
      const atRestart = restart < offs.length && pos === offs[restart];
      let p = pos;
      let shared = raw[p++]!;
      let unshared = p < end ? raw[p++]! : 0x80;
      let vlen = p < end ? raw[p++]! : 0x80;
      if ((shared | unshared | vlen) >= 0x80) {
        // Multi-byte varints: decode the slow way.
        shared = varintAt(raw, pos, end, varintNext);
        unshared = shared < 0 ? -1 : varintAt(raw, varintNext[0]!, end, varintNext);
        vlen = unshared < 0 ? -1 : varintAt(raw, varintNext[0]!, end, varintNext);
        p = varintNext[0]!;
      }
      const keyOff = p;
      const tail = keyOff + unshared + vlen;
      if (vlen < 0 || tail + 9 > end || (atRestart && shared !== 0)) {
        this.#seedDecoder(key, 0, restart);
        return; // #parseNext decodes (and reports) this damaged entry
      }
      const flags = raw[tail + 8]!;
      const entryEnd = tail + 9 + ((flags & 0x02) !== 0 ? 8 : 0) + ((flags & 0x04) !== 0 ? 8 : 0);
      if (!atRestart && shared > matched) {
        pos = entryEnd;
        continue;
      }
      // Compare key[0, shared) + suffix with `key`: the first `shared` bytes are equal by construction.
      let i = 0;
      let c = 0;
      const n = Math.min(unshared, key.length - shared);
      while (i < n) {
        c = raw[keyOff + i]! - key[shared + i]!;
        if (c !== 0) break;
        i++;
      }
      if (c === 0) c = shared + unshared - key.length;
      if (c >= 0) {
        this.#seedDecoder(key, shared, restart);
        return;
      }
      matched = shared + i;
      pos = entryEnd;
      if (atRestart) restart++;
    }
  }

  /** Leaves #dec holding `key[0, shared)` as the previous key, so the entry at #pos decodes next. */
  #seedDecoder(key: Uint8Array, shared: number, restart: number): void {
    this.#nextRestart = restart;
    this.#dec.seedKey(key, shared);
  }

  /** Parses the entry at #pos if not yet parsed; false at the end of the block. */
  #parseNext(): boolean {
    if (this.#parsed) return true;
    const b = this.#block;
    if (this.#pos >= b.dataEnd) return false;
    if (this.#nextRestart < b.offsets.length && this.#pos === b.offsets[this.#nextRestart]) {
      this.#dec.reset();
      this.#nextRestart++;
    } else if (this.#nextRestart < b.offsets.length && this.#pos > b.offsets[this.#nextRestart]!) {
      throw dataError('INVALID_FORMAT', `${b.where}: an entry straddles restart point ${this.#nextRestart}`);
    }
    this.#dec.parse(b.raw, this.#pos, b.dataEnd, b.where);
    this.#parsed = true;
    return true;
  }

  /**
   * The next row, or undefined at the end of the block. `knownKey`, when given, must equal the row's key (as
   * checked by {@link nextKeyEquals}); the row then carries it instead of a copy.
   */
  next(knownKey?: Uint8Array): RowEntry | undefined {
    if (this.#block.version === SST_FORMAT_V1) return this.#nextV1();
    if (!this.#parseNext()) return undefined;
    const row = this.#dec.materialize(this.#block.raw, this.#block.where, knownKey);
    this.#pos = this.#dec.entryEnd;
    this.#parsed = false;
    return row;
  }

  /** True when no row is left. */
  atEnd(): boolean {
    if (this.#block.version === SST_FORMAT_V1) return this.#pos >= this.#block.offsets.length;
    return !this.#parseNext();
  }

  /** True when the next row's key equals `key` (false at the end). */
  nextKeyEquals(key: Uint8Array): boolean {
    if (this.#block.version === SST_FORMAT_V1) {
      const b = this.#block;
      if (this.#pos >= b.offsets.length) return false;
      const save = this.#pos;
      const row = this.#nextV1()!;
      this.#pos = save;
      return compareKeyBuf(row.key, row.key.length, key) === 0;
    }
    if (!this.#parseNext()) return false;
    return compareKeyBuf(this.#dec.keyBuf, this.#dec.keyLen, key) === 0;
  }

  #entryV1(i: number): RowEntry {
    const b = this.#block;
    const end = i + 1 < b.offsets.length ? b.offsets[i + 1]! : b.dataEnd;
    if (i > 0 && this.#firstKey === undefined) this.#firstKey = this.#entryV1(0).key;
    return decodeRowV0(b.raw, b.offsets[i]!, end, i === 0 ? undefined : this.#firstKey, b.where);
  }

  #nextV1(): RowEntry | undefined {
    if (this.#pos >= this.#block.offsets.length) return undefined;
    const row = this.#entryV1(this.#pos++);
    if (this.#pos === 1) this.#firstKey = row.key;
    return row;
  }

  #seekV1(key: Uint8Array): void {
    let lo = 0;
    let hi = this.#block.offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.#entryV1(mid).key;
      if (compareKeyBuf(k, k.length, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.#pos = lo;
  }
}
