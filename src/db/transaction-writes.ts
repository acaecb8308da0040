/**
 * TxnWrites: a transaction's buffered writes, per key as SlateDB 0.12.1's transaction write batch keeps them: a put
 * or delete replaces every earlier write of its key; merge operands accumulate after the last put/delete (or alone).
 * Reads resolve a key's pending writes over the value the snapshot sees (read-your-writes), folding pending merge
 * operands onto it with the merge operator.
 *
 * Invariants: keys and values are the caller-validated copies (never the caller's buffers); rows made from pending
 * writes carry PENDING_SEQ (shown to users as 2^64 - 1, as 0.12.1 shows u64::MAX) and no timestamps; `sorted()`
 * returns a frozen copy, so iterators opened earlier do not see later writes (as 0.12.1 clones its batch).
 * Concurrency: single event loop; owned by one DbTransaction.
 */
import type { RowEntry } from '../format/row.js';
import { foldVersions, type MergeOperator } from '../lsm/merge-operator.js';
import { compareBytes } from '../util/bytes.js';
import { keyId } from './transaction-manager.js';
import { type BatchOp, newOp, type Ttl } from './write-batch.js';

/** The seq of rows read from pending writes (above every real seq). */
export const PENDING_SEQ = Number.MAX_SAFE_INTEGER;

/** The seq users see for a value read from pending writes: u64::MAX, as 0.12.1 reports it. */
export const PENDING_SEQ_PUBLIC = 0xffff_ffff_ffff_ffffn;

/** One key's pending writes. */
export interface PendingKey {
  readonly key: Uint8Array;
  /** The last put or delete, if any. */
  base: PendingOp | undefined;
  /** Merge operands after `base`, oldest first. */
  merges: PendingOp[];
}

/** One pending write. */
export interface PendingOp {
  readonly kind: 'value' | 'tombstone' | 'merge';
  readonly value: Uint8Array;
  readonly ttl: Ttl | undefined;
}

const EMPTY = new Uint8Array(0);

/** A transaction's buffered writes. */
export class TxnWrites {
  readonly #keys = new Map<string, PendingKey>();
  #sorted: PendingKey[] | undefined;

  /** Buffers a put, delete or merge of `key`. */
  add(kind: PendingOp['kind'], key: Uint8Array, value: Uint8Array, ttl: Ttl | undefined): void {
    const id = keyId(key);
    let p = this.#keys.get(id);
    if (p === undefined) {
      p = { key, base: undefined, merges: [] };
      this.#keys.set(id, p);
      this.#sorted = undefined;
    }
    const op: PendingOp = { kind, value: kind === 'tombstone' ? EMPTY : value, ttl };
    if (kind === 'merge') {
      p.merges.push(op);
    } else {
      p.base = op;
      p.merges = [];
    }
  }

  /** The pending writes of `key`, if any. */
  get(key: Uint8Array): PendingKey | undefined {
    return this.#keys.get(keyId(key));
  }

  get isEmpty(): boolean {
    return this.#keys.size === 0;
  }

  /** Ids (see keyId) of every written key. */
  keyIds(): IterableIterator<string> {
    return this.#keys.keys();
  }

  /** A frozen copy of every key's pending writes, ascending by key. */
  sorted(): readonly PendingKey[] {
    if (this.#sorted === undefined)
      this.#sorted = [...this.#keys.values()].sort((a, b) => compareBytes(a.key, b.key));
    return this.#sorted.map((p) => ({ key: p.key, base: p.base, merges: p.merges.slice() }));
  }

  /** True when any pending write is a merge. */
  hasMerges(): boolean {
    for (const p of this.#keys.values()) if (p.merges.length > 0) return true;
    return false;
  }

  /** The batch the commit writes: per key the base write, then the merge operands in order. */
  toOps(): BatchOp[] {
    const ops: BatchOp[] = [];
    for (const p of this.#keys.values()) {
      if (p.base !== undefined) ops.push(newOp(p.base.kind, p.key, p.base.value, p.base.ttl));
      for (const m of p.merges) ops.push(newOp('merge', p.key, m.value, m.ttl));
    }
    return ops;
  }
}

function pendingRow(key: Uint8Array, op: PendingOp): RowEntry {
  return { key, value: op.value, seq: PENDING_SEQ, kind: op.kind, createTs: undefined, expireTs: undefined };
}

/**
 * What a read sees for a key with pending writes `p`, given `visible`: the key's resolved row at the snapshot
 * (undefined when absent or deleted; a 'merge' row when only operands exist). Undefined when the key reads as
 * absent.
 */
export function resolvePending(
  p: PendingKey,
  visible: RowEntry | undefined,
  mergeOperator: MergeOperator | undefined,
): RowEntry | undefined {
  const base = p.base !== undefined ? pendingRow(p.key, p.base) : visible;
  if (p.merges.length === 0) return base === undefined || base.kind === 'tombstone' ? undefined : base;
  const rows: RowEntry[] = [];
  for (let i = p.merges.length - 1; i >= 0; i--) rows.push(pendingRow(p.key, p.merges[i]!));
  if (base !== undefined) rows.push(base);
  const r = foldVersions(mergeOperator, rows);
  return r === undefined || r.kind === 'tombstone' ? undefined : r;
}

/** True when the base of `p` decides the read without looking at the database. */
export function needsVisible(p: PendingKey): boolean {
  return p.base === undefined;
}
