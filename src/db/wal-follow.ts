/**
 * follow: a live tail of a database's WAL (docs/wal-reader.md#follow). It yields every row of WAL file `startId`,
 * then `startId + 1`, and so on, waiting `pollIntervalMs` between looks while the next file does not exist yet.
 *
 * Invariants: rows come out in WAL id order and, within a file, in write order (so in seq order for one writer);
 * no row is yielded twice and none is skipped silently: when the next expected file is gone while a later one
 * exists (the garbage collector deleted it, or the follower started below the oldest retained file), the follow
 * fails with 'data' WAL_ROWS_LOST naming the first id still present, unless `onGap` was given, which is told
 * the missing ids and the follow skips forward; a file that exists is read whole (checksum-verified) before its
 * first row is yielded. Closing (close(), the signal, or leaving a for-await loop) ends the follow at once,
 * including a wait in progress.
 * Concurrency: pull-driven: nothing runs between the consumer's calls except the wait, so no background task.
 */

import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { closedError, dataError, invalidError, toShaleDBError } from '../util/errors.js';
import {
  checkWalId,
  isWalNotFound,
  listWalIds,
  type RowEntry,
  readWalRows,
  toPublicRow,
  type WalSource,
  walFileMeta,
} from './wal-files.js';

/** A row of a followed WAL, with the file it came from. */
export interface FollowedRow extends RowEntry {
  /** The WAL id of the file holding the row: resume after it with `startId: walId + 1n`. */
  readonly walId: bigint;
}

/** WAL files that disappeared before a follower read them. */
export interface WalGap {
  /** First missing id. */
  readonly fromId: bigint;
  /** First id present after the gap (where the follow continues). */
  readonly toId: bigint;
}

/** Options of WalReader.follow. */
export interface FollowOptions {
  /**
   * First WAL id to read: a number, 'earliest' (default: the oldest file present when the follow starts) or
   * 'latest' (only files written after the follow starts).
   */
  readonly startId?: bigint | number | 'earliest' | 'latest';
  /** Wait between looks for the next file while caught up (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** Ends the follow when aborted. */
  readonly signal?: AbortSignal;
  /** Called when files were collected before they were read; the follow then skips them instead of failing. */
  readonly onGap?: (gap: WalGap) => void;
  /** @internal Injected clock (tests). */
  readonly clock?: Clock;
}

/** A live tail of a WAL: an async iterable of rows; close() (or the signal) ends it. */
export class WalFollower implements AsyncIterable<FollowedRow> {
  readonly #src: WalSource;
  readonly #start: number | 'earliest' | 'latest';
  readonly #pollMs: number;
  readonly #onGap: ((gap: WalGap) => void) | undefined;
  readonly #clock: Clock;
  readonly #abort = new AbortController();
  #nextId: number | undefined;
  #iterating = false;
  #unlisten: (() => void) | undefined;

  /** @internal Use WalReader.follow. */
  constructor(src: WalSource, options: FollowOptions = {}) {
    const s = options.startId ?? 'earliest';
    this.#start = s === 'earliest' || s === 'latest' ? s : checkWalId(s, 'startId');
    const p = options.pollIntervalMs ?? 1000;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0)
      throw invalidError('INVALID_ARGUMENT', 'pollIntervalMs must be a non-negative number');
    if (options.onGap !== undefined && typeof options.onGap !== 'function')
      throw invalidError('INVALID_ARGUMENT', 'onGap must be a function');
    this.#src = src;
    this.#pollMs = p;
    this.#onGap = options.onGap;
    this.#clock = options.clock ?? systemClock;
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.#abort.abort();
      else {
        const onAbort = (): void => this.close();
        signal.addEventListener('abort', onAbort, { once: true });
        this.#unlisten = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  /** The WAL id the follower reads next (undefined until it has started). */
  get nextId(): bigint | undefined {
    return this.#nextId === undefined ? undefined : BigInt(this.#nextId);
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Ends the follow: a pending wait or read stops and the iteration finishes. Idempotent. */
  close(): void {
    this.#abort.abort(closedError('clean', 'WAL follow closed'));
    this.#unlisten?.();
    this.#unlisten = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<FollowedRow> {
    if (this.#iterating) throw invalidError('INVALID_ARGUMENT', 'a WalFollower can be iterated once');
    this.#iterating = true;
    try {
      let { id, floating } = await this.#startAt();
      while (!this.closed) {
        this.#nextId = id;
        let rows: Awaited<ReturnType<typeof readWalRows>> | undefined;
        try {
          rows = await readWalRows(this.#src, id);
        } catch (e) {
          if (!isWalNotFound(e) || this.closed) throw e;
        }
        if (this.closed) return;
        if (rows !== undefined) {
          floating = false;
          const walId = BigInt(id);
          for (const r of rows) {
            yield { ...toPublicRow(r), walId };
            if (this.closed) return;
          }
          id++;
          continue;
        }
        const later = (await listWalIds(this.#src, id + 1, undefined, this.#abort.signal))[0];
        if (this.closed) return;
        if (later === undefined) {
          await this.#wait();
          continue;
        }
        // Started on an empty WAL: the first file that appears is where the writer is, not a gap.
        if (floating) {
          id = later;
          continue;
        }
        // A later file exists: look once more (this one may have landed between the read and the list).
        if (await this.#exists(id)) continue;
        if (this.closed) return;
        if (this.#onGap === undefined) {
          throw dataError(
            'WAL_ROWS_LOST',
            `WAL files ${id}..${later - 1} were deleted before they were read (garbage collected?); the next file present is ${later}: follow again with startId ${later} to skip them`,
          );
        }
        this.#onGap({ fromId: BigInt(id), toId: BigInt(later) });
        id = later;
      }
    } catch (e) {
      if (this.closed) return;
      throw toShaleDBError(e);
    } finally {
      this.close();
    }
  }

  /** Where to start; `floating` when the WAL was empty (the first file to appear is the start). */
  async #startAt(): Promise<{ id: number; floating: boolean }> {
    if (typeof this.#start === 'number') return { id: this.#start, floating: false };
    const ids = await listWalIds(this.#src, undefined, undefined, this.#abort.signal);
    if (ids.length === 0) return { id: 1, floating: true };
    return { id: this.#start === 'earliest' ? ids[0]! : ids[ids.length - 1]! + 1, floating: false };
  }

  async #exists(id: number): Promise<boolean> {
    try {
      await walFileMeta(this.#src, id);
      return true;
    } catch (e) {
      if (isWalNotFound(e)) return false;
      throw e;
    }
  }

  async #wait(): Promise<void> {
    try {
      await this.#clock.sleep(this.#pollMs, this.#abort.signal);
    } catch (e) {
      if (!this.closed) throw e;
    }
  }
}
