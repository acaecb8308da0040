/**
 * Ulid and Uuid: the identifiers SlateDB 0.12.1 stores (docs/format.md#ids).
 *
 * Invariants: a Ulid is 128 bits = 48-bit Unix ms time ‖ 80 random bits, written as 26 uppercase Crockford base32
 * characters, most significant first (the first character carries 3 bits, so it is 0..7). A Uuid is 16 bytes;
 * `high`/`low` are bytes 0..8 and 8..16 read big-endian. Generated Uuids are v4 (RFC 4122 variant).
 * Concurrency: immutable values.
 */
import { invalidError } from './errors.js';
import type { Rand } from './random.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < CROCKFORD.length; i++) {
  DECODE[CROCKFORD.charCodeAt(i)] = i;
  DECODE[CROCKFORD.toLowerCase().charCodeAt(i)] = i;
}
const MASK64 = (1n << 64n) - 1n;

/** A 128-bit ULID. */
export class Ulid {
  readonly high: bigint;
  readonly low: bigint;
  #text: string | undefined;

  constructor(high: bigint, low: bigint) {
    this.high = high & MASK64;
    this.low = low & MASK64;
  }

  /** Makes a ULID stamped with `timeMs` and 80 random bits. */
  static generate(timeMs: number, rand: Rand): Ulid {
    if (!Number.isSafeInteger(timeMs) || timeMs < 0 || timeMs >= 2 ** 48) {
      throw invalidError('INVALID_ARGUMENT', `ULID time out of range: ${timeMs}`);
    }
    const r = rand.fillBytes(new Uint8Array(10));
    let rnd = 0n;
    for (const b of r) rnd = (rnd << 8n) | BigInt(b);
    const v = (BigInt(timeMs) << 80n) | rnd;
    return new Ulid(v >> 64n, v);
  }

  /** Parses 26 Crockford base32 characters (case-insensitive). */
  static parse(text: string): Ulid {
    if (text.length !== 26) throw invalidError('INVALID_ULID', `not a ULID: ${JSON.stringify(text)}`);
    let v = 0n;
    for (let i = 0; i < 26; i++) {
      const c = text.charCodeAt(i);
      const d = c < 128 ? DECODE[c]! : -1;
      if (d < 0 || (i === 0 && d > 7))
        throw invalidError('INVALID_ULID', `not a ULID: ${JSON.stringify(text)}`);
      v = (v << 5n) | BigInt(d);
    }
    return new Ulid(v >> 64n, v);
  }

  /** Parses, returning undefined instead of throwing. */
  static tryParse(text: string): Ulid | undefined {
    try {
      return Ulid.parse(text);
    } catch {
      return undefined;
    }
  }

  /** The 48-bit timestamp in Unix ms. */
  get timestampMs(): number {
    return Number(this.high >> 16n);
  }

  /** The canonical 26-character form. */
  toString(): string {
    if (this.#text === undefined) {
      let v = (this.high << 64n) | this.low;
      const chars = new Array<string>(26);
      for (let i = 25; i >= 0; i--) {
        chars[i] = CROCKFORD[Number(v & 31n)]!;
        v >>= 5n;
      }
      this.#text = chars.join('');
    }
    return this.#text;
  }

  equals(other: Ulid): boolean {
    return this.high === other.high && this.low === other.low;
  }

  /** Orders by value (= by time, then randomness). */
  compare(other: Ulid): number {
    if (this.high !== other.high) return this.high < other.high ? -1 : 1;
    if (this.low !== other.low) return this.low < other.low ? -1 : 1;
    return 0;
  }
}

/** A 128-bit UUID. */
export class Uuid {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    if (bytes.length !== 16) throw invalidError('INVALID_UUID', 'a UUID is 16 bytes');
    this.bytes = bytes;
  }

  /** A random v4 UUID. */
  static v4(rand: Rand): Uuid {
    const b = rand.fillBytes(new Uint8Array(16));
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    return new Uuid(b);
  }

  /** From the two big-endian halves stored in manifests. */
  static fromHighLow(high: bigint, low: bigint): Uuid {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, high & MASK64);
    dv.setBigUint64(8, low & MASK64);
    return new Uuid(b);
  }

  /** Parses the 8-4-4-4-12 hex form. */
  static parse(text: string): Uuid {
    const hex = text.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex))
      throw invalidError('INVALID_UUID', `not a UUID: ${JSON.stringify(text)}`);
    return new Uuid(new Uint8Array(Buffer.from(hex, 'hex')));
  }

  get high(): bigint {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset, 16).getBigUint64(0);
  }

  get low(): bigint {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset, 16).getBigUint64(8);
  }

  toString(): string {
    const h = Buffer.from(this.bytes).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  equals(other: Uuid): boolean {
    for (let i = 0; i < 16; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }
}
