/**
 * Merge operators and their resolution, exactly as SlateDB 0.12.1 folds operands (docs/design/merge.md):
 * operands of one key are gathered newest to oldest until a base row (value or tombstone) or the end; they are
 * folded in groups of up to 100, each group as `merge(key, undefined, group oldest->newest)`, then
 * `merge(key, baseValue, groupResults oldest->newest)`. The result is a value if a base was found, else still a
 * merge operand; its seq is the newest, createTs the max, expireTs the min over the folded rows.
 *
 * Invariants: operators must be associative with merge(undefined, [x]) = x (partial folds are re-merged);
 * a merge row with no operator is an 'invalid' MERGE_OPERATOR_MISSING error; an operator that throws becomes an
 * 'invalid' MERGE_OPERATOR_FAILED error. Input must be in LSM order (seq descending within a key).
 * Concurrency: iterators follow the RowIterator protocol (one caller at a time).
 */

import type { RowEntry } from '../format/row.js';
import type { MaybePromise, RowIterator } from '../format/row-iterator.js';
import { equalBytes } from '../util/bytes.js';
import { dataError, invalidError, ShaleDBError } from '../util/errors.js';

/**
 * Combines a key's existing value (undefined when none) with operands, oldest first, into a new value.
 * Must be associative and satisfy `merge(key, undefined, [x]) = x`.
 */
export type MergeOperator = (
  key: Uint8Array,
  existing: Uint8Array | undefined,
  operands: Uint8Array[],
) => Uint8Array;

/** Operands are folded in groups of this size. */
export const MERGE_BATCH_SIZE = 100;

/** Calls the operator, turning throws and bad results into typed errors. */
export function callMerge(
  op: MergeOperator,
  key: Uint8Array,
  existing: Uint8Array | undefined,
  operands: Uint8Array[],
): Uint8Array {
  let out: unknown;
  try {
    out = op(key, existing, operands);
  } catch (e) {
    if (e instanceof ShaleDBError) throw e;
    throw invalidError(
      'MERGE_OPERATOR_FAILED',
      `merge operator threw: ${e instanceof Error ? e.message : String(e)}`,
      e,
    );
  }
  if (!(out instanceof Uint8Array)) {
    throw invalidError('MERGE_OPERATOR_FAILED', 'merge operator must return a Uint8Array');
  }
  return out;
}

/** The error for merge rows met without an operator. */
export function mergeOperatorMissing(): ShaleDBError {
  return invalidError('MERGE_OPERATOR_MISSING', 'found a merge operand but no merge operator is configured');
}

/**
 * Folds `rows` (one key, newest first: zero or more merge operands, optionally ending with a value or tombstone)
 * into one row, as described in the file header. Returns undefined when there is nothing to return (a lone
 * tombstone is returned as is).
 */
export function foldVersions(op: MergeOperator | undefined, rows: readonly RowEntry[]): RowEntry | undefined {
  const first = rows[0];
  if (first === undefined) return undefined;
  if (first.kind !== 'merge') return first;
  if (op === undefined) throw mergeOperatorMissing();
  const last = rows[rows.length - 1]!;
  const base = last.kind === 'merge' ? undefined : last;
  const operandCount = base === undefined ? rows.length : rows.length - 1;
  let maxCreate: number | undefined;
  let minExpire: number | undefined;
  let prevSeq = first.seq;
  for (const r of rows) {
    if (r.seq > prevSeq)
      throw dataError('INVALID_SEQUENCE_ORDER', `merge inputs out of order at seq ${r.seq}`);
    prevSeq = r.seq;
    if (r.createTs !== undefined && (maxCreate === undefined || r.createTs > maxCreate))
      maxCreate = r.createTs;
    if (r.expireTs !== undefined && (minExpire === undefined || r.expireTs < minExpire))
      minExpire = r.expireTs;
  }
  const groups: Uint8Array[] = [];
  for (let start = 0; start < operandCount; start += MERGE_BATCH_SIZE) {
    const end = Math.min(operandCount, start + MERGE_BATCH_SIZE);
    const operands: Uint8Array[] = [];
    for (let i = end - 1; i >= start; i--) operands.push(rows[i]!.value);
    groups.push(callMerge(op, first.key, undefined, operands));
  }
  groups.reverse();
  const baseValue = base !== undefined && base.kind === 'value' ? base.value : undefined;
  const value = callMerge(op, first.key, baseValue, groups);
  return {
    key: first.key,
    value,
    seq: first.seq,
    kind: base === undefined ? 'merge' : 'value',
    createTs: maxCreate,
    expireTs: minExpire,
  };
}

/**
 * Resolves merge operands in a stream (flush, compaction and write-batch paths). Options:
 * - `mergeDifferentExpireTs`: when false, only operands sharing the first operand's expireTs are folded together;
 * - `barrierSeq`: operands newer than this are passed through unmerged (a snapshot may still need them).
 */
export class MergeOperatorIterator implements RowIterator {
  readonly #op: MergeOperator;
  readonly #source: RowIterator;
  readonly #mergeDifferentExpireTs: boolean;
  readonly #barrierSeq: number | undefined;
  #buffered: RowEntry | undefined;

  constructor(
    op: MergeOperator,
    source: RowIterator,
    options: { mergeDifferentExpireTs: boolean; barrierSeq?: number | undefined },
  ) {
    this.#op = op;
    this.#source = source;
    this.#mergeDifferentExpireTs = options.mergeDifferentExpireTs;
    this.#barrierSeq = options.barrierSeq;
  }

  #pull(): MaybePromise<RowEntry | undefined> {
    const b = this.#buffered;
    if (b !== undefined) {
      this.#buffered = undefined;
      return b;
    }
    return this.#source.next();
  }

  next(): MaybePromise<RowEntry | undefined> {
    const r = this.#pull();
    if (r instanceof Promise) return r.then((row) => this.#onFirst(row));
    return this.#onFirst(r);
  }

  #onFirst(row: RowEntry | undefined): MaybePromise<RowEntry | undefined> {
    if (row === undefined || row.kind !== 'merge') return row;
    if (this.#barrierSeq !== undefined && row.seq > this.#barrierSeq) return row;
    return this.#gather([row]);
  }

  /** Collects the rest of the key's mergeable rows, then folds. */
  #gather(rows: RowEntry[]): MaybePromise<RowEntry | undefined> {
    const first = rows[0]!;
    for (;;) {
      const r = this.#source.next();
      if (r instanceof Promise) {
        return r.then((row) =>
          this.#accept(rows, first, row) ? this.#gather(rows) : foldVersions(this.#op, rows),
        );
      }
      if (!this.#accept(rows, first, r)) return foldVersions(this.#op, rows);
    }
  }

  /** Adds `row` to the group if it continues it; returns true when more rows may follow. */
  #accept(rows: RowEntry[], first: RowEntry, row: RowEntry | undefined): boolean {
    if (row === undefined) return false;
    const matches =
      equalBytes(row.key, first.key) && (this.#mergeDifferentExpireTs || row.expireTs === first.expireTs);
    if (!matches) {
      this.#buffered = row;
      return false;
    }
    rows.push(row);
    return row.kind === 'merge';
  }

  seek(key: Uint8Array): MaybePromise<void> {
    this.#buffered = undefined;
    return this.#source.seek(key);
  }

  close(): void {
    this.#source.close();
  }
}

/** Passes rows through, failing on the first merge operand (used when no operator is configured). */
export class MergeOperatorRequiredIterator implements RowIterator {
  readonly #source: RowIterator;

  constructor(source: RowIterator) {
    this.#source = source;
  }

  next(): MaybePromise<RowEntry | undefined> {
    const r = this.#source.next();
    if (r instanceof Promise) return r.then(check);
    return check(r);
  }

  seek(key: Uint8Array): MaybePromise<void> {
    return this.#source.seek(key);
  }

  close(): void {
    this.#source.close();
  }
}

function check(row: RowEntry | undefined): RowEntry | undefined {
  if (row !== undefined && row.kind === 'merge') throw mergeOperatorMissing();
  return row;
}
