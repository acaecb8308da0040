/**
 * The public option types of Db calls, with their validation. Names follow SlateDB 0.12.1's options in camelCase.
 *
 * Invariants: every `check*` function either returns a well-formed options value or throws 'invalid'
 * INVALID_ARGUMENT naming the option; `undefined` means all defaults.
 * Concurrency: pure.
 */

import type { KeyRange } from '../format/row-iterator.js';
import { copyBytes, prefixUpperBound, toBytes } from '../util/bytes.js';
import { invalidError } from '../util/errors.js';
import { checkKey, checkTtl, type Ttl } from './write-batch.js';

/** Options of every write. */
export interface WriteOptions {
  /** Resolve only once the write is durable in object storage (default true, as in 0.12.1). */
  readonly awaitDurable?: boolean;
}

/** Options of a put. */
export interface PutOptions extends WriteOptions {
  /** Omitted: the database's default TTL. */
  readonly ttl?: Ttl;
}

/** Options of a merge. */
export interface MergeOptions extends WriteOptions {
  readonly ttl?: Ttl;
}

/** Which writes a read may see. */
export type DurabilityFilter = 'memory' | 'remote';

/** Options of a get. */
export interface ReadOptions {
  /** 'memory' (default): every committed write; 'remote': only writes durable in object storage. */
  readonly durabilityFilter?: DurabilityFilter;
  /** Also see writes not yet committed (in 0.12.1 terms). Default false. */
  readonly dirty?: boolean;
}

/** Options of a scan. */
export interface ScanOptions extends ReadOptions {
  /** Default 'asc'. */
  readonly order?: 'asc' | 'desc';
  /** Stop after this many key-values (a non-negative integer; default no limit). */
  readonly limit?: number;
}

/** Key bounds of a scan; omitted bounds are open. */
export interface ScanRange {
  readonly gt?: Uint8Array | string;
  readonly gte?: Uint8Array | string;
  readonly lt?: Uint8Array | string;
  readonly lte?: Uint8Array | string;
}

/** Options of flush(). */
export interface FlushOptions {
  /** 'wal' (default): write the WAL buffer; 'memtable': also flush the memtable to L0. */
  readonly type?: 'wal' | 'memtable';
}

/** What a write returns (0.12.1's `WriteHandle`). */
export interface WriteHandle {
  /** The sequence number given to the write. */
  readonly seq: bigint;
  /**
   * The creation time (Unix ms, from the database's monotonic clock) recorded on every row of the write: what
   * `getKeyValue` reports as `createTs` while this write is the newest version of a key.
   */
  readonly createTs: number;
}

/**
 * Throws 'invalid' INVALID_ARGUMENT naming the first key of `o` not in `known`: a misspelt or unsupported option
 * (`mergeOperater`, `{ sync: true }`) must not be silently ignored. Keys whose value is undefined count too.
 */
export function checkKnownKeys(o: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      throw invalidError(
        'INVALID_ARGUMENT',
        `unknown ${what} ${JSON.stringify(key)} (known: ${known.join(', ')})`,
      );
    }
  }
}

function objectOrUndefined<T>(v: unknown, what: string, known: readonly string[]): Partial<T> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null)
    throw invalidError('INVALID_ARGUMENT', `${what} must be an object`);
  checkKnownKeys(v, known, what.replace(/s$/, ''));
  return v as Partial<T>;
}

const WRITE_KEYS = ['awaitDurable'] as const;
const PUT_KEYS = ['awaitDurable', 'ttl'] as const;
const READ_KEYS = ['durabilityFilter', 'dirty'] as const;
const SCAN_KEYS = [...READ_KEYS, 'order', 'limit'] as const;

function checkBool(v: unknown, name: string): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean')
    throw invalidError('INVALID_ARGUMENT', `${name} must be a boolean`);
  return v;
}

/** Validates write options (with `ttl` unless `withTtl` is false, as for delete and write). */
export function checkWriteOptions(
  options: unknown,
  withTtl = true,
): { awaitDurable: boolean; ttl: Ttl | undefined } {
  const o = objectOrUndefined<PutOptions>(options, 'write options', withTtl ? PUT_KEYS : WRITE_KEYS);
  return { awaitDurable: checkBool(o.awaitDurable, 'awaitDurable') ?? true, ttl: checkTtl(o.ttl) };
}

/** Validates read options. */
export function checkReadOptions(
  options: unknown,
  known: readonly string[] = READ_KEYS,
): { remote: boolean; dirty: boolean } {
  const o = objectOrUndefined<ReadOptions>(options, 'read options', known);
  const f = o.durabilityFilter;
  if (f !== undefined && f !== 'memory' && f !== 'remote') {
    throw invalidError(
      'INVALID_ARGUMENT',
      `durabilityFilter must be "memory" or "remote", got ${JSON.stringify(f)}`,
    );
  }
  return { remote: f === 'remote', dirty: checkBool(o.dirty, 'dirty') ?? false };
}

/** Validates scan options. */
export function checkScanOptions(options: unknown): {
  remote: boolean;
  dirty: boolean;
  order: 'asc' | 'desc';
  limit: number | undefined;
} {
  const o = objectOrUndefined<ScanOptions>(options, 'scan options', SCAN_KEYS);
  const order = o.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc')
    throw invalidError('INVALID_ARGUMENT', 'order must be "asc" or "desc"');
  const limit = o.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw invalidError('INVALID_ARGUMENT', `limit must be a non-negative integer, got ${String(limit)}`);
  }
  return { ...checkReadOptions(options, SCAN_KEYS), order, limit };
}

/** Validates flush options. */
export function checkFlushOptions(options: unknown): 'wal' | 'memtable' {
  const o = objectOrUndefined<FlushOptions>(options, 'flush options', ['type']);
  const t = o.type ?? 'wal';
  if (t !== 'wal' && t !== 'memtable')
    throw invalidError('INVALID_ARGUMENT', 'flush type must be "wal" or "memtable"');
  return t;
}

/** Converts a public scan range into an internal key range (empty start/end bounds are rejected, as in 0.12.1). */
export function toKeyRange(range: unknown): KeyRange {
  const r = objectOrUndefined<ScanRange>(range, 'range bounds', ['gt', 'gte', 'lt', 'lte']);
  if (r.gt !== undefined && r.gte !== undefined)
    throw invalidError('INVALID_ARGUMENT', 'give gt or gte, not both');
  if (r.lt !== undefined && r.lte !== undefined)
    throw invalidError('INVALID_ARGUMENT', 'give lt or lte, not both');
  const out: { start?: Uint8Array; startInclusive?: boolean; end?: Uint8Array; endInclusive?: boolean } = {};
  if (r.gt !== undefined || r.gte !== undefined) {
    out.start = checkKey(r.gt ?? r.gte);
    out.startInclusive = r.gte !== undefined;
  }
  if (r.lt !== undefined || r.lte !== undefined) {
    out.end = checkKey(r.lt ?? r.lte);
    out.endInclusive = r.lte !== undefined;
  }
  return out;
}

/**
 * The range of keys starting with `prefix`, as 0.12.1's `BytesRange::from_prefix`: an empty prefix is the whole
 * keyspace; an all-0xff prefix has no upper bound. The bounds are private copies: `prefix` is never written, and
 * changing it afterwards does not move the range.
 */
export function toPrefixRange(prefix: unknown): KeyRange {
  const p = toBytes(prefix as Uint8Array | string, 'prefix');
  if (p.length === 0) return {};
  const start = typeof prefix === 'string' ? p : copyBytes(p);
  const end = prefixUpperBound(p);
  return end === undefined ? { start, startInclusive: true } : { start, startInclusive: true, end };
}
