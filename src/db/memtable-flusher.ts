/**
 * MemtableFlusher: uploads frozen memtables as L0 SSTs and publishes them in manifests, and polls the manifest
 * (fencing detection, compactor results). One dispatcher task, `memtable-flusher`, as SlateDB 0.12.1's tracker,
 * uploader and manifest writer together.
 *
 * Invariants:
 * - WAL before L0: an upload starts only after every row of its memtable is in a durable WAL SST.
 * - L0 stall: uploads are dispatched only while `l0.length + inFlight < l0MaxSsts`, at most
 *   `l0FlushParallelism` at once.
 * - Publication order: uploads may finish in any order; manifests record them strictly oldest first, and a memtable
 *   leaves the read path in the same synchronous step its SST joins the local L0 list.
 * - Every manifest write is a CAS by the fenced writer; a conflict refreshes, merges (manifest-merge.ts) and retries.
 * Concurrency: messages are handled one at a time; uploads run concurrently outside the handler and report back by
 * message; only the handler changes the local manifest.
 */

import type { CompactedSsTable, Manifest } from '../format/manifest.js';
import type { RowIterator } from '../format/row-iterator.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import type { L0Encoder } from '../store/l0-encoder-pool.js';
import { MIN_WORKER_ENCODE_BYTES } from '../store/l0-encoding.js';
import { mergeRemoteIntoWriter } from '../store/manifest-merge.js';
import { retainedRows } from '../store/retained-rows.js';
import type { ResolvedSettings } from '../store/settings.js';
import type { TableStore } from '../store/table-store.js';
import { type FenceableObject, VersionExistsError } from '../store/transactional-object.js';
import type { Clock } from '../util/clock.js';
import { Deferred } from '../util/deferred.js';
import type { MessageDispatcher, TaskExecutor } from '../util/dispatcher.js';
import { ShaleDBError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import type { Rand } from '../util/random.js';
import type { DbState, ImmutableMemtable } from './db-state.js';
import type { SeqOracle } from './oracle.js';
import { appendSequenceSamples } from './sequence-tracker.js';
import type { SnapshotRegistry } from './snapshot-registry.js';
import type { WalWriter } from './wal-writer.js';

type FlusherMessage =
  | { readonly type: 'frozen' }
  | { readonly type: 'uploaded'; readonly imm: ImmutableMemtable; readonly sst: CompactedSsTable }
  | { readonly type: 'poll'; readonly done?: Deferred<void> }
  | { readonly type: 'write-manifest'; readonly done: Deferred<void> }
  | { readonly type: 'update-manifest'; readonly mutate: ManifestMutation; readonly done: Deferred<void> };

/**
 * A change to the manifest made in the flusher's order (checkpoints): given the local manifest and the id the new
 * version will have, the manifest to write, or undefined for no write. Re-applied after a lost race.
 */
export type ManifestMutation = (local: Manifest, nextId: number) => Manifest | undefined;

/** What the flusher works with. */
export interface FlusherDeps {
  readonly executor: TaskExecutor;
  readonly state: DbState;
  readonly manifest: FenceableObject<Manifest>;
  readonly tableStore: TableStore;
  readonly settings: ResolvedSettings;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly oracle: SeqOracle;
  readonly walWriter: WalWriter | undefined;
  readonly snapshots: SnapshotRegistry;
  readonly mergeOperator: MergeOperator | undefined;
  /** Encodes L0 SSTs in worker threads (those of MIN_WORKER_ENCODE_BYTES or more); undefined: on this thread. */
  readonly l0Encoder?: L0Encoder | undefined;
  /** Aborted when the database closes, to stop upload retries. */
  readonly signal: AbortSignal;
}

/** Errors worth retrying an upload for (the store was unavailable). */
function isRetryable(e: unknown): boolean {
  return e instanceof ShaleDBError && e.kind === 'unavailable';
}

/** The L0 pipeline over a frozen memtable: merge operands, retention, TTL expiry. */
export function l0Rows(
  imm: ImmutableMemtable,
  retentionMinSeq: number,
  op: MergeOperator | undefined,
): RowIterator {
  return retainedRows(imm.table.iterator(), {
    mergeOperator: op,
    retentionMinSeq,
    filterTombstones: false,
    expiryTickMs: imm.table.lastTick,
  });
}

/** Uploads memtables to L0 and keeps the manifest current. */
export class MemtableFlusher {
  readonly #d: FlusherDeps;
  readonly #task: MessageDispatcher<FlusherMessage>;
  /** Registered and not yet published, oldest first. */
  #order: ImmutableMemtable[] = [];
  /** Registered, not yet dispatched, oldest first. */
  #queued: ImmutableMemtable[] = [];
  #inFlight = 0;
  /** The last sequence-tracker sample time this writer accepted (0.12.1 keeps it in its in-memory tracker). */
  #trackerLastRecordedS: bigint | undefined;
  readonly #done = new Map<ImmutableMemtable, CompactedSsTable>();

  constructor(deps: FlusherDeps) {
    this.#d = deps;
    this.#task = deps.executor.spawn<FlusherMessage>('memtable-flusher', {
      tickers: () => [
        { intervalMs: deps.settings.manifestPollIntervalMs, message: () => ({ type: 'poll' }) as const },
      ],
      handle: (m) => this.#handle(m),
      cleanup: (pending, result) => {
        const err = result.ok ? new ShaleDBError('closed', 'CLOSED', 'database closed') : result.error;
        for (const m of pending) {
          if (m.type === 'write-manifest' || m.type === 'poll' || m.type === 'update-manifest')
            m.done?.reject(err);
        }
        for (const imm of this.#order) imm.uploaded.reject(err);
      },
    });
  }

  /** Registers a frozen memtable for upload. */
  notifyFrozen(imm: ImmutableMemtable): void {
    this.#order.push(imm);
    this.#queued.push(imm);
    this.#task.send({ type: 'frozen' });
  }

  /** Writes the current local manifest as a new version (close does this, as 0.12.1 does). */
  writeManifest(): Promise<void> {
    const done = new Deferred<void>();
    this.#task.send({ type: 'write-manifest', done });
    return done.promise;
  }

  /** Applies `mutate` to the local manifest and writes the result as the next version (checkpoints). */
  updateManifest(mutate: ManifestMutation): Promise<void> {
    const done = new Deferred<void>();
    this.#task.send({ type: 'update-manifest', mutate, done });
    return done.promise;
  }

  /** Refreshes the manifest now (merging remote changes); fails if fenced. */
  poll(): Promise<void> {
    const done = new Deferred<void>();
    this.#task.send({ type: 'poll', done });
    return done.promise;
  }

  /** Memtables registered and not yet published. */
  get pendingCount(): number {
    return this.#order.length;
  }

  async #handle(m: FlusherMessage): Promise<void> {
    switch (m.type) {
      case 'frozen':
        break;
      case 'uploaded':
        this.#done.set(m.imm, m.sst);
        await this.#publishReady();
        break;
      case 'poll':
        try {
          await this.#refresh();
          m.done?.resolve();
        } catch (e) {
          m.done?.reject(e);
          throw e;
        }
        break;
      case 'update-manifest': {
        // A mutation that refuses (a missing checkpoint) fails the caller only, never the database.
        let refused: unknown;
        const mutate: ManifestMutation = (local, nextId) => {
          try {
            return m.mutate(local, nextId);
          } catch (e) {
            refused = e;
            return undefined;
          }
        };
        try {
          await this.#writeLocalManifest(mutate);
        } catch (e) {
          m.done.reject(e);
          throw e;
        }
        if (refused === undefined) m.done.resolve();
        else m.done.reject(refused);
        break;
      }
      case 'write-manifest':
        try {
          await this.#writeLocalManifest();
          m.done.resolve();
        } catch (e) {
          m.done.reject(e);
          throw e;
        }
        break;
    }
    this.#dispatch();
  }

  #dispatch(): void {
    const s = this.#d.settings;
    while (
      this.#queued.length > 0 &&
      this.#inFlight < s.l0FlushParallelism &&
      this.#d.state.manifest.l0.length + this.#inFlight < s.l0MaxSsts
    ) {
      const imm = this.#queued.shift()!;
      this.#inFlight++;
      void this.#upload(imm);
    }
  }

  async #upload(imm: ImmutableMemtable): Promise<void> {
    const d = this.#d;
    try {
      const lastSeq = imm.table.lastSeq ?? 0;
      if (d.walWriter !== undefined && d.oracle.durableSeq < lastSeq) await d.walWriter.flush();
      const id = Ulid.generate(d.clock.nowMs(), d.rand);
      for (;;) {
        d.signal.throwIfAborted();
        try {
          const retentionMinSeq = Math.min(
            d.oracle.durableSeq,
            d.snapshots.minSeq() ?? Number.MAX_SAFE_INTEGER,
          );
          const sizeHint = imm.table.sizeBytes + imm.table.entryCount * 8;
          const sst = await d.tableStore.writeL0(
            id,
            l0Rows(imm, retentionMinSeq, d.mergeOperator),
            sizeHint,
            sizeHint >= MIN_WORKER_ENCODE_BYTES ? d.l0Encoder : undefined,
          );
          this.#task.send({ type: 'uploaded', imm, sst });
          return;
        } catch (e) {
          if (!isRetryable(e)) throw e;
          await d.clock.sleep(d.settings.manifestPollIntervalMs, d.signal);
        }
      }
    } catch (e) {
      if (!d.signal.aborted) d.executor.fail(e);
    }
  }

  /** Publishes every finished upload at the head of the order, as one manifest update. */
  async #publishReady(): Promise<void> {
    const batch: Array<{ imm: ImmutableMemtable; sst: CompactedSsTable }> = [];
    while (this.#order.length > 0 && this.#done.has(this.#order[0]!)) {
      const imm = this.#order.shift()!;
      batch.push({ imm, sst: this.#done.get(imm)! });
      this.#done.delete(imm);
    }
    if (batch.length === 0) return;
    const d = this.#d;
    let m = d.state.manifest;
    for (const { imm, sst } of batch) {
      const tick = BigInt(imm.table.lastTick);
      const lastSeq = imm.table.lastSeq ?? m.lastL0Seq;
      const tracker = appendSequenceSamples(
        m.sequenceTracker,
        imm.table.sequenceSamples,
        this.#trackerLastRecordedS,
      );
      this.#trackerLastRecordedS = tracker.lastRecordedS;
      m = {
        ...m,
        l0: [sst, ...m.l0],
        replayAfterWalId: imm.recentFlushedWalId,
        lastL0ClockTick: tick > m.lastL0ClockTick ? tick : m.lastL0ClockTick,
        lastL0Seq: Math.max(m.lastL0Seq, lastSeq),
        recentSnapshotMinSeq: d.snapshots.minSeq() ?? lastSeq,
        sequenceTracker: tracker.blob,
      };
    }
    // The memtables leave the read path exactly as their SSTs join it.
    d.state.setManifest(m);
    d.state.removeOldestImms(batch.length);
    await this.#writeLocalManifest();
    for (const { imm } of batch) {
      this.#inFlight--;
      if (d.walWriter === undefined) d.oracle.advanceDurable(imm.table.lastSeq ?? 0);
      imm.uploaded.resolve();
    }
  }

  /** Writes the local manifest (changed by `mutate`) as the next version, merging remote changes on conflict. */
  async #writeLocalManifest(mutate?: ManifestMutation): Promise<void> {
    const d = this.#d;
    for (;;) {
      let local = this.#withWalIds(d.state.manifest);
      if (mutate !== undefined) {
        const changed = mutate(local, d.manifest.id + 1);
        if (changed === undefined) return;
        local = changed;
      }
      d.state.setManifest(local);
      try {
        await d.manifest.update(local);
        return;
      } catch (e) {
        if (!(e instanceof VersionExistsError)) throw e;
        await this.#refresh();
      }
    }
  }

  #withWalIds(m: Manifest): Manifest {
    const w = this.#d.walWriter;
    if (w === undefined) return m;
    const seen = w.nextWalId - 1;
    return seen > m.walIdLastSeen ? { ...m, walIdLastSeen: seen } : m;
  }

  async #refresh(): Promise<void> {
    const remote = await this.#d.manifest.refresh();
    this.#d.state.setManifest(mergeRemoteIntoWriter(remote, this.#d.state.manifest));
  }
}
