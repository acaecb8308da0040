/**
 * RowEntry: one version of one key, as stored in memtables, WAL SSTs and compacted SSTs (docs/format.md#rows).
 *
 * Invariants: `key` is 1..65535 bytes; `seq` is a non-negative safe integer (SlateDB's u64, which never reaches
 * 2^53 in practice; decoders reject larger values as data errors); a tombstone has an empty value and no
 * `expireTs` (0.12.1 never writes one with it; a V2 block that carries one anyway decodes faithfully, and V1
 * blocks drop it, as 0.12.1 does); `createTs`/`expireTs` are Unix ms or undefined. Rows are ordered by key ascending (unsigned bytes),
 * then seq descending: see {@link compareRows}.
 * Concurrency: immutable values; share freely.
 */
import { compareBytes } from '../util/bytes.js';

/** What a row holds: a value, a deletion marker, or a merge operand. */
export type RowKind = 'value' | 'tombstone' | 'merge';

/** One version of one key. */
export interface RowEntry {
  readonly key: Uint8Array;
  /** The value or merge operand; empty for tombstones. */
  readonly value: Uint8Array;
  readonly seq: number;
  readonly kind: RowKind;
  /** Creation time, Unix ms (every row SlateDB 0.12.1 writes has one). */
  readonly createTs: number | undefined;
  /** Absolute expiry time, Unix ms, or undefined for no expiry. */
  readonly expireTs: number | undefined;
}

/** Largest key length SlateDB accepts. */
export const KEY_LENGTH_MAX = 65_535;

/** Largest value length SlateDB accepts (u32). */
export const VALUE_LENGTH_MAX = 0xffff_ffff;

/** LSM order: key ascending, then seq descending (newest version first). */
export function compareRows(a: RowEntry, b: RowEntry): number {
  const c = compareBytes(a.key, b.key);
  if (c !== 0) return c;
  return b.seq - a.seq;
}

/** Builds a row; `value` defaults to empty. */
export function makeRow(
  key: Uint8Array,
  seq: number,
  kind: RowKind,
  value: Uint8Array = EMPTY,
  createTs?: number,
  expireTs?: number,
): RowEntry {
  return { key, value: kind === 'tombstone' ? EMPTY : value, seq, kind, createTs, expireTs };
}

const EMPTY = new Uint8Array(0);
