/**
 * WriteBatch: puts, deletes and merges applied atomically with one sequence number, as SlateDB 0.12.1 does: a put
 * or delete replaces every earlier operation on its key in the batch; merges accumulate after the last put/delete.
 *
 * Invariants: every key is 1..65535 bytes and every value at most 2^32 - 1 bytes, checked when added (a bad call
 * throws 'invalid' and leaves the batch unchanged); keys and values are copied, so callers may reuse buffers.
 * Concurrency: not shared; build it, then pass it to Db.write.
 */

import { KEY_LENGTH_MAX, VALUE_LENGTH_MAX } from '../format/row.js';
import { ByteArena } from '../util/byte-arena.js';
import { toBytes } from '../util/bytes.js';
import { invalidError } from '../util/errors.js';

/** Time to live of a put or merge. */
export type Ttl =
  /** Milliseconds from the write's creation time. */
  | number
  /** Never expires, even when a default TTL is configured. */
  | 'noExpiry'
  /** Expires at this absolute Unix time (ms). */
  | { readonly expireAt: number };

/** Options of a put or merge inside a batch. */
export interface BatchOpOptions {
  /** Omitted: the database's default TTL (none unless configured). */
  readonly ttl?: Ttl;
}

/**
 * @internal One operation in a batch, shaped as the row it becomes (a RowEntry plus its TTL option): the first
 * write of a batch fills seq, createTs and expireTs in place and hands the ops to the memtable as its rows, which
 * saves an object and a copy per row. A batch written again is copied first (see {@link WriteBatch.takeOps}).
 */
export interface BatchOp {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  seq: number;
  readonly kind: 'value' | 'tombstone' | 'merge';
  createTs: number | undefined;
  expireTs: number | undefined;
  readonly ttl: Ttl | undefined;
}

/** @internal A new operation (seq and timestamps are filled when it is written). */
export function newOp(
  kind: BatchOp['kind'],
  key: Uint8Array,
  value: Uint8Array,
  ttl: Ttl | undefined,
): BatchOp {
  return { key, value, seq: 0, kind, createTs: undefined, expireTs: undefined, ttl };
}

const EMPTY = new Uint8Array(0);

/** Copies of written keys and values live in shared slabs (see ByteArena). */
const arena = new ByteArena();

/** @internal Validates and copies a key. */
export function checkKey(key: unknown): Uint8Array {
  const k = toBytes(key as Uint8Array | string, 'key');
  if (k.length === 0) throw invalidError('INVALID_KEY', 'key must not be empty');
  if (k.length > KEY_LENGTH_MAX) {
    throw invalidError('INVALID_KEY', `key is ${k.length} bytes; the maximum is ${KEY_LENGTH_MAX}`);
  }
  return typeof key === 'string' ? k : arena.copy(k);
}

/** @internal Validates a key used only for reading (not retained, so not copied). */
export function checkReadKey(key: unknown): Uint8Array {
  const k = toBytes(key as Uint8Array | string, 'key');
  if (k.length === 0) throw invalidError('INVALID_KEY', 'key must not be empty');
  if (k.length > KEY_LENGTH_MAX) {
    throw invalidError('INVALID_KEY', `key is ${k.length} bytes; the maximum is ${KEY_LENGTH_MAX}`);
  }
  return k;
}

/** @internal Validates and copies a value. */
export function checkValue(value: unknown): Uint8Array {
  const v = toBytes(value as Uint8Array | string, 'value');
  if (v.length > VALUE_LENGTH_MAX) {
    throw invalidError('INVALID_VALUE', `value is ${v.length} bytes; the maximum is ${VALUE_LENGTH_MAX}`);
  }
  return typeof value === 'string' ? v : arena.copy(v);
}

/** @internal Validates a TTL option. */
export function checkTtl(ttl: unknown): Ttl | undefined {
  if (ttl === undefined || ttl === 'noExpiry') return ttl;
  if (typeof ttl === 'number') {
    if (!Number.isSafeInteger(ttl) || ttl < 0)
      throw invalidError('INVALID_TTL', `ttl must be a non-negative integer of ms, got ${ttl}`);
    return ttl;
  }
  if (typeof ttl === 'object' && ttl !== null && 'expireAt' in ttl) {
    const at = (ttl as { expireAt: unknown }).expireAt;
    if (typeof at !== 'number' || !Number.isSafeInteger(at))
      throw invalidError('INVALID_TTL', 'ttl.expireAt must be an integer Unix time in ms');
    return { expireAt: at };
  }
  throw invalidError(
    'INVALID_TTL',
    `ttl must be a number of ms, "noExpiry" or { expireAt }, got ${JSON.stringify(ttl)}`,
  );
}

function checkOptions(options: unknown): BatchOpOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null)
    throw invalidError('INVALID_ARGUMENT', 'options must be an object');
  return options as BatchOpOptions;
}

/** A group of writes applied atomically. */
export class WriteBatch {
  /** @internal */
  readonly ops: BatchOp[] = [];
  #written = false;

  /**
   * @internal The ops to write: this batch's own the first time (they become memtable rows), fresh copies
   * after that, so rows already written never change.
   */
  takeOps(): BatchOp[] {
    if (!this.#written) {
      this.#written = true;
      return this.ops.slice();
    }
    return this.ops.map((op) => newOp(op.kind, op.key, op.value, op.ttl));
  }

  /** Sets `key` to `value`. */
  put(key: Uint8Array | string, value: Uint8Array | string, options?: BatchOpOptions): this {
    const ttl = options === undefined ? undefined : checkTtl(checkOptions(options).ttl);
    this.ops.push(newOp('value', checkKey(key), checkValue(value), ttl));
    return this;
  }

  /** Deletes `key`. */
  delete(key: Uint8Array | string): this {
    this.ops.push(newOp('tombstone', checkKey(key), EMPTY, undefined));
    return this;
  }

  /** Adds a merge operand for `key` (needs a merge operator on the database). */
  merge(key: Uint8Array | string, operand: Uint8Array | string, options?: BatchOpOptions): this {
    const ttl = options === undefined ? undefined : checkTtl(checkOptions(options).ttl);
    this.ops.push(newOp('merge', checkKey(key), checkValue(operand), ttl));
    return this;
  }

  /** Number of operations added. */
  get size(): number {
    return this.ops.length;
  }

  get isEmpty(): boolean {
    return this.ops.length === 0;
  }
}
