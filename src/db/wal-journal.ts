/**
 * The local WAL journal tier (docs/design/0005-wal-journal.md): with `walJournal` set, every write's rows are also
 * appended to a CRC-32C journal on a local disk (src/io/journal.ts), and a durable write resolves once its group
 * is flushed there (fdatasync), without waiting for the WAL SST. WAL SSTs still go to object storage as before;
 * each one that lands is recorded as SETTLED and the journal's segments wholly before the oldest unsettled batch
 * are trimmed.
 *
 * Hand-off: `record` encodes the rows at once and queues them in the tier; the tier's append task hands everything
 * queued to the journal after one turn of the event loop, so the writers a finished group wakes all reach the next
 * group (without the turn, the first of them would start a group alone), and the writes of one hand-off share one
 * promise (one waiter, not one per write).
 *
 * Invariants: journal order = seq order (records are queued in the writer's synchronous stretch, handed off in
 * queue order, and queued ones are handed off before any SETTLED record); a write's promise resolves only after a
 * flush that covered its record; a SETTLED(seq) record is written only after the
 * WAL SSTs holding every seq <= seq exist, and segments are trimmed only after that record is durable; a journal
 * failure closes the database (panic) and fails every waiting write.
 * Concurrency: `record` runs in the writer's synchronous stretch; settling and trimming run one at a time on this
 * tier's dispatcher task.
 */
import type { RowEntry } from '../format/row.js';
import { ensureDirectory } from '../io/directories.js';
import { type DurabilityMethod, resolveDurability } from '../io/durability.js';
import type { FileSystem } from '../io/file-system.js';
import { type Journal, openJournal } from '../io/journal.js';
import { FRAME_PAYLOAD_MAX } from '../io/journal-format.js';
import { nodeFileSystem } from '../io/node-file-system.js';
import type { Clock } from '../util/clock.js';
import { Deferred } from '../util/deferred.js';
import { type MessageDispatcher, TaskExecutor } from '../util/dispatcher.js';
import { closedError, invalidError, type ShaleDBError } from '../util/errors.js';
import { type Rand, systemRand } from '../util/random.js';
import { yieldToEventLoop } from '../util/time-slice.js';
import { type JournalLock, lockJournalDir } from './wal-journal-lock.js';
import { encodeBatch, encodeClaim, encodeSettled, encodeStale, pathTag } from './wal-journal-records.js';
import {
  type JournalScan,
  lineageProblem,
  scanWalJournal,
  staleJournalError,
  type UnsettledBatch,
} from './wal-journal-recovery.js';

/** Options of the local WAL journal tier (`walJournal` in Db.open). */
export interface WalJournalOptions {
  /** The journal's directory on a local disk (created if missing). One database per directory. */
  readonly dir: string;
  /**
   * Drop unshipped writes of a stale journal (one a writer elsewhere has superseded) instead of refusing to open
   * with `JOURNAL_STALE`. Default false.
   */
  readonly discardStale?: boolean;
  /** How a group is made durable: 'auto' (default; fdatasync on Linux), 'sync', 'data'; 'none' is UNSAFE. */
  readonly durability?: DurabilityMethod;
  /** Segment size; whole segments are trimmed once shipped. Default 16 MiB. */
  readonly segmentBytes?: number;
  /** @internal The file system (tests inject a crashable one). */
  readonly fs?: FileSystem;
}

/** Validates the `walJournal` option. */
export function checkWalJournalOptions(o: unknown): WalJournalOptions | undefined {
  if (o === undefined) return undefined;
  if (typeof o !== 'object' || o === null)
    throw invalidError('INVALID_ARGUMENT', 'walJournal must be an object');
  const w = o as Partial<WalJournalOptions>;
  if (typeof w.dir !== 'string' || w.dir === '')
    throw invalidError('INVALID_ARGUMENT', 'walJournal.dir must be a directory path');
  if (w.discardStale !== undefined && typeof w.discardStale !== 'boolean')
    throw invalidError('INVALID_ARGUMENT', 'walJournal.discardStale must be a boolean');
  return w as WalJournalOptions;
}

const MIB = 1 << 20;

/** Writes queued for one hand-off to the journal. */
interface Queued {
  readonly payloads: Uint8Array[];
  readonly seqs: number[];
  readonly done: Deferred<void>;
}

/** The tier, from open to close. */
export class WalJournalTier {
  readonly #journal: Journal;
  readonly #root: string;
  readonly #tag: number;
  readonly #discardStale: boolean;
  readonly #scan: JournalScan;
  #discard = false;
  #epoch = 0;
  #recording = false;
  /** LSN and seq of batches not yet settled, oldest first (from `#head`). */
  #lsns: number[] = [];
  #seqs: number[] = [];
  #head = 0;
  #executor: TaskExecutor | undefined;
  #task: MessageDispatcher<number> | undefined;
  #appender: MessageDispatcher<'hand-off'> | undefined;
  #queued: Queued | undefined;
  #settledSeq = 0;
  #onFail: (e: ShaleDBError) => void = () => {};

  readonly #lock: JournalLock;

  private constructor(
    journal: Journal,
    lock: JournalLock,
    root: string,
    scan: JournalScan,
    discardStale: boolean,
  ) {
    this.#journal = journal;
    this.#lock = lock;
    this.#root = root;
    this.#tag = pathTag(root);
    this.#scan = scan;
    this.#discardStale = discardStale;
  }

  /** Opens the journal in `options.dir` for database `root` and reads what it holds. */
  static async open(
    options: WalJournalOptions,
    root: string,
    clock: Clock,
    rand: Rand = systemRand,
  ): Promise<WalJournalTier> {
    const fs = options.fs ?? nodeFileSystem;
    await ensureDirectory(fs, options.dir, resolveDurability(options.durability ?? 'auto'));
    // The owner lock comes first: opening the journal may cut a torn tail.
    const lock = await lockJournalDir(fs, options.dir, rand);
    let journal: Journal | undefined;
    try {
      journal = await openJournal(options.dir, {
        fs,
        durability: options.durability,
        segmentBytes: options.segmentBytes ?? 16 * MIB,
        maxRecordBytes: FRAME_PAYLOAD_MAX,
        // The database's own backpressure (maxUnflushedBytes) bounds what is queued.
        maxPendingBytes: 2 ** 40,
        clock,
      });
      const scan = await scanWalJournal(journal, root);
      return new WalJournalTier(journal, lock, root, scan, options.discardStale === true);
    } catch (e) {
      await journal?.close().catch(() => {});
      await lock.release();
      throw e;
    }
  }

  /** The underlying journal (tests, benchmarks). */
  get journal(): Journal {
    return this.#journal;
  }

  /** Unshipped writes found at open (before any were replayed). */
  get unsettledAtOpen(): number {
    return this.#scan.unsettled.length;
  }

  /** Throws JOURNAL_STALE if the unsettled batches may not be replayed by a writer observing `storedEpoch`. */
  checkLineage(storedEpoch: number): void {
    const why = lineageProblem(this.#scan, storedEpoch);
    if (why === undefined) return;
    if (!this.#discardStale) throw staleJournalError(this.#journal.dir, this.#scan, why);
    this.#discard = true;
  }

  /** Durably records that this writer is about to bump the writer epoch to exactly `epoch`. */
  async claim(epoch: number): Promise<void> {
    if (this.#discard) await this.#journal.append(encodeSettled(Number.MAX_SAFE_INTEGER));
    await this.#journal.append(encodeClaim(epoch, this.#root));
  }

  /** After losing the bump of `claimed` to another writer: marks the unsettled batches stale; returns the error. */
  async lostClaim(claimed: number, cause: unknown): Promise<ShaleDBError | undefined> {
    if (this.#discard || this.#scan.unsettled.length === 0) return undefined;
    await this.#journal.append(encodeStale(claimed));
    return staleJournalError(
      this.#journal.dir,
      { ...this.#scan, stale: true },
      `another writer took writer epoch ${claimed} while this one was opening (${String(cause)})`,
    );
  }

  /** The unsettled batches with seq > `floor` (what object storage lacks), to replay; none when discarded. */
  batchesAfter(floor: number): UnsettledBatch[] {
    if (this.#discard) return [];
    return this.#scan.unsettled.filter((b) => b.seq > floor);
  }

  /** Durably records that every batch so far with seq <= `seq` is in object storage. */
  async settle(seq: number): Promise<void> {
    await this.#journal.append(encodeSettled(seq));
    this.#settledSeq = Math.max(this.#settledSeq, seq);
  }

  /** Starts journaling writes of epoch `epoch`; `onFail` closes the database on a journal failure. */
  start(epoch: number, clock: Clock, onFail: (e: ShaleDBError) => void): void {
    this.#epoch = epoch;
    this.#onFail = onFail;
    this.#recording = true;
    this.#executor = new TaskExecutor(clock);
    this.#task = this.#executor.spawn<number>('wal-journal-settle', {
      handle: (seq) => this.#settleAndTrim(seq),
      cleanup: async (pending, result) => {
        const last = pending.length > 0 ? Math.max(...pending) : 0;
        if (result.ok && last > 0) await this.#settleAndTrim(last);
      },
    });
    this.#appender = this.#executor.spawn<'hand-off'>('wal-journal-append', {
      handle: async () => {
        await yieldToEventLoop();
        this.#handOff();
      },
      cleanup: async () => this.#handOff(),
    });
    this.#executor.onClose((r) => {
      if (!r.ok) this.#onFail(r.error);
    });
  }

  /** Queues a write's rows (one seq); the promise resolves once they are durable in the journal. */
  record(rows: readonly RowEntry[]): Promise<void> {
    if (!this.#recording)
      throw closedError('clean', `WAL journal ${this.#journal.dir} is not accepting writes`);
    const payload = encodeBatch(this.#epoch, this.#tag, rows);
    if (payload.length > FRAME_PAYLOAD_MAX) {
      throw invalidError(
        'INVALID_ARGUMENT',
        `a write of ${payload.length} bytes exceeds the journal's record limit`,
      );
    }
    let q = this.#queued;
    if (q === undefined) {
      q = this.#queued = { payloads: [], seqs: [], done: new Deferred<void>() };
      this.#appender!.send('hand-off');
    }
    q.payloads.push(payload);
    q.seqs.push(rows[rows.length - 1]!.seq);
    return q.done.promise;
  }

  /** Appends everything queued to the journal; the queued writes' promise settles with their group's flush. */
  #handOff(): void {
    const q = this.#queued;
    if (q === undefined) return;
    this.#queued = undefined;
    let lsn = 0;
    try {
      for (let i = 0; i < q.payloads.length; i++) {
        lsn = this.#journal.appendBuffered(q.payloads[i]!);
        this.#lsns.push(lsn);
        this.#seqs.push(q.seqs[i]!);
      }
    } catch (e) {
      q.done.reject(e);
      this.#onFail(e as ShaleDBError);
      return;
    }
    this.#journal.syncThrough(lsn).then(
      () => q.done.resolve(),
      (e: ShaleDBError) => {
        q.done.reject(e);
        this.#onFail(e);
      },
    );
  }

  /** Called after WAL SSTs holding every seq <= `seq` were written. */
  shipped(seq: number): void {
    this.#task?.send(seq);
  }

  async #settleAndTrim(seq: number): Promise<void> {
    if (seq <= this.#settledSeq) return;
    // Writes still queued in the tier go first: their BATCH records precede the SETTLED that covers them.
    this.#handOff();
    await this.settle(seq);
    while (this.#head < this.#seqs.length && this.#seqs[this.#head]! <= seq) this.#head++;
    if (this.#head > 4096 && this.#head * 2 > this.#seqs.length) {
      this.#lsns = this.#lsns.slice(this.#head);
      this.#seqs = this.#seqs.slice(this.#head);
      this.#head = 0;
    }
    const keepFrom = this.#lsns[this.#head] ?? this.#journal.nextLsn;
    await this.#journal.trimBefore(keepFrom);
  }

  /** Settles what was shipped, then closes the journal (appended records are made durable first). */
  async close(): Promise<void> {
    this.#recording = false;
    try {
      await this.#executor?.shutdown();
      await this.#journal.close();
    } finally {
      await this.#lock.release();
    }
  }
}
