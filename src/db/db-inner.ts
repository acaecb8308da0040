/**
 * DbInner: the engine behind Db: the write path (seq, createTs, WAL buffer, memtable, freeze, backpressure), the
 * read path over DbState views, snapshots, flush and close. Background work lives in the WAL writer and memtable
 * flusher tasks; the first background error closes the database (TaskExecutor).
 *
 * Invariants: a write's seq assignment, WAL append and memtable insert happen in one synchronous stretch, so WAL
 * order = seq order = visibility order; `awaitDurable` resolves only after the WAL SST holding the write exists (or,
 * without a WAL, after its memtable's L0 is in a published manifest); once closed or fenced every call fails with a
 * closed error carrying the reason.
 * Concurrency: single event loop; every await in a write happens before its seq is taken or after its rows are in.
 */

import type { BlockCache } from '../format/block-cache.js';
import type { Manifest } from '../format/manifest.js';
import type { RowEntry } from '../format/row.js';
import type { KeyRange, MaybePromise } from '../format/row-iterator.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import type { ResolvedSettings } from '../store/settings.js';
import type { ScanIoOptions } from '../store/sorted-run.js';
import type { TableStore } from '../store/table-store.js';
import type { FenceableObject } from '../store/transactional-object.js';
import type { Clock } from '../util/clock.js';
import type { TaskExecutor } from '../util/dispatcher.js';
import { closedError, ShaleDBError } from '../util/errors.js';
import type { Rand } from '../util/random.js';
import { StarvationGuard, yieldToEventLoop } from '../util/time-slice.js';
import { batchRows } from './batch-rows.js';
import { DbIterator } from './db-iterator.js';
import type { DbState } from './db-state.js';
import type { DbStats } from './db-stats.js';
import type { ManifestMutation, MemtableFlusher } from './memtable-flusher.js';
import type { MonotonicClock } from './mono-clock.js';
import type { Observability } from './observability.js';
import type { WriteHandle } from './options.js';
import type { SeqOracle } from './oracle.js';
import { getRow, scanSources } from './read-path.js';
import type { SnapshotRegistry } from './snapshot-registry.js';
import { TransactionManager, type TxnState } from './transaction-manager.js';
import type { WalWriter } from './wal-writer.js';
import type { BatchOp } from './write-batch.js';

/** Freeze the memtable after this many WAL SSTs even if it is small (0.12.1's constant). */
export const MAX_WAL_FLUSHES_BEFORE_L0_FLUSH = 4096;

/** Longest a writer waits on backpressure before re-checking. */
const BACKPRESSURE_WAIT_MS = 30_000;

/** Everything DbInner works with. */
export interface DbInnerDeps {
  readonly settings: ResolvedSettings;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly executor: TaskExecutor;
  readonly state: DbState;
  readonly oracle: SeqOracle;
  readonly monoClock: MonotonicClock;
  readonly tableStore: TableStore;
  readonly walWriter: WalWriter | undefined;
  readonly flusher: MemtableFlusher;
  readonly manifest: FenceableObject<Manifest>;
  readonly snapshots: SnapshotRegistry;
  readonly mergeOperator: MergeOperator | undefined;
  /** The operator reads resolve merges with (the same one, counted for metrics); default `mergeOperator`. */
  readonly readMergeOperator?: MergeOperator | undefined;
  readonly abort: AbortController;
  /** Extra shutdown work (compactor, GC, owned store), run after the writer's tasks stop. */
  readonly onClose: () => Promise<void>;
  /** Metrics (absent in tests that build the engine by hand). */
  readonly stats?: DbStats;
  /** The recorder and logger (absent in tests that build the engine by hand). */
  readonly observability?: Observability;
}

/** What Db.status reports, read in one go. */
export interface DbProgress {
  readonly durableSeq: number;
  readonly lastCommittedSeq: number;
  readonly manifestId: number;
  readonly manifest: Manifest;
  readonly immutableMemtables: number;
  readonly nextWalId: number;
}

/** Visible-seq cap options of a read. */
export interface SeqCap {
  readonly remote: boolean;
  readonly dirty: boolean;
  readonly snapshotSeq?: number;
  /** Point reads: put data blocks read from the store into the block cache (default true). */
  readonly cacheBlocks?: boolean;
  /** Block IO options of a scan. */
  readonly io?: ScanIoOptions;
}

/** The engine. */
export class DbInner {
  readonly #d: DbInnerDeps;
  /** Live transactions and the recent commits they may conflict with. */
  readonly txns = new TransactionManager();
  #closing: Promise<void> | undefined;
  #closedClean = false;
  /** The wait every writer held by backpressure shares (see #backpressure). */
  #pressureWait: Promise<void> | undefined;
  /** Makes a loop of non-durable writes let timers and IO (the WAL flush) run every few ms. */
  readonly #starvation = new StarvationGuard();

  constructor(deps: DbInnerDeps) {
    this.#d = deps;
  }

  /** Throws the closed error if the database is closed, closing, or failed. */
  checkOpen(): void {
    const r = this.#d.executor.closeResult;
    if (r !== undefined && !r.ok) throw asClosed(r.error);
    if (this.#closing !== undefined || r !== undefined) throw closedError('clean', 'database is closed');
  }

  /**
   * Applies a batch (ops validated); returns its handle (seq and the createTs on its rows), once the write is
   * durable if asked. With `txn`, the batch is that transaction's commit: it fails with TRANSACTION_CONFLICT
   * (writing nothing) if the transaction conflicts.
   */
  write(ops: BatchOp[], awaitDurable: boolean, txn?: TxnState): MaybePromise<WriteHandle> {
    this.checkOpen();
    const pressure = this.#backpressure();
    if (pressure !== undefined) {
      this.#d.stats?.backpressureCount.increment(1);
      return pressure.then(() => this.write(ops, awaitDurable, txn));
    }
    const now = this.#d.monoClock.now();
    if (now instanceof Promise) return now.then(() => this.write(ops, awaitDurable, txn));
    // From here to the end of #apply nothing awaits: the batch is atomic, and so are the conflict check and commit.
    if (txn !== undefined) this.txns.checkCommit(txn);
    const seq = this.#d.oracle.nextSeq();
    this.#d.stats?.writeBatchCount.increment(1);
    this.#d.stats?.writeOps.increment(ops.length);
    const rows = batchRows(ops, seq, now, this.#d.settings.defaultTtlMs, this.#d.mergeOperator);
    const durable = this.#apply(rows, seq, now);
    if (txn !== undefined || this.txns.activeCount > 0) this.txns.committed(txn, rows, seq);
    const handle: WriteHandle = { seq: BigInt(seq), createTs: now };
    if (!awaitDurable) return this.#starvation.starved() ? yieldToEventLoop().then(() => handle) : handle;
    return durable.then(
      () => handle,
      (e) => Promise.reject(asClosedIfClosing(e)),
    );
  }

  #apply(rows: RowEntry[], seq: number, now: number): Promise<void> {
    const d = this.#d;
    const mt = d.state.memtable;
    let durable: Promise<void>;
    if (d.walWriter !== undefined) {
      durable = rows.length === 1 ? d.walWriter.appendOne(rows[0]!) : d.walWriter.append(rows);
      mt.putAll(rows);
      d.walWriter.maybeTriggerFlush();
    } else {
      mt.putAll(rows);
      durable = d.state.memtableUploaded.promise;
    }
    d.oracle.commit(seq);
    mt.recordSequence(seq, Math.floor(now / 1000));
    this.#maybeFreeze();
    return durable;
  }

  /**
   * Undefined when writes may proceed, else a promise to wait on before re-checking. Every waiting writer shares one
   * wait (one timer, one abort listener), which settles when the oldest flush in the way finishes.
   */
  #backpressure(): Promise<void> | undefined {
    const d = this.#d;
    const unflushed = (d.walWriter?.estimatedBytes ?? 0) + d.state.immBytes;
    if (unflushed < d.settings.maxUnflushedBytes) return undefined;
    if (this.#pressureWait !== undefined) return this.#pressureWait;
    const timeout = new AbortController();
    const onAbort = (): void => timeout.abort(d.abort.signal.reason);
    d.abort.signal.addEventListener('abort', onAbort, { once: true });
    const waits: Promise<unknown>[] = [d.clock.sleep(BACKPRESSURE_WAIT_MS, timeout.signal)];
    if (d.abort.signal.aborted) onAbort();
    const oldest = d.state.imms[d.state.imms.length - 1];
    if (oldest !== undefined) waits.push(oldest.uploaded.promise);
    const wal = d.walWriter?.oldestPending();
    if (wal !== undefined) waits.push(wal);
    if (d.state.imms.length === 0 && d.walWriter !== undefined) void d.walWriter.flush().catch(() => {});
    const settle = (): void => {
      this.#pressureWait = undefined;
      d.abort.signal.removeEventListener('abort', onAbort);
      timeout.abort();
      this.checkOpen();
    };
    this.#pressureWait = Promise.race(waits).then(settle, settle);
    return this.#pressureWait;
  }

  #maybeFreeze(): void {
    const d = this.#d;
    const recent = d.walWriter?.recentFlushedWalId ?? 0;
    const lastFreezeWalId = d.state.imms[0]?.recentFlushedWalId ?? d.state.manifest.replayAfterWalId;
    const big = d.state.memtable.sizeBytes >= d.settings.l0SstSizeBytes;
    if (big || recent - lastFreezeWalId >= MAX_WAL_FLUSHES_BEFORE_L0_FLUSH) this.freezeMemtable();
  }

  /** Freezes the active memtable and queues it for L0 upload; returns its uploaded promise (if any). */
  freezeMemtable(): Promise<void> | undefined {
    const d = this.#d;
    const imm = d.state.freezeMemtable(d.walWriter?.recentFlushedWalId ?? d.state.manifest.replayAfterWalId);
    if (imm === undefined) return undefined;
    d.flusher.notifyFrozen(imm);
    return imm.uploaded.promise;
  }

  /** The highest seq a read with these options may see. */
  maxSeq(cap: SeqCap): number {
    const o = this.#d.oracle;
    let max = cap.dirty ? o.lastSeq : o.lastCommittedSeq;
    if (cap.remote) max = Math.min(max, o.durableSeq);
    if (cap.snapshotSeq !== undefined) max = Math.min(max, cap.snapshotSeq);
    return max;
  }

  /** Point lookup. */
  getRow(key: Uint8Array, cap: SeqCap): MaybePromise<RowEntry | undefined> {
    this.checkOpen();
    this.#d.stats?.getRequests.increment(1);
    return getRow(
      this.#d.state.readView(),
      key,
      this.maxSeq(cap),
      this.#d.readMergeOperator ?? this.#d.mergeOperator,
      cap.cacheBlocks,
    );
  }

  /** A scan iterator (stopping after `cap.limit` key-values when set). */
  scan(
    range: KeyRange,
    cap: SeqCap & { readonly limit?: number | undefined },
    order: 'asc' | 'desc',
  ): DbIterator {
    this.checkOpen();
    this.#d.stats?.scanRequests.increment(1);
    const source = scanSources(this.#d.state.readView(), range, order, cap.io);
    return new DbIterator(source, {
      maxSeq: this.maxSeq(cap),
      mergeOperator: this.#d.readMergeOperator ?? this.#d.mergeOperator,
      order,
      range,
      limit: cap.limit,
    });
  }

  /** flush(): the WAL, or the memtable to L0 (after the WAL). */
  async flush(type: 'wal' | 'memtable'): Promise<void> {
    this.checkOpen();
    const d = this.#d;
    d.stats?.flushRequests.increment(1);
    if (d.walWriter !== undefined) d.stats?.walBufferFlushRequests.increment(1);
    if (d.walWriter !== undefined) await d.walWriter.flush().catch((e) => Promise.reject(asClosed(e)));
    if (type === 'memtable' || d.walWriter === undefined) await this.#flushMemtables();
  }

  /** Freezes the memtable and waits until it and every older immutable memtable are in a published manifest. */
  async #flushMemtables(): Promise<void> {
    const d = this.#d;
    const uploaded = this.freezeMemtable();
    const pending = d.state.imms.map((i) => i.uploaded.promise);
    if (uploaded !== undefined) pending.push(uploaded);
    await Promise.all(pending).catch((e) => Promise.reject(asClosed(e)));
  }

  /**
   * Closes as 0.12.1 does: flush the WAL (the memtable is not flushed to L0) or, with the WAL disabled, flush the
   * memtable to L0 (else acknowledged writes would be lost); write the current manifest again; stop every task.
   * Idempotent; concurrent callers share one close.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const d = this.#d;
    let failure: unknown;
    if (d.executor.closeResult === undefined) {
      try {
        if (d.walWriter !== undefined) await d.walWriter.flush();
        else await this.#flushMemtables();
        await d.flusher.writeManifest();
      } catch (e) {
        failure = e;
      }
    }
    d.abort.abort(closedError('clean', 'database closed'));
    const result = await d.executor.shutdown();
    await d.onClose();
    this.#closedClean = result.ok && failure === undefined;
    if (!result.ok && !(result.error.kind === 'closed')) throw asClosed(result.error);
    if (failure !== undefined && !(failure instanceof ShaleDBError && failure.kind === 'closed'))
      throw failure;
  }

  /**
   * @internal Tests only: stops every task as a crash would, without flushing the WAL or writing a manifest.
   * Writes in the WAL buffer are lost; calls fail as closed/panic afterwards.
   */
  async simulateCrash(): Promise<void> {
    const d = this.#d;
    d.executor.fail(closedError('panic', 'simulated crash'));
    d.abort.abort(closedError('panic', 'simulated crash'));
    this.#closing ??= (async () => {
      await d.executor.shutdown();
      await d.onClose();
    })();
    await this.#closing.catch(() => {});
  }

  /** Why the database closed, once it has. */
  get closeReason(): 'clean' | 'fenced' | 'panic' | undefined {
    const r = this.#d.executor.closeResult;
    if (r === undefined) return this.#closing === undefined ? undefined : 'clean';
    if (r.ok) return 'clean';
    return asClosed(r.error).closeReason;
  }

  /** The newest committed seq (where a new snapshot reads). */
  get lastCommittedSeq(): number {
    return this.#d.oracle.lastCommittedSeq;
  }

  /** Pins the versions visible at `seq` against compaction; returns the release. */
  pinSnapshot(seq: number): () => void {
    return this.#d.snapshots.pin(seq);
  }

  /** The merge operator the database was opened with. */
  get mergeOperator(): MergeOperator | undefined {
    return this.#d.mergeOperator;
  }

  /** The database's randomness (ids). */
  get rand(): Rand {
    return this.#d.rand;
  }

  /** The block cache of the database's SSTs (read-only use: tests and diagnostics). */
  get blockCache(): BlockCache {
    return this.#d.tableStore.blockCache;
  }

  /** The database's clock (checkpoint times). */
  get clock(): Clock {
    return this.#d.clock;
  }

  /** Refreshes the writer's manifest from the latest version (merging remote changes); fails if fenced. */
  pollManifest(): Promise<void> {
    return this.#d.flusher.poll();
  }

  /**
   * Writes the manifest changed by `mutate` as the next version, in order with the writer's own manifest writes
   * (checkpoints); a mutation that throws fails this call only.
   */
  updateManifest(mutate: ManifestMutation): Promise<void> {
    return this.#d.flusher.updateManifest(mutate);
  }

  /** The pinned snapshot seqs (read-only use: tests and diagnostics). */
  get snapshots(): SnapshotRegistry {
    return this.#d.snapshots;
  }

  /**
   * @internal Tests: takes the next seq and puts `rows` (given that seq) into the memtable without committing it,
   * as a write in progress looks to a `dirty` read. Returns the seq.
   */
  insertUncommittedForTest(rows: (seq: number) => RowEntry[]): number {
    const seq = this.#d.oracle.nextSeq();
    this.#d.state.memtable.putAll(rows(seq));
    return seq;
  }

  /** The database's metrics recorder, stats and logger (undefined for an engine built by hand in tests). */
  get observability(): Observability | undefined {
    return this.#d.observability;
  }

  /** The writer's view of the manifest. */
  get manifest(): Manifest {
    return this.#d.state.manifest;
  }

  /** Progress counters (Db.status). */
  progress(): DbProgress {
    const d = this.#d;
    return {
      durableSeq: d.oracle.durableSeq,
      lastCommittedSeq: d.oracle.lastCommittedSeq,
      manifestId: d.manifest.id,
      manifest: d.state.manifest,
      immutableMemtables: d.state.imms.length,
      nextWalId: d.walWriter?.nextWalId ?? 0,
    };
  }

  /**
   * Calls `notify` whenever the durable seq advances, the writer's manifest is replaced, or the database closes: the
   * status watch behind Db.subscribe. It runs synchronously inside the engine's updates, so it must be cheap, must
   * not throw and must not call back into writes (the watch reads the status and defers listeners to a microtask).
   * Called once per database (Db keeps one watch for all its subscribers).
   */
  onStatusChange(notify: () => void): void {
    const d = this.#d;
    d.oracle.onDurable = notify;
    d.state.onManifest = notify;
    d.executor.onClose(notify);
  }

  /** True once close() finished without errors. */
  get closedClean(): boolean {
    return this.#closedClean;
  }
}

/** A background failure as the closed error later calls see. */
export function asClosed(e: unknown): ShaleDBError {
  if (e instanceof ShaleDBError && e.kind === 'closed') return e;
  const msg = e instanceof Error ? e.message : String(e);
  return closedError('panic', `database closed after a background failure: ${msg}`, e);
}

function asClosedIfClosing(e: unknown): unknown {
  return e instanceof ShaleDBError ? (e.kind === 'closed' ? e : asClosed(e)) : asClosed(e);
}
