/**
 * SequenceTracker: the seq ↔ time samples a manifest carries (RFC-0012), with the encoding 0.12.1 stores in
 * `ManifestV1.sequence_tracker` (docs/format.md#sequence-tracker).
 *
 * Format: u8 version = 1 ‖ u32 LE count ‖ Gorilla(seqs) ‖ Gorilla(timestamps in seconds). A Gorilla stream is
 * MSB-first bits, padded to a byte: 32-bit count, then the first value in 64 bits, then each delta-of-delta as
 * `0` | `10`+7 | `110`+9 | `1110`+12 | `1111`+32 bits (two's complement, sign-extended on read).
 * Invariants: values are kept as bigint with 64-bit wrapping arithmetic, as Rust's i64/u64; decoding checks
 * every length and never reads past the input. Inserting keeps at most one sample per 60 s and at most 8192
 * samples (halving by keeping every other one), as 0.12.1 does. Lookups (`findTs`, `findSeq`) binary-search as
 * Rust's `slice::binary_search` does, so an exact match among equal samples picks the last of them.
 * Concurrency: single owner.
 */
import { dataError } from '../util/errors.js';

const VERSION = 1;
const CAPACITY = 8192;
const INTERVAL_SECS = 60n;
const PREFIX_BITS = [0, 7, 9, 12, 32];

class BitWriter {
  readonly bytes: number[] = [];
  #cur = 0;
  #n = 0;

  push(bit: boolean): void {
    if (bit) this.#cur |= 1 << (7 - this.#n);
    if (++this.#n === 8) {
      this.bytes.push(this.#cur);
      this.#cur = 0;
      this.#n = 0;
    }
  }

  /** Pushes the low `bits` bits of `v`, most significant first. */
  pushBits(v: bigint, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) this.push(((v >> BigInt(i)) & 1n) === 1n);
  }

  finish(): number[] {
    if (this.#n > 0) {
      this.bytes.push(this.#cur);
      this.#cur = 0;
      this.#n = 0;
    }
    return this.bytes;
  }
}

class BitReader {
  readonly #buf: Uint8Array;
  #bit = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  get bitsRead(): number {
    return this.#bit;
  }

  bit(what: string): boolean {
    const byte = this.#bit >>> 3;
    if (byte >= this.#buf.length) throw dataError('INVALID_FORMAT', `${what}: sequence tracker is truncated`);
    const v = (this.#buf[byte]! >> (7 - (this.#bit & 7))) & 1;
    this.#bit++;
    return v === 1;
  }

  bits(n: number, what: string): bigint {
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 1n) | (this.bit(what) ? 1n : 0n);
    return v;
  }
}

function encodeGorilla(values: readonly bigint[]): number[] {
  const w = new BitWriter();
  w.pushBits(BigInt(values.length), 32);
  if (values.length > 0) {
    w.pushBits(BigInt.asUintN(64, values[0]!), 64);
    let prev = values[0]!;
    let prevDelta = 0n;
    for (let i = 1; i < values.length; i++) {
      const delta = BigInt.asIntN(64, values[i]! - prev);
      const dod = BigInt.asIntN(64, delta - prevDelta);
      if (dod === 0n) w.push(false);
      else if (dod >= -63n && dod <= 63n) {
        w.pushBits(0b10n, 2);
        w.pushBits(BigInt.asUintN(7, dod), 7);
      } else if (dod >= -255n && dod <= 255n) {
        w.pushBits(0b110n, 3);
        w.pushBits(BigInt.asUintN(9, dod), 9);
      } else if (dod >= -2047n && dod <= 2047n) {
        w.pushBits(0b1110n, 4);
        w.pushBits(BigInt.asUintN(12, dod), 12);
      } else {
        w.pushBits(0b1111n, 4);
        w.pushBits(BigInt.asUintN(32, dod), 32);
      }
      prev = values[i]!;
      prevDelta = delta;
    }
  }
  return w.finish();
}

function decodeGorilla(buf: Uint8Array, what: string): { values: bigint[]; bytes: number } {
  const r = new BitReader(buf);
  const count = Number(r.bits(32, what));
  // Each value after the first takes at least one bit: a count the input cannot hold is damage.
  if (count > 0 && (count - 1) / 8 + 12 > buf.length) {
    throw dataError('INVALID_FORMAT', `${what}: sequence tracker claims ${count} values`);
  }
  const values: bigint[] = [];
  if (count > 0) {
    let prev = BigInt.asIntN(64, r.bits(64, what));
    values.push(prev);
    let prevDelta = 0n;
    for (let i = 1; i < count; i++) {
      let dod = 0n;
      if (r.bit(what)) {
        let ones = 1;
        while (ones < 4 && r.bit(what)) ones++;
        const bits = PREFIX_BITS[ones]!;
        dod = BigInt.asIntN(bits, r.bits(bits, what));
      }
      const delta = BigInt.asIntN(64, prevDelta + dod);
      prev = BigInt.asIntN(64, prev + delta);
      values.push(prev);
      prevDelta = delta;
    }
  }
  return { values, bytes: Math.ceil(r.bitsRead / 8) };
}

/** How a lookup that finds no exact sample rounds: to the next higher sample, or the next lower one. */
export type FindRounding = 'up' | 'down';

/**
 * Rust's `binary_search` on an ascending array: `{ found: true, index }` for a match (the last of equal values, as
 * the standard library's current implementation returns), else the insertion point.
 */
function binarySearch(values: readonly bigint[], target: bigint): { found: boolean; index: number } {
  let size = values.length;
  if (size === 0) return { found: false, index: 0 };
  let base = 0;
  while (size > 1) {
    const half = size >>> 1;
    const mid = base + half;
    if (values[mid]! <= target) base = mid;
    size -= half;
  }
  const v = values[base]!;
  if (v === target) return { found: true, index: base };
  return { found: false, index: v < target ? base + 1 : base };
}

/** The sample index a lookup of `target` in `values` lands on, or undefined (0.12.1's find_ts/find_seq rule). */
function findIndex(values: readonly bigint[], target: bigint, round: FindRounding): number | undefined {
  if (values.length === 0) return undefined;
  const r = binarySearch(values, target);
  if (r.found) return r.index;
  if (round === 'up') return r.index < values.length ? r.index : undefined;
  return r.index > 0 ? r.index - 1 : undefined;
}

/** Seq ↔ time samples (seqs are u64, timestamps i64 Unix seconds). */
export class SequenceTracker {
  readonly seqs: bigint[] = [];
  readonly timestampsS: bigint[] = [];
  /** Last accepted sample time; not persisted (a decoded tracker starts without one, as in 0.12.1). */
  #lastRecordedS: bigint | undefined;

  /**
   * The last accepted sample time (Unix seconds) of this process's tracker; undefined after decoding. A writer that
   * re-decodes the manifest's tracker for every flush carries it over, as 0.12.1's in-memory tracker keeps it.
   */
  get lastRecordedS(): bigint | undefined {
    return this.#lastRecordedS;
  }

  set lastRecordedS(ts: bigint | undefined) {
    this.#lastRecordedS = ts;
  }

  /** Records (seq, time) unless a sample was taken less than 60 s ago. Requires: both never decrease. */
  insert(seq: bigint, tsS: bigint): void {
    if (this.#lastRecordedS !== undefined && tsS - this.#lastRecordedS < INTERVAL_SECS) return;
    const n = this.seqs.length;
    if (n > 0 && (seq < this.seqs[n - 1]! || tsS < this.timestampsS[n - 1]!)) {
      throw dataError('INVALID_FORMAT', 'sequence tracker samples must not go backwards');
    }
    this.seqs.push(seq);
    this.timestampsS.push(tsS);
    this.#lastRecordedS = tsS;
    if (this.seqs.length > CAPACITY) this.#downsample();
  }

  /** Appends another tracker's samples through {@link insert}, as a manifest update does after an L0 flush. */
  extendFrom(other: SequenceTracker): void {
    for (let i = 0; i < other.seqs.length; i++) this.insert(other.seqs[i]!, other.timestampsS[i]!);
  }

  #downsample(): void {
    const s: bigint[] = [];
    const t: bigint[] = [];
    for (let i = 0; i < this.seqs.length; i += 2) {
      s.push(this.seqs[i]!);
      t.push(this.timestampsS[i]!);
    }
    this.seqs.splice(0, this.seqs.length, ...s);
    this.timestampsS.splice(0, this.timestampsS.length, ...t);
  }

  /**
   * The time (Unix seconds) of the sample for `seq`: its exact sample, else the next higher (`'up'`) or lower
   * (`'down'`) one; undefined when there is none (0.12.1's `find_ts`).
   */
  findTs(seq: bigint, round: FindRounding): bigint | undefined {
    const i = findIndex(this.seqs, seq, round);
    return i === undefined ? undefined : this.timestampsS[i];
  }

  /**
   * The seq of the sample at `tsS` (Unix seconds): its exact sample, else the next higher (`'up'`) or lower
   * (`'down'`) one; undefined when there is none (0.12.1's `find_seq`).
   */
  findSeq(tsS: bigint, round: FindRounding): bigint | undefined {
    const i = findIndex(this.timestampsS, tsS, round);
    return i === undefined ? undefined : this.seqs[i];
  }

  /** The RFC-0012 encoding. */
  toBytes(): Uint8Array {
    const n = this.seqs.length;
    const seqBytes = encodeGorilla(this.seqs.map((v) => BigInt.asIntN(64, v)));
    const tsBytes = encodeGorilla(this.timestampsS);
    const out = new Uint8Array(5 + seqBytes.length + tsBytes.length);
    out[0] = VERSION;
    out[1] = n & 0xff;
    out[2] = (n >>> 8) & 0xff;
    out[3] = (n >>> 16) & 0xff;
    out[4] = (n >>> 24) & 0xff;
    out.set(seqBytes, 5);
    out.set(tsBytes, 5 + seqBytes.length);
    return out;
  }

  /** Decodes the RFC-0012 encoding; damage is a data error naming `what`. */
  static fromBytes(bytes: Uint8Array, what: string): SequenceTracker {
    if (bytes.length < 5)
      throw dataError('INVALID_FORMAT', `${what}: sequence tracker of ${bytes.length} bytes`);
    if (bytes[0] !== VERSION) {
      throw dataError('INVALID_FORMAT', `${what}: unsupported sequence tracker version ${bytes[0]}`);
    }
    const n = (bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16) | (bytes[4]! << 24)) >>> 0;
    const seqs = decodeGorilla(bytes.subarray(5), what);
    const ts = decodeGorilla(bytes.subarray(5 + seqs.bytes), what);
    if (seqs.values.length !== n || ts.values.length !== n) {
      throw dataError('INVALID_FORMAT', `${what}: sequence tracker counts disagree`);
    }
    const t = new SequenceTracker();
    for (let i = 0; i < n; i++) {
      t.seqs.push(BigInt.asUintN(64, seqs.values[i]!));
      t.timestampsS.push(ts.values[i]!);
    }
    return t;
  }
}

/** The encoding of an empty tracker (13 bytes), what a new database's manifest holds. */
export const EMPTY_SEQUENCE_TRACKER: Uint8Array = new SequenceTracker().toBytes();
