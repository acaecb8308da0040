/**
 * WalWriter: the WAL buffer and its flusher task. Writes append rows to the current buffer; a flush freezes the
 * buffer, gives it the next WAL id and writes it as one create-if-absent WAL SST; then the writes in it are durable.
 *
 * Timing: `flushIntervalMs` is the shortest spacing between time-driven flushes, as 0.12.1's timer gives. A write
 * into an idle buffer is flushed at once when the last flush started at least that long ago, else when that much
 * time has passed since it started; under steady load this is one flush per interval, as 0.12.1 does, while a
 * write after a quiet period waits only for its PUT, and an idle database makes no wakeups. Size-triggered and
 * explicit flushes are immediate.
 *
 * Invariants: flushes are sequential and in WAL id order; a buffer's `durable` settles only after its own SST and
 * every earlier one were written (never earlier); a batch is never split across two WAL SSTs; an empty buffer writes
 * nothing. `AlreadyExists` on a WAL id means another writer took it: the writer is fenced (a closed/fenced error
 * closes the database through the executor). Any failed WAL write is fatal: the database closes with it.
 * Concurrency: `append` and `maybeTriggerFlush` run synchronously in the writer's stretch; the flush runs in the
 * dispatcher task `wal-writer`.
 */

import type { RowEntry } from '../format/row.js';
import { estimatedRowSize } from '../lsm/memtable.js';
import { isObjectStoreError } from '../object-store/object-store.js';
import type { Clock } from '../util/clock.js';
import { Deferred } from '../util/deferred.js';
import type { MessageDispatcher, TaskExecutor } from '../util/dispatcher.js';
import { closedError, type ShaleDBError } from '../util/errors.js';

/** Writes WAL SST `id` holding `rows` with create-if-absent. */
export type WriteWalSst = (id: number, rows: readonly RowEntry[], sizeHint: number) => Promise<void>;

class WalBuffer {
  readonly rows: RowEntry[] = [];
  readonly durable = new Deferred<void>();
  sizeBytes = 0;
  lastSeq = 0;
  lastTick = Number.MIN_SAFE_INTEGER;

  add(row: RowEntry): void {
    this.rows.push(row);
    this.sizeBytes += estimatedRowSize(row);
    this.lastSeq = row.seq;
    if (row.createTs !== undefined) this.lastTick = row.createTs;
  }
}

type WalMessage = { readonly type: 'timer' } | { readonly type: 'flush'; readonly done?: Deferred<void> };

/** A local log that makes rows durable before their WAL SST exists (the WAL journal tier, wal-journal.ts). */
export interface LocalLog {
  /** Queues one write's rows; resolves once they are durable locally. */
  record(rows: readonly RowEntry[]): Promise<void>;
}

/** Options of the WAL writer. */
export interface WalWriterOptions {
  readonly executor: TaskExecutor;
  readonly clock: Clock;
  readonly writeWalSst: WriteWalSst;
  /** The next WAL id to use (the fence's id + 1 after open). */
  readonly nextWalId: number;
  readonly flushIntervalMs: number | null;
  /** A buffer this large (estimated encoded bytes) is flushed without waiting for the timer. */
  readonly maxBufferBytes: number;
  /** Called after each WAL SST is written, with its id and last seq. */
  readonly onFlushed: (walId: number, lastSeq: number, lastTick: number) => void;
  /** When set, appends resolve once `record` makes the rows durable locally, not when their SST exists. */
  readonly localLog?: LocalLog;
}

/** Per-row overhead of the WAL SST encoding beyond estimatedRowSize (varints, flags, restarts, index share). */
const ROW_OVERHEAD_BYTES = 8;

/** The WAL buffer manager. */
export class WalWriter {
  readonly #options: WalWriterOptions;
  readonly #task: MessageDispatcher<WalMessage>;
  #current = new WalBuffer();
  readonly #frozen: Array<{ id: number; buffer: WalBuffer }> = [];
  #nextWalId: number;
  #recentFlushedWalId: number;
  /** A timer-driven flush is queued or scheduled. */
  #timerArmed = false;
  /** Monotonic start time of the last flush, and the time the armed timer flush is due. */
  #lastFlushStartMs = Number.NEGATIVE_INFINITY;
  #nextFlushStartMs = 0;

  constructor(options: WalWriterOptions) {
    this.#options = options;
    this.#nextWalId = options.nextWalId;
    this.#recentFlushedWalId = options.nextWalId - 1;
    this.#task = options.executor.spawn<WalMessage>('wal-writer', {
      handle: (m) => this.#handle(m),
      cleanup: (pending, result) => this.#cleanup(pending, result.ok ? undefined : result.error),
    });
  }

  /** The newest WAL id written. */
  get recentFlushedWalId(): number {
    return this.#recentFlushedWalId;
  }

  /** The id the next flush will use. */
  get nextWalId(): number {
    return this.#nextWalId;
  }

  /** Estimated bytes waiting to be written (current and frozen buffers). */
  get estimatedBytes(): number {
    let n = this.#current.sizeBytes + this.#current.rows.length * ROW_OVERHEAD_BYTES;
    for (const f of this.#frozen) n += f.buffer.sizeBytes + f.buffer.rows.length * ROW_OVERHEAD_BYTES;
    return n;
  }

  /** True when nothing is waiting to be written. */
  get isEmpty(): boolean {
    return this.#current.rows.length === 0 && this.#frozen.length === 0;
  }

  /** Appends a batch's rows atomically; returns the promise that settles when they are durable. */
  append(rows: readonly RowEntry[]): Promise<void> {
    const local = this.#options.localLog?.record(rows);
    const b = this.#current;
    for (const r of rows) b.add(r);
    if (!this.#timerArmed) this.#armTimer();
    return local ?? b.durable.promise;
  }

  /** Appends one row (the single-put fast path). */
  appendOne(row: RowEntry): Promise<void> {
    const local = this.#options.localLog?.record([row]);
    this.#current.add(row);
    if (!this.#timerArmed) this.#armTimer();
    return local ?? this.#current.durable.promise;
  }

  /** Schedules the time-driven flush of the current buffer (see the file header). */
  #armTimer(): void {
    const interval = this.#options.flushIntervalMs;
    if (interval === null) return;
    this.#timerArmed = true;
    const now = this.#options.clock.monotonicMs();
    const due = this.#lastFlushStartMs + interval;
    // The flush counts as started when it was due, so timer lateness does not stretch the interval.
    this.#nextFlushStartMs = Math.max(due, now);
    if (due <= now) this.#task.send({ type: 'timer' });
    else this.#task.sendAfter({ type: 'timer' }, due - now);
  }

  /** Requests a flush when the current buffer reached its size limit. */
  maybeTriggerFlush(): void {
    const b = this.#current;
    if (b.sizeBytes + b.rows.length * ROW_OVERHEAD_BYTES < this.#options.maxBufferBytes) return;
    // Freeze now, not when the flush runs: a flush already in progress would let the buffer grow without bound.
    this.#freezeCurrent();
    this.#task.send({ type: 'flush' });
  }

  /** Writes everything appended so far; resolves when it is durable. */
  flush(): Promise<void> {
    const done = new Deferred<void>();
    this.#task.send({ type: 'flush', done });
    return done.promise;
  }

  /** The promise of the oldest buffer not yet durable, if any (backpressure waits on it). */
  oldestPending(): Promise<void> | undefined {
    const f = this.#frozen[0];
    if (f !== undefined) return f.buffer.durable.promise;
    if (this.#current.rows.length > 0) return this.#current.durable.promise;
    return undefined;
  }

  async #handle(m: WalMessage): Promise<void> {
    let start = this.#options.clock.monotonicMs();
    if (m.type === 'timer') {
      this.#timerArmed = false;
      start = Math.min(start, this.#nextFlushStartMs);
    }
    try {
      await this.#flushAll(start);
      // Rows that arrived during the flush wait for the next interval.
      if (!this.#timerArmed && this.#current.rows.length > 0) this.#armTimer();
      m.type === 'flush' && m.done?.resolve();
    } catch (e) {
      if (m.type === 'flush') m.done?.reject(e);
      throw e;
    }
  }

  #freezeCurrent(): void {
    if (this.#current.rows.length === 0) return;
    this.#frozen.push({ id: this.#nextWalId++, buffer: this.#current });
    this.#current = new WalBuffer();
  }

  async #flushAll(start = this.#options.clock.monotonicMs()): Promise<void> {
    if (this.#current.rows.length > 0) this.#lastFlushStartMs = start;
    this.#freezeCurrent();
    while (this.#frozen.length > 0) {
      const { id, buffer } = this.#frozen[0]!;
      try {
        await this.#options.writeWalSst(
          id,
          buffer.rows,
          buffer.sizeBytes + buffer.rows.length * ROW_OVERHEAD_BYTES,
        );
      } catch (e) {
        const err = isObjectStoreError(e, 'already-exists')
          ? closedError('fenced', `WAL SST ${id} already exists: a newer writer has fenced this one`, e)
          : e;
        throw err;
      }
      this.#frozen.shift();
      this.#recentFlushedWalId = id;
      this.#options.onFlushed(id, buffer.lastSeq, buffer.lastTick);
      buffer.durable.resolve();
    }
  }

  /** On close: a clean close writes what is left; a failed one fails every waiter with the close error. */
  async #cleanup(pending: WalMessage[], error: ShaleDBError | undefined): Promise<void> {
    if (error === undefined) {
      try {
        await this.#flushAll();
      } catch (e) {
        error = e as ShaleDBError;
      }
    }
    const reason = error ?? closedError('clean', 'database closed');
    for (const m of pending) {
      if (m.type === 'flush') {
        if (error === undefined) m.done?.resolve();
        else m.done?.reject(reason);
      }
    }
    if (error !== undefined) {
      for (const f of this.#frozen) f.buffer.durable.reject(error);
      this.#current.durable.reject(error);
    }
  }
}
