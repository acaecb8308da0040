/**
 * RetentionIterator: decides which versions of each key a flush or compaction writes out, as SlateDB 0.12.1
 * does: expired values become tombstones (expired merge operands are dropped), versions are kept newest first while
 * `seq > retentionMinSeq` or the row is a merge operand, the first version at or below `retentionMinSeq` is kept
 * too (the one a reader at that seq sees), older ones are dropped; with `filterTombstones` (the destination is the
 * last sorted run) trailing tombstones are removed, so a lone tombstone disappears.
 *
 * Invariants: input in LSM order; output in the same order, a subset of the input (plus expiry rewrites); at most
 * one row per (key, seq) (the first, from the newest source, wins). Expiry compares expireTs <= `expiryTickMs`, the
 * data's clock tick (memtable last tick at flush, manifest last_l0_clock_tick at compaction), never wall time.
 * Concurrency: RowIterator protocol.
 */

import type { RowEntry } from '../format/row.js';
import type { MaybePromise, RowIterator } from '../format/row-iterator.js';
import { equalBytes } from '../util/bytes.js';

/** Options for {@link RetentionIterator}. */
export interface RetentionOptions {
  readonly retentionMinSeq: number;
  readonly filterTombstones: boolean;
  /** Rows with expireTs <= this are expired. */
  readonly expiryTickMs: number;
}

/** Applies retention, expiry and tombstone filtering per key. */
export class RetentionIterator implements RowIterator {
  readonly #source: RowIterator;
  readonly #options: RetentionOptions;
  /** The result of a key with one version (the common case), returned before anything else. */
  #single: RowEntry | undefined;
  /** Output rows of the current key (several versions), and the read position in it. */
  readonly #out: RowEntry[] = [];
  #outLen = 0;
  #outPos = 0;
  /** The versions of the key being gathered (reused; `#groupLen` of them are live). */
  readonly #group: RowEntry[] = [];
  #groupLen = 0;
  /** First row of the next key, read ahead. */
  #lookahead: RowEntry | undefined;
  #ended = false;

  constructor(source: RowIterator, options: RetentionOptions) {
    this.#source = source;
    this.#options = options;
  }

  next(): MaybePromise<RowEntry | undefined> {
    for (;;) {
      const single = this.#single;
      if (single !== undefined) {
        this.#single = undefined;
        return single;
      }
      if (this.#outPos < this.#outLen) return this.#out[this.#outPos++]!;
      if (this.#ended && this.#lookahead === undefined) return undefined;
      const r = this.#collect();
      if (r instanceof Promise) return r.then(() => this.next());
    }
  }

  /** Reads one key's versions into the group, then applies the rules. */
  #collect(): MaybePromise<void> {
    this.#groupLen = 0;
    if (this.#lookahead !== undefined) {
      this.#group[this.#groupLen++] = this.#lookahead;
      this.#lookahead = undefined;
    }
    return this.#continueCollect();
  }

  #continueCollect(): MaybePromise<void> {
    for (;;) {
      if (this.#ended) break;
      const r = this.#source.next();
      if (r instanceof Promise) {
        return r.then((row) => {
          if (this.#add(row)) return this.#continueCollect();
          this.#finish();
        });
      }
      if (!this.#add(r)) break;
    }
    this.#finish();
  }

  /** Adds a row of the current key; returns false at the end of the key (the row is kept as lookahead). */
  #add(row: RowEntry | undefined): boolean {
    if (row === undefined) {
      this.#ended = true;
      return false;
    }
    if (this.#groupLen > 0 && !equalBytes(this.#group[0]!.key, row.key)) {
      this.#lookahead = row;
      return false;
    }
    this.#group[this.#groupLen++] = row;
    return true;
  }

  #finish(): void {
    const n = this.#groupLen;
    this.#outPos = 0;
    this.#outLen = 0;
    if (n === 1) {
      this.#single = retainOnly(this.#group[0]!, this.#options);
    } else if (n > 1) {
      const out = applyRetention(this.#group.slice(0, n), this.#options, this.#out);
      this.#outLen = out.length;
    }
  }

  seek(key: Uint8Array): MaybePromise<void> {
    this.#single = undefined;
    this.#outLen = 0;
    this.#outPos = 0;
    this.#groupLen = 0;
    this.#lookahead = undefined;
    this.#ended = false;
    return this.#source.seek(key);
  }

  close(): void {
    this.#source.close();
  }
}

/** A version as written: an expired value becomes a tombstone, an expired merge operand is dropped (undefined). */
function unexpired(row: RowEntry, expiryTickMs: number): RowEntry | undefined {
  if (row.expireTs === undefined || row.expireTs > expiryTickMs) return row;
  if (row.kind === 'merge') return undefined;
  return {
    key: row.key,
    value: EMPTY,
    seq: row.seq,
    kind: 'tombstone',
    createTs: row.createTs,
    expireTs: undefined,
  };
}

/** The retention rule for a key with one version: what applyRetention([row]) keeps, without arrays. */
function retainOnly(row: RowEntry, options: RetentionOptions): RowEntry | undefined {
  const kept = unexpired(row, options.expiryTickMs);
  if (kept === undefined || (options.filterTombstones && kept.kind === 'tombstone')) return undefined;
  return kept;
}

/** The retention rule for one key's versions (newest first), written into `kept` (cleared first). */
export function applyRetention(
  versions: readonly RowEntry[],
  options: RetentionOptions,
  kept: RowEntry[] = [],
): RowEntry[] {
  kept.length = 0;
  let lastSeq = -1;
  for (const version of versions) {
    if (kept.length > 0 && version.seq === lastSeq) continue;
    const row = unexpired(version, options.expiryTickMs);
    if (row === undefined) continue;
    kept.push(row);
    lastSeq = row.seq;
    if (!(row.seq > options.retentionMinSeq || row.kind === 'merge')) break;
  }
  if (options.filterTombstones) {
    while (kept.length > 0 && kept[kept.length - 1]!.kind === 'tombstone') kept.pop();
  }
  return kept;
}

const EMPTY = new Uint8Array(0);
