/**
 * Journal: an append-only, segmented, checksummed log on a local disk with group commit: the substrate for a
 * local WAL tier. Concurrent appenders are coalesced into one write and one flush (fdatasync) per group; an
 * append resolves with its LSN only once durable. Segments rotate by size; `trimBefore` deletes whole old ones.
 * Format: docs/journal-format.md (journal-format.ts).
 *
 * Invariants: LSNs are assigned 1, 2, 3, ... with no gaps and records reach the file in LSN order; a waiter is
 * resolved only after a flush that began after its record was written; `durableLsn` never decreases. A failed
 * write or flush poisons the journal: the failing group's appends get the IoError, every other pending or later
 * call gets JOURNAL_POISONED (kind 'closed', reason 'panic'), and the flush is never retried (after a failed
 * fsync the kernel may have dropped the dirty pages, so a retry could falsely succeed). Reopen to recover.
 * Concurrency: any number of concurrent `append` calls; group commits run one at a time on a dispatcher task.
 * One journal instance per directory (no cross-process lock).
 */
import { assert } from '../util/assert.js';
import { type Clock, systemClock } from '../util/clock.js';
import { type MessageDispatcher, TaskExecutor } from '../util/dispatcher.js';
import { closedError, invalidError, type ShaleDBError, unavailableError } from '../util/errors.js';
import { ensureDirectory, syncDirStep } from './directories.js';
import {
  type DurabilityInForce,
  type DurabilityMethod,
  describeDurability,
  flushFile,
} from './durability.js';
import type { FileHandle, FileSystem } from './file-system.js';
import { IoError, isNotFound, toIoError } from './io-error.js';
import { FrameArena } from './journal-arena.js';
import { FRAME_HEADER_BYTES, FRAME_PAYLOAD_MAX, SEGMENT_HEADER_BYTES } from './journal-format.js';
import { createSegment, type JournalRecovery, recoverJournal, type SegmentInfo } from './journal-recovery.js';
import { replaySegments } from './journal-replay.js';
import { nodeFileSystem } from './node-file-system.js';

/** Options for {@link openJournal}. */
export interface JournalOptions {
  readonly fs?: FileSystem;
  /** Default 'auto'. 'none' is UNSAFE: appends resolve once written, not flushed. */
  readonly durability?: DurabilityMethod;
  /** Rotate to a new segment before a group would take the active one past this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** How long a group waits for more appenders before it is written. Default 0 (the running flush is the wait). */
  readonly groupWindowMs?: number;
  /** Most frame bytes in one group (one larger record still forms a group alone). Default 4 MiB. */
  readonly maxGroupBytes?: number;
  /** Largest payload accepted. Default 64 MiB; at most 1 GiB. */
  readonly maxRecordBytes?: number;
  /** Most bytes queued but not yet written; `append` waits, `appendBuffered` throws. Default 64 MiB. */
  readonly maxPendingBytes?: number;
  /** Create the directory if missing. Default true. */
  readonly createIfMissing?: boolean;
  readonly clock?: Clock;
}

/** A record read back by `replay`. */
export interface JournalRecord {
  readonly lsn: number;
  readonly payload: Uint8Array;
}

/** Counters, for tests and benchmarks. */
export interface JournalStats {
  groups: number;
  records: number;
  bytesWritten: number;
  flushes: number;
  rotations: number;
  largestGroupRecords: number;
}

interface Waiter {
  readonly lsn: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface Active {
  readonly info: SegmentInfo;
  readonly handle: FileHandle;
  size: number;
}

const MIB = 1 << 20;
/** Groups up to this size are written with a synchronous write (cheaper than an awaited one). */
const SYNC_WRITE_BYTES_MAX = 64 * 1024;

/** Opens (creating or recovering) the journal in directory `dir`. */
export async function openJournal(dir: string, options: JournalOptions = {}): Promise<Journal> {
  const fs = options.fs ?? nodeFileSystem;
  const durability = describeDurability(options.durability ?? 'auto', fs);
  const limits = resolveLimits(options);
  if (options.createIfMissing !== false) await ensureDirectory(fs, dir, durability.method);
  const r = await recoverJournal(fs, dir, durability.method);
  const active: Active = { info: r.segments[r.segments.length - 1]!, handle: r.handle, size: r.size };
  return new Journal(
    dir,
    fs,
    durability,
    limits,
    options.clock ?? systemClock,
    r.segments,
    active,
    r.nextLsn,
    r.recovery,
  );
}

interface Limits {
  readonly segmentBytes: number;
  readonly groupWindowMs: number;
  readonly maxGroupBytes: number;
  readonly maxRecordBytes: number;
  readonly maxPendingBytes: number;
}

function resolveLimits(o: JournalOptions): Limits {
  const num = (name: string, v: number | undefined, dflt: number, min: number, max: number): number => {
    const x = v ?? dflt;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) {
      throw invalidError('INVALID_SETTING', `journal ${name} must be a number in [${min}, ${max}], got ${x}`);
    }
    return x;
  };
  const maxRecordBytes = num('maxRecordBytes', o.maxRecordBytes, 64 * MIB, 0, FRAME_PAYLOAD_MAX);
  return {
    segmentBytes: num('segmentBytes', o.segmentBytes, 64 * MIB, SEGMENT_HEADER_BYTES + 1, 2 ** 40),
    groupWindowMs: num('groupWindowMs', o.groupWindowMs, 0, 0, 10_000),
    maxGroupBytes: num('maxGroupBytes', o.maxGroupBytes, 4 * MIB, 1, 2 ** 31),
    maxRecordBytes,
    maxPendingBytes: num('maxPendingBytes', o.maxPendingBytes, 64 * MIB, 1, 2 ** 40),
  };
}

/** An open journal. Create with {@link openJournal}. */
export class Journal {
  readonly dir: string;
  /** The durability method in force. */
  readonly durability: DurabilityInForce;
  /** What opening found and repaired. */
  readonly recovery: JournalRecovery;
  readonly stats: JournalStats = {
    groups: 0,
    records: 0,
    bytesWritten: 0,
    flushes: 0,
    rotations: 0,
    largestGroupRecords: 0,
  };
  readonly #fs: FileSystem;
  readonly #limits: Limits;
  readonly #clock: Clock;
  readonly #segments: SegmentInfo[];
  #active: Active;
  /** The LSN the next append gets. */
  #nextLsn: number;
  #durableLsn: number;
  /** Frames appended but not yet written; the first has LSN `#durableLsn + 1`. */
  readonly #arena = new FrameArena();
  #waiters: Waiter[] = [];
  #capacityWaiters: Array<() => void> = [];
  readonly #executor: TaskExecutor;
  readonly #flusher: MessageDispatcher<'flush'>;
  #kickQueued = false;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closing: Promise<void> | undefined;
  #poison: ShaleDBError | undefined;
  /** Bytes written to the active segment whose flush has not completed (only during a group commit). */
  #unflushedBytes = 0;

  /** @internal Use {@link openJournal}. */
  constructor(
    dir: string,
    fs: FileSystem,
    durability: DurabilityInForce,
    limits: Limits,
    clock: Clock,
    segments: SegmentInfo[],
    active: Active,
    nextLsn: number,
    recovery: JournalRecovery,
  ) {
    this.dir = dir;
    this.#fs = fs;
    this.durability = durability;
    this.#limits = limits;
    this.#clock = clock;
    this.#segments = segments;
    this.#active = active;
    this.#nextLsn = nextLsn;
    this.#durableLsn = nextLsn - 1;
    this.recovery = recovery;
    this.#executor = new TaskExecutor(clock);
    this.#flusher = this.#executor.spawn<'flush'>('journal-flush', { handle: () => this.#flushPending() });
  }

  /** The LSN the next append will get. */
  get nextLsn(): number {
    return this.#nextLsn;
  }

  /** Every record with LSN <= this is durable. */
  get durableLsn(): number {
    return this.#durableLsn;
  }

  /** The oldest LSN still retained (the first segment's base). */
  get firstLsn(): number {
    return this.#segments[0]!.baseLsn;
  }

  /** The error that poisoned the journal, if one did. */
  get poisoned(): ShaleDBError | undefined {
    return this.#poison;
  }

  /** Segment files, oldest first. */
  segments(): readonly SegmentInfo[] {
    return [...this.#segments];
  }

  /** Appends a record; resolves with its LSN once it is durable. Waits while too many bytes are queued. */
  async append(payload: Uint8Array): Promise<number> {
    this.#checkUsable();
    const frameBytes = this.#validate(payload);
    while (this.#arena.bytes > 0 && this.#arena.bytes + frameBytes > this.#limits.maxPendingBytes) {
      await new Promise<void>((resolve) => this.#capacityWaiters.push(resolve));
      this.#checkUsable();
    }
    const lsn = this.#enqueue(payload);
    await this.syncThrough(lsn);
    return lsn;
  }

  /**
   * Queues a record and returns its LSN at once; it becomes durable soon after (see `syncThrough`).
   * Throws an 'unavailable' JOURNAL_BACKPRESSURE error instead of queueing past `maxPendingBytes`.
   */
  appendBuffered(payload: Uint8Array): number {
    this.#checkUsable();
    const frameBytes = this.#validate(payload);
    if (this.#arena.bytes > 0 && this.#arena.bytes + frameBytes > this.#limits.maxPendingBytes) {
      throw unavailableError(
        'JOURNAL_BACKPRESSURE',
        `journal ${this.dir}: ${this.#arena.bytes} bytes queued`,
      );
    }
    return this.#enqueue(payload);
  }

  /** Resolves once every record with LSN <= `lsn` is durable. */
  syncThrough(lsn: number): Promise<void> {
    if (this.#poison !== undefined) return Promise.reject(this.#poison);
    if (!Number.isSafeInteger(lsn) || lsn < 0 || lsn >= this.#nextLsn) {
      return Promise.reject(
        invalidError('INVALID_ARGUMENT', `syncThrough(${lsn}): LSNs so far end at ${this.#nextLsn - 1}`),
      );
    }
    if (lsn <= this.#durableLsn) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.#addWaiter({ lsn, resolve, reject }));
  }

  /**
   * Reads back durable records with LSN >= `fromLsn` (default: the oldest retained), in order, checking every
   * checksum: damage anywhere is a data error (JOURNAL_CORRUPT), a missing LSN range JOURNAL_GAP. Records
   * appended after the call began are not included. Do not trim the range being replayed.
   */
  replay(fromLsn = this.firstLsn): AsyncIterable<JournalRecord> {
    this.#checkUsable();
    const active = this.#active;
    return replaySegments(this.#fs, [...this.#segments], fromLsn, this.#durableLsn, {
      path: active.info.path,
      durableEnd: active.size - this.#unflushedBytes,
    });
  }

  /** Deletes every whole segment whose records all have LSN < `lsn` (never the active one). Returns how many. */
  async trimBefore(lsn: number): Promise<number> {
    this.#checkUsable();
    if (!Number.isSafeInteger(lsn)) throw invalidError('INVALID_ARGUMENT', `trimBefore(${lsn}): not an LSN`);
    const doomed: SegmentInfo[] = [];
    while (this.#segments.length > 1 && this.#segments[1]!.baseLsn <= lsn)
      doomed.push(this.#segments.shift()!);
    for (const seg of doomed) {
      try {
        await this.#fs.unlink(seg.path);
      } catch (e) {
        if (!isNotFound(e)) throw toIoError('unlink', seg.path, e);
      }
    }
    if (doomed.length > 0 && this.durability.method !== 'none') await syncDirStep(this.#fs, this.dir);
    return doomed.length;
  }

  /** Makes everything appended durable, stops the flusher and closes the file. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = 'closing';
    if (this.#poison === undefined && this.#nextLsn - 1 > this.#durableLsn) {
      await this.syncThrough(this.#nextLsn - 1).catch(() => {});
    }
    await this.#executor.shutdown();
    await this.#active.handle.close().catch(() => {});
    this.#state = 'closed';
    this.#rejectAll(() => this.#poison ?? closedError('clean', `journal ${this.dir} is closed`));
  }

  #checkUsable(): void {
    if (this.#poison !== undefined) throw this.#poison;
    if (this.#state !== 'open') throw closedError('clean', `journal ${this.dir} is closed`);
  }

  #validate(payload: Uint8Array): number {
    if (!(payload instanceof Uint8Array)) {
      throw invalidError('INVALID_ARGUMENT', `journal append: payload must be a Uint8Array`);
    }
    if (payload.length > this.#limits.maxRecordBytes) {
      throw invalidError(
        'INVALID_ARGUMENT',
        `journal append: ${payload.length} bytes > maxRecordBytes ${this.#limits.maxRecordBytes}`,
      );
    }
    return FRAME_HEADER_BYTES + payload.length;
  }

  #enqueue(payload: Uint8Array): number {
    const lsn = this.#nextLsn++;
    this.#arena.append(lsn, payload);
    if (!this.#kickQueued) {
      this.#kickQueued = true;
      this.#flusher.send('flush');
    }
    return lsn;
  }

  #addWaiter(w: Waiter): void {
    const ws = this.#waiters;
    if (ws.length === 0 || ws[ws.length - 1]!.lsn <= w.lsn) {
      ws.push(w);
      return;
    }
    let lo = 0;
    let hi = ws.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ws[mid]!.lsn <= w.lsn) lo = mid + 1;
      else hi = mid;
    }
    ws.splice(lo, 0, w);
  }

  /** The flusher task: commits groups until nothing is pending. */
  async #flushPending(): Promise<void> {
    this.#kickQueued = false;
    while (this.#arena.frames > 0) {
      const window = this.#limits.groupWindowMs;
      if (window > 0 && this.#arena.bytes < this.#limits.maxGroupBytes) await this.#clock.sleep(window);
      await this.#commitGroup();
    }
  }

  /** One group: take frames, rotate if needed, one write, one flush, wake the waiters. */
  async #commitGroup(): Promise<void> {
    const firstLsn = this.#durableLsn + 1;
    const group = this.#arena.take(this.#limits.maxGroupBytes);
    const lastLsn = firstLsn + group.count - 1;
    assert(
      group.count >= 1 && lastLsn < this.#nextLsn,
      () => `journal group ${firstLsn}..${lastLsn} past ${this.#nextLsn}`,
    );
    try {
      if (
        this.#active.size > SEGMENT_HEADER_BYTES &&
        this.#active.size + group.bytes.length > this.#limits.segmentBytes
      ) {
        await this.#rotate(firstLsn);
      }
      await this.#write(group.bytes);
      this.#arena.recycle(group.bytes);
      await flushFile(this.#active.handle, this.durability.method);
    } catch (e) {
      throw this.#fail(e, lastLsn);
    }
    this.#unflushedBytes = 0;
    this.#durableLsn = lastLsn;
    this.stats.groups++;
    this.stats.records += group.count;
    this.stats.bytesWritten += group.bytes.length;
    if (this.durability.method !== 'none') this.stats.flushes++;
    this.stats.largestGroupRecords = Math.max(this.stats.largestGroupRecords, group.count);
    this.#wake();
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const a = this.#active;
    try {
      if (bytes.length <= SYNC_WRITE_BYTES_MAX) a.handle.writeSync(bytes, a.size);
      else await a.handle.write(bytes, a.size);
    } catch (e) {
      throw toIoError('write', a.info.path, e);
    }
    a.size += bytes.length;
    this.#unflushedBytes = bytes.length;
  }

  /** Seals the active segment (already flushed) and starts a new one whose first record is `baseLsn`. */
  async #rotate(baseLsn: number): Promise<void> {
    const { info, handle } = await createSegment(this.#fs, this.dir, baseLsn, this.durability.method);
    const old = this.#active;
    this.#active = { info, handle, size: SEGMENT_HEADER_BYTES };
    this.#segments.push(info);
    this.stats.rotations++;
    await old.handle.close().catch(() => {});
  }

  /** Poisons the journal; returns the error for the failing group. */
  #fail(e: unknown, groupLastLsn: number): ShaleDBError {
    const cause = toIoError('write', this.#active.info.path, e);
    const io = cause instanceof IoError ? cause : undefined;
    this.#poison = new IoError(
      io?.step ?? 'write',
      io?.path ?? this.#active.info.path,
      `journal poisoned: ${cause.message}`,
      {
        code: 'JOURNAL_POISONED',
        kind: 'closed',
        errno: io?.errno,
        syscall: io?.syscall,
        cause,
      },
    );
    const poison = this.#poison;
    this.#rejectAll((lsn) => (lsn <= groupLastLsn ? cause : poison));
    return cause;
  }

  #rejectAll(errorFor: (lsn: number) => unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(errorFor(w.lsn));
    this.#wakeCapacity();
  }

  /** Resolves the waiters now durable and any appenders waiting for queue space. */
  #wake(): void {
    const ws = this.#waiters;
    let n = 0;
    while (n < ws.length && ws[n]!.lsn <= this.#durableLsn) n++;
    if (n > 0) {
      const done = ws.splice(0, n);
      for (const w of done) w.resolve();
    }
    this.#wakeCapacity();
  }

  #wakeCapacity(): void {
    if (this.#capacityWaiters.length === 0) return;
    const cw = this.#capacityWaiters;
    this.#capacityWaiters = [];
    for (const r of cw) r();
  }
}
