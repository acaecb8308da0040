/**
 * Compactor: SlateDB 0.12.1's compactor protocol (spec §6.6). At start it bumps `compactor_epoch` in the manifest
 * (fencing any older compactor, ours or SlateDB's) and takes the `.compactions` file with the same epoch, turning
 * running compactions back into submitted ones. Every `pollInterval` it refreshes the compactions file then the
 * manifest, asks the scheduler for work, validates and starts submitted compactions. A finished compaction is
 * committed by writing a checkpoint manifest (900 s, pinning the pre-compaction state for readers and GC), then the
 * result manifest (merged with the writer's changes), then the compactions file.
 *
 * Invariants: two compactors never both commit (the older is fenced by the epoch and stops with closed/fenced);
 * the result manifest is only ever written by the epoch holder through CAS; a failed job is marked failed and its
 * outputs are left for GC; the manifest is the source of truth for outputs.
 * Concurrency: one dispatcher task; jobs run concurrently (up to maxConcurrentCompactions) and report by message.
 */

import type { Compactions } from '../format/compactions.js';
import type { Manifest, SortedRun } from '../format/manifest.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { compactionsStore, loadOrCreateCompactions } from '../store/compactions-store.js';
import { COMPACTIONS_EPOCH, COMPACTOR_EPOCH } from '../store/epochs.js';
import { manifestStore } from '../store/manifest-store.js';
import type { ResolvedCompactorOptions } from '../store/settings.js';
import type { TableStore } from '../store/table-store.js';
import { FenceableObject, TransactionalObject, VersionExistsError } from '../store/transactional-object.js';
import type { Clock } from '../util/clock.js';
import type { MessageDispatcher, TaskExecutor } from '../util/dispatcher.js';
import { closedError, ShaleDBError } from '../util/errors.js';
import { Ulid, Uuid } from '../util/ids.js';
import type { Rand } from '../util/random.js';
import { CompactorState } from './compactor-state.js';
import { executeCompaction, type JobStats } from './executor.js';
import { type CompactionScheduler, parseSizeTieredOptions, SizeTieredScheduler } from './scheduler.js';
import type { CompactionWorkerPool } from './worker-pool.js';

/** Lifetime of the checkpoint written before each result manifest (0.12.1: 900 s). */
const CHECKPOINT_LIFETIME_S = 900;

type CompactorMessage =
  | { readonly type: 'poll' }
  | { readonly type: 'finished'; readonly id: Ulid; readonly run: SortedRun; readonly stats: JobStats }
  | { readonly type: 'failed'; readonly id: Ulid; readonly error: unknown };

/** Construction options. */
export interface CompactorOptions {
  readonly root: string;
  readonly store: ObjectStore;
  readonly tableStore: TableStore;
  readonly options: ResolvedCompactorOptions;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly mergeOperator: MergeOperator | undefined;
  readonly executor: TaskExecutor;
  readonly scheduler?: CompactionScheduler;
  /** Compaction workers (absent: compaction runs on this thread; unused when there is a merge operator). */
  readonly workers?: CompactionWorkerPool;
  /** Called after each result manifest is written (lets an embedded writer refresh at once). */
  readonly onManifestWritten?: () => void;
  /** Called when a job finishes (stats). */
  readonly onJobFinished?: (id: Ulid, stats: JobStats) => void;
  /** Called when a job starts running, and when it ends (finished, failed or abandoned at stop). */
  readonly onJobStarted?: (id: Ulid) => void;
  readonly onJobEnded?: (id: Ulid) => void;
  /** Called when a job fails (the compaction is marked failed; the compactor goes on). */
  readonly onJobFailed?: (id: Ulid, error: unknown) => void;
}

/** Totals since start. */
export interface CompactorStats {
  compactionsCompleted: number;
  compactionsFailed: number;
  bytesWritten: number;
}

/** A running compactor. */
export class Compactor {
  readonly #o: CompactorOptions;
  readonly #manifest: FenceableObject<Manifest>;
  readonly #compactions: FenceableObject<Compactions>;
  readonly #state: CompactorState;
  readonly #scheduler: CompactionScheduler;
  readonly #task: MessageDispatcher<CompactorMessage>;
  readonly #abort = new AbortController();
  readonly #jobs = new Set<Promise<void>>();
  readonly stats: CompactorStats = { compactionsCompleted: 0, compactionsFailed: 0, bytesWritten: 0 };

  private constructor(
    o: CompactorOptions,
    manifest: FenceableObject<Manifest>,
    compactions: FenceableObject<Compactions>,
    state: CompactorState,
  ) {
    this.#o = o;
    this.#manifest = manifest;
    this.#compactions = compactions;
    this.#state = state;
    this.#scheduler =
      o.scheduler ?? new SizeTieredScheduler(parseSizeTieredOptions(o.options.schedulerOptions));
    this.#task = o.executor.spawn<CompactorMessage>('compactor', {
      tickers: () => [{ intervalMs: o.options.pollIntervalMs, message: () => ({ type: 'poll' }) as const }],
      handle: (m) => this.#handle(m),
      cleanup: async () => {
        this.#abort.abort(closedError('clean', 'compactor stopped'));
        await Promise.allSettled([...this.#jobs]);
      },
    });
  }

  /** Fences older compactors and starts. */
  static async start(o: CompactorOptions): Promise<Compactor> {
    const loaded = await TransactionalObject.tryLoad(manifestStore(o.store, o.root));
    if (loaded === undefined)
      throw new ShaleDBError('data', 'MANIFEST_MISSING', `no manifest under ${o.root}`);
    // A clone's shared SSTs are compaction inputs read from their parents' roots (outputs go under o.root).
    o.tableStore.setExternalDbs(loaded.value.externalDbs);
    const manifest = await FenceableObject.init(
      loaded,
      COMPACTOR_EPOCH,
      o.clock,
      o.options.manifestUpdateTimeoutMs,
    );
    const cObj = await loadOrCreateCompactions(compactionsStore(o.store, o.root));
    const compactions = await FenceableObject.initWithEpoch(
      cObj,
      COMPACTIONS_EPOCH,
      manifest.localEpoch,
      o.clock,
      o.options.manifestUpdateTimeoutMs,
    );
    const recovered: Compactions = {
      ...compactions.value,
      recentCompactions: compactions.value.recentCompactions.map((c) =>
        c.status === 'running' ? { ...c, status: 'submitted' as const } : c,
      ),
    };
    const state = new CompactorState(manifest.value, recovered);
    const c = new Compactor(o, manifest, compactions, state);
    await c.#writeCompactions();
    return c;
  }

  /** The compactor's epoch. */
  get epoch(): number {
    return this.#manifest.localEpoch;
  }

  /** The local view of the manifest. */
  get manifest(): Manifest {
    return this.#state.manifest;
  }

  /** Triggers a poll now. */
  poll(): void {
    this.#task.send({ type: 'poll' });
  }

  async #handle(m: CompactorMessage): Promise<void> {
    if (m.type === 'poll') {
      await this.#refresh();
    } else if (m.type === 'finished') {
      this.#state.finish(m.id, m.run);
      this.stats.compactionsCompleted++;
      this.stats.bytesWritten += m.stats.bytesWritten;
      await this.#writeManifestSafely();
      await this.#writeCompactions();
      this.#o.onManifestWritten?.();
      this.#o.onJobFinished?.(m.id, m.stats);
    } else {
      if (m.error instanceof ShaleDBError && m.error.kind === 'closed') throw m.error;
      this.#state.setStatus(m.id, 'failed');
      this.stats.compactionsFailed++;
      this.#o.onJobFailed?.(m.id, m.error);
      await this.#writeCompactions();
    }
    await this.#schedule();
    await this.#startSubmitted();
  }

  /** Refreshes the compactions file, then the manifest (always in that order). */
  async #refresh(): Promise<void> {
    this.#state.mergeRemoteCompactions(await this.#compactions.refresh());
    this.#state.mergeRemoteManifest(await this.#manifest.refresh());
  }

  async #schedule(): Promise<void> {
    const max = this.#o.options.maxConcurrentCompactions;
    const capacity = max - this.#state.runningCount();
    if (capacity <= 0) return;
    const plans = this.#scheduler.propose(this.#state.view(), max).slice(0, capacity);
    for (const plan of plans) this.#state.add(Ulid.generate(this.#o.clock.nowMs(), this.#o.rand), plan);
    if (plans.length > 0) await this.#writeCompactions();
  }

  /** Validates and starts every submitted compaction while there is capacity. */
  async #startSubmitted(): Promise<void> {
    const submitted = this.#state.active().filter((j) => j.compaction.status === 'submitted');
    if (submitted.length === 0) return;
    for (const { compaction, destination } of submitted) {
      if (this.#state.runningCount() >= this.#o.options.maxConcurrentCompactions) break;
      const plan = { l0: compaction.spec.l0ViewIds, sortedRuns: compaction.spec.sortedRuns, destination };
      if (!this.#valid(plan)) {
        this.#state.setStatus(compaction.id, 'failed');
        continue;
      }
      this.#state.setStatus(compaction.id, 'running');
      this.#launch(compaction.id, plan);
    }
    await this.#writeCompactions();
  }

  #valid(plan: { l0: readonly Ulid[]; sortedRuns: readonly number[]; destination: number }): boolean {
    const m = this.#state.manifest;
    if (plan.l0.length + plan.sortedRuns.length === 0) return false;
    const l0Ids = new Set(m.l0.map((s) => s.id.toString()));
    const srIds = new Set(m.compacted.map((sr) => sr.id));
    if (!plan.l0.every((id) => l0Ids.has(id.toString())) || !plan.sortedRuns.every((id) => srIds.has(id)))
      return false;
    if (plan.l0.length > 0 && plan.sortedRuns.length === 0) {
      const highest = m.compacted.length === 0 ? 0 : m.compacted[0]!.id + 1;
      if (plan.destination < highest) return false;
    }
    if (
      plan.l0.length > 0 &&
      this.#state
        .active()
        .some((j) => j.compaction.status === 'running' && j.compaction.spec.l0ViewIds.length > 0)
    ) {
      return false;
    }
    try {
      this.#scheduler.validate(this.#state.view(), plan);
    } catch {
      return false;
    }
    return true;
  }

  #launch(id: Ulid, plan: { l0: readonly Ulid[]; sortedRuns: readonly number[]; destination: number }): void {
    const m = this.#state.manifest;
    const l0 = plan.l0.map((v) => m.l0.find((s) => s.id.equals(v))!);
    const sortedRuns = plan.sortedRuns.map((sid) => m.compacted.find((sr) => sr.id === sid)!);
    const last = m.compacted[m.compacted.length - 1];
    const tick =
      m.lastL0ClockTick < BigInt(Number.MIN_SAFE_INTEGER)
        ? Number.MIN_SAFE_INTEGER
        : Number(m.lastL0ClockTick);
    const o = this.#o;
    o.onJobStarted?.(id);
    const job = executeCompaction(
      {
        id,
        destination: plan.destination,
        l0,
        sortedRuns,
        retentionMinSeq: m.recentSnapshotMinSeq,
        isDestLastRun: m.compacted.length === 0 || (last !== undefined && last.id === plan.destination),
        expiryTickMs: tick,
      },
      {
        tableStore: o.tableStore,
        clock: o.clock,
        rand: o.rand,
        mergeOperator: o.mergeOperator,
        maxSstSize: o.options.maxSstSize,
        subcompactions: o.options.subcompactions,
        readAheadBytes: 4 * 1024 * 1024,
        uploadChunkBytes: 8 * 1024 * 1024,
        signal: this.#abort.signal,
        ...(o.workers === undefined ? {} : { workers: o.workers }),
      },
    ).then(
      ({ run, stats }) => this.#send({ type: 'finished', id, run, stats }),
      (error: unknown) => this.#send({ type: 'failed', id, error }),
    );
    this.#jobs.add(job);
    void job.finally(() => {
      this.#jobs.delete(job);
      o.onJobEnded?.(id);
    });
  }

  #send(m: CompactorMessage): void {
    try {
      this.#task.send(m);
    } catch {
      // The compactor stopped; the job's outcome no longer matters (outputs are left for GC).
    }
  }

  /** Writes the compactions file, refreshing and retrying on conflict. */
  async #writeCompactions(): Promise<void> {
    for (;;) {
      try {
        await this.#compactions.update(this.#state.toCompactions());
        return;
      } catch (e) {
        if (!(e instanceof VersionExistsError)) throw e;
        this.#state.mergeRemoteCompactions(await this.#compactions.refresh());
      }
    }
  }

  /** Checkpoint manifest, then the result manifest, as 0.12.1 commits a compaction. */
  async #writeManifestSafely(): Promise<void> {
    for (;;) {
      this.#state.mergeRemoteManifest(await this.#manifest.refresh());
      try {
        const nowS = Math.floor(this.#o.clock.nowMs() / 1000);
        const current = this.#manifest.value;
        const checkpoint = {
          id: Uuid.v4(this.#o.rand),
          manifestId: this.#manifest.id + 1,
          expireTimeS: (nowS + CHECKPOINT_LIFETIME_S) >>> 0,
          createTimeS: nowS >>> 0,
        };
        await this.#manifest.update({ ...current, checkpoints: [...current.checkpoints, checkpoint] });
        this.#state.mergeRemoteManifest(this.#manifest.value);
        await this.#manifest.update(this.#state.manifest);
        return;
      } catch (e) {
        if (!(e instanceof VersionExistsError)) throw e;
      }
    }
  }

  /** Stops: no new jobs; running jobs are abandoned (their outputs are orphans for GC). */
  async stop(): Promise<void> {
    this.#abort.abort(closedError('clean', 'compactor stopped'));
    await Promise.allSettled([...this.#jobs]);
  }
}
