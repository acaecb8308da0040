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
  /** Output rows of the current key, in order, and the read position in it. */
  readonly #out: RowEntry[] = [];
  #outPos = 0;
  /** The versions of the key being gathered (reused). */
  readonly #group: RowEntry[] = [];
  /** First row of the next key, read ahead. */
  #lookahead: RowEntry | undefined;
  #ended = false;

  constructor(source: RowIterator, options: RetentionOptions) {
    this.#source = source;
    this.#options = options;
  }

  next(): MaybePromise<RowEntry | undefined> {
    for (;;) {
      if (this.#outPos < this.#out.length) return this.#out[this.#outPos++]!;
      if (this.#ended && this.#lookahead === undefined) return undefined;
      const r = this.#collect();
      if (r instanceof Promise) return r.then(() => this.next());
    }
  }

  /** Reads one key's versions into #out (filtered). Both arrays are reused across keys. */
  #collect(): MaybePromise<void> {
    const group = this.#group;
    group.length = 0;
    if (this.#lookahead !== undefined) {
      group.push(this.#lookahead);
      this.#lookahead = undefined;
    }
    for (;;) {
      if (this.#ended) break;
      const r = this.#source.next();
      if (r instanceof Promise) {
        return r.then((row) => {
          if (this.#add(group, row)) return this.#continueCollect(group);
          this.#finish(group);
        });
      }
      if (!this.#add(group, r)) break;
    }
    this.#finish(group);
  }

  #continueCollect(group: RowEntry[]): MaybePromise<void> {
    for (;;) {
      const r = this.#source.next();
      if (r instanceof Promise) {
        return r.then((row) => {
          if (this.#add(group, row)) return this.#continueCollect(group);
          this.#finish(group);
        });
      }
      if (!this.#add(group, r)) {
        this.#finish(group);
        return;
      }
    }
  }

  /** Adds a row of the current key; returns false at the end of the key (the row is kept as lookahead). */
  #add(group: RowEntry[], row: RowEntry | undefined): boolean {
    if (row === undefined) {
      this.#ended = true;
      return false;
    }
    const first = group[0];
    if (first === undefined) {
      group.push(row);
      return true;
    }
    if (!equalBytes(first.key, row.key)) {
      this.#lookahead = row;
      return false;
    }
    group.push(row);
    return true;
  }

  #finish(group: RowEntry[]): void {
    applyRetention(group, this.#options, this.#out);
    this.#outPos = 0;
  }

  seek(key: Uint8Array): MaybePromise<void> {
    this.#out.length = 0;
    this.#outPos = 0;
    this.#lookahead = undefined;
    this.#ended = false;
    return this.#source.seek(key);
  }

  close(): void {
    this.#source.close();
  }
}

/** The retention rule for one key's versions (newest first), written into `kept` (cleared first). */
export function applyRetention(
  versions: readonly RowEntry[],
  options: RetentionOptions,
  kept: RowEntry[] = [],
): RowEntry[] {
  kept.length = 0;
  let lastSeq = -1;
  for (let row of versions) {
    if (kept.length > 0 && row.seq === lastSeq) continue;
    const isMerge = row.kind === 'merge';
    if (row.expireTs !== undefined && row.expireTs <= options.expiryTickMs) {
      if (isMerge) continue;
      row = {
        key: row.key,
        value: EMPTY,
        seq: row.seq,
        kind: 'tombstone',
        createTs: row.createTs,
        expireTs: undefined,
      };
    }
    kept.push(row);
    lastSeq = row.seq;
    if (!(row.seq > options.retentionMinSeq || isMerge)) break;
  }
  if (options.filterTombstones) {
    while (kept.length > 0 && kept[kept.length - 1]!.kind === 'tombstone') kept.pop();
  }
  return kept;
}

const EMPTY = new Uint8Array(0);
