/**
 * FbReader: a bounds-checked reader for FlatBuffers (little-endian tables, vtables, vectors, strings), standing
 * in for the verifier the JavaScript `flatbuffers` runtime lacks (docs/format.md#flatbuffers).
 *
 * Invariants: every read is checked against the buffer before it happens, so damaged input yields a data error
 * (code INVALID_FORMAT) naming the object, never an out-of-range read, a crash or a hang. References only point
 * forward (unsigned offsets) and the number of tables one reader visits is capped at one per four bytes of
 * input (the most an honest buffer can hold), so decoding time stays linear in the input size.
 * Concurrency: single owner; readers are cheap, make one per decode.
 */
import { dataError } from '../util/errors.js';

const TWO_32 = 4294967296;
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A reader over one FlatBuffer. `what` names the object in errors ("manifest 00000000000000000003"). */
export class FbReader {
  readonly bytes: Uint8Array;
  readonly what: string;
  #budget: number;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.what = what;
    this.#budget = Math.floor(bytes.length / 4) + 8;
  }

  /** Throws the data error for damaged input. */
  fail(msg: string): never {
    throw dataError('INVALID_FORMAT', `${this.what}: ${msg}`);
  }

  #need(pos: number, n: number): void {
    if (pos < 0 || pos + n > this.bytes.length)
      this.fail(`read of ${n} bytes at ${pos} is outside the buffer`);
  }

  u8(pos: number): number {
    this.#need(pos, 1);
    return this.bytes[pos]!;
  }

  i8(pos: number): number {
    return (this.u8(pos) << 24) >> 24;
  }

  u16(pos: number): number {
    this.#need(pos, 2);
    return this.bytes[pos]! | (this.bytes[pos + 1]! << 8);
  }

  u32(pos: number): number {
    this.#need(pos, 4);
    const b = this.bytes;
    return (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16) | (b[pos + 3]! << 24)) >>> 0;
  }

  i32(pos: number): number {
    return this.u32(pos) | 0;
  }

  u64big(pos: number): bigint {
    return (BigInt(this.u32(pos + 4)) << 32n) | BigInt(this.u32(pos));
  }

  /** A u64 as a number; above 2^53 - 1 is a data error. */
  u64(pos: number): number {
    const hi = this.u32(pos + 4);
    if (hi > 0x1fffff) this.fail(`u64 at ${pos} exceeds 2^53 - 1`);
    return hi * TWO_32 + this.u32(pos);
  }

  i64big(pos: number): bigint {
    return BigInt.asIntN(64, this.u64big(pos));
  }

  /** The root table (the buffer starts with its offset). */
  root(): FbTable {
    return this.table(this.u32(0));
  }

  /** The table at `pos`, with its vtable checked. */
  table(pos: number): FbTable {
    if (--this.#budget < 0) this.fail('too many tables for the buffer size');
    const vt = pos - this.i32(pos);
    const vtLen = this.u16(vt);
    const objSize = this.u16(vt + 2);
    if (vtLen < 4 || (vtLen & 1) !== 0) this.fail(`vtable at ${vt} has length ${vtLen}`);
    this.#need(vt, vtLen);
    if (objSize < 4) this.fail(`table at ${pos} has size ${objSize}`);
    this.#need(pos, objSize);
    return new FbTable(this, pos, vt, vtLen, objSize);
  }

  /** Follows the unsigned offset stored at `pos`. */
  deref(pos: number): number {
    return pos + this.u32(pos);
  }

  /** Start of the elements and the length of the vector at `pos`, checked for `elemSize`-byte elements. */
  vector(pos: number, elemSize: number): { start: number; length: number } {
    const length = this.u32(pos);
    this.#need(pos + 4, length * elemSize);
    return { start: pos + 4, length };
  }

  /** The string at `pos` (length, UTF-8 bytes, NUL). */
  string(pos: number): string {
    const { start, length } = this.vector(pos, 1);
    this.#need(start + length, 1);
    if (this.bytes[start + length] !== 0) this.fail(`string at ${pos} is not NUL-terminated`);
    try {
      return decoder.decode(this.bytes.subarray(start, start + length));
    } catch {
      return this.fail(`string at ${pos} is not valid UTF-8`);
    }
  }
}

/** One table of an FbReader. Field accessors take the schema slot number. */
export class FbTable {
  readonly r: FbReader;
  readonly pos: number;
  readonly #vt: number;
  readonly #vtLen: number;
  readonly #objSize: number;

  constructor(r: FbReader, pos: number, vt: number, vtLen: number, objSize: number) {
    this.r = r;
    this.pos = pos;
    this.#vt = vt;
    this.#vtLen = vtLen;
    this.#objSize = objSize;
  }

  /** Absolute position of the field in `slot` (checked to hold `size` bytes), or 0 when absent. */
  field(slot: number, size: number): number {
    const vo = 4 + 2 * slot;
    if (vo + 2 > this.#vtLen) return 0;
    const fo = this.r.u16(this.#vt + vo);
    if (fo === 0) return 0;
    if (fo < 4 || fo + size > this.#objSize)
      this.r.fail(`field ${slot} of the table at ${this.pos} is outside it`);
    return this.pos + fo;
  }

  has(slot: number): boolean {
    return this.field(slot, 1) !== 0;
  }

  u8(slot: number, def = 0): number {
    const p = this.field(slot, 1);
    return p === 0 ? def : this.r.u8(p);
  }

  i8(slot: number, def = 0): number {
    const p = this.field(slot, 1);
    return p === 0 ? def : this.r.i8(p);
  }

  bool(slot: number): boolean {
    return this.u8(slot) !== 0;
  }

  u16(slot: number, def = 0): number {
    const p = this.field(slot, 2);
    return p === 0 ? def : this.r.u16(p);
  }

  /** An optional u16 (schema default `null`): undefined when absent. */
  optU16(slot: number): number | undefined {
    const p = this.field(slot, 2);
    return p === 0 ? undefined : this.r.u16(p);
  }

  u32(slot: number, def = 0): number {
    const p = this.field(slot, 4);
    return p === 0 ? def : this.r.u32(p);
  }

  /** A u64 as a safe integer (data error above 2^53 - 1). */
  u64(slot: number): number {
    const p = this.field(slot, 8);
    return p === 0 ? 0 : this.r.u64(p);
  }

  u64big(slot: number): bigint {
    const p = this.field(slot, 8);
    return p === 0 ? 0n : this.r.u64big(p);
  }

  i64big(slot: number): bigint {
    const p = this.field(slot, 8);
    return p === 0 ? 0n : this.r.i64big(p);
  }

  /** The sub-table in `slot`, or undefined. */
  table(slot: number): FbTable | undefined {
    const p = this.field(slot, 4);
    return p === 0 ? undefined : this.r.table(this.r.deref(p));
  }

  /** A required sub-table: absent is a data error naming `name`. */
  requiredTable(slot: number, name: string): FbTable {
    return this.table(slot) ?? this.r.fail(`required field ${name} is missing`);
  }

  /** A [ubyte] vector as a view into the buffer, or undefined. */
  bytes(slot: number): Uint8Array | undefined {
    const p = this.field(slot, 4);
    if (p === 0) return undefined;
    const { start, length } = this.r.vector(this.r.deref(p), 1);
    return this.r.bytes.subarray(start, start + length);
  }

  requiredBytes(slot: number, name: string): Uint8Array {
    return this.bytes(slot) ?? this.r.fail(`required field ${name} is missing`);
  }

  string(slot: number): string | undefined {
    const p = this.field(slot, 4);
    return p === 0 ? undefined : this.r.string(this.r.deref(p));
  }

  requiredString(slot: number, name: string): string {
    return this.string(slot) ?? this.r.fail(`required field ${name} is missing`);
  }

  /** A [uint32] vector, or undefined. */
  u32s(slot: number): number[] | undefined {
    const p = this.field(slot, 4);
    if (p === 0) return undefined;
    const { start, length } = this.r.vector(this.r.deref(p), 4);
    const out = new Array<number>(length);
    for (let i = 0; i < length; i++) out[i] = this.r.u32(start + 4 * i);
    return out;
  }

  /** A vector of tables, decoded by `fn`, or undefined. */
  tables<T>(slot: number, fn: (t: FbTable) => T): T[] | undefined {
    const p = this.field(slot, 4);
    if (p === 0) return undefined;
    const { start, length } = this.r.vector(this.r.deref(p), 4);
    const out = new Array<T>(length);
    for (let i = 0; i < length; i++) out[i] = fn(this.r.table(this.r.deref(start + 4 * i)));
    return out;
  }

  requiredTables<T>(slot: number, name: string, fn: (t: FbTable) => T): T[] {
    return this.tables(slot, fn) ?? this.r.fail(`required field ${name} is missing`);
  }
}
