/**
 * GarbageCollector: removes a database's obsolete objects (old manifests, WAL SSTs below the replay point,
 * unreferenced compacted SSTs, old compactions files) exactly as SlateDB 0.12.1's collector does, so the two can
 * share a database (docs/gc.md). Runs one pass on demand (`runOnce`, optionally as a dry run) or in the background
 * with one ticker per configured resource (`start`/`stop`).
 *
 * Invariants: before each resource's task, expired checkpoints are removed from the latest manifest (unfenced
 * CAS, epochs carried forward); if that fails the task is skipped; a task that cannot read what it needs deletes
 * nothing; a dry run never writes or deletes; tasks never overlap (one runs at a time); task errors are reported
 * and counted, never thrown, so they never close a database the collector is embedded in.
 * Concurrency: safe beside writers, compactors, readers and other collectors (SlateDB's included) on the same
 * database; `runOnce` may be called while the background tickers run (the calls queue behind each other).
 */

import type { ObjectStore } from '../object-store/object-store.js';
import type { ResolvedGcDirectoryOptions, ResolvedGcOptions } from '../store/settings.js';
import { assert } from '../util/assert.js';
import type { Clock } from '../util/clock.js';
import { type MessageDispatcher, TaskExecutor } from '../util/dispatcher.js';
import { toShaleDBError } from '../util/errors.js';
import type { Rand } from '../util/random.js';
import { expireCheckpoints } from './checkpoint-expiry.js';
import { planCompactedGc } from './compacted-gc.js';
import { planCompactionsGc } from './compactions-gc.js';
import {
  emptyGcStats,
  GC_RESOURCES,
  type GcPassReport,
  type GcResource,
  type GcResourceReport,
  type GcStats,
} from './gc-report.js';
import { GcStore } from './gc-store.js';
import type { GcPlan, GcTaskInput } from './gc-task.js';
import { confirmManifestGarbage, planManifestGc } from './manifest-gc.js';
import { planWalGc } from './wal-gc.js';

/** How a collector is built. */
export interface GarbageCollectorConfig {
  readonly store: ObjectStore;
  /** The database root, normalized (db/paths.ts normalizeRoot). */
  readonly root: string;
  /** Per-resource interval and minimum age; a null resource is never collected. */
  readonly options: ResolvedGcOptions;
  readonly clock: Clock;
  readonly rand?: Rand;
  /** Called with every task's report (background and `runOnce`), e.g. to log it. */
  readonly onReport?: (report: GcResourceReport) => void;
  /** A store the collector owns and closes in `close()`. */
  readonly ownedStore?: ObjectStore;
}

/** Options of one pass or task. */
export interface GcRunOptions {
  /** Compute and report the deletions without deleting or rewriting anything. */
  readonly dryRun?: boolean;
}

const PLANNERS: Record<GcResource, (input: GcTaskInput) => Promise<GcPlan>> = {
  manifest: planManifestGc,
  wal: planWalGc,
  compacted: planCompactedGc,
  compactions: planCompactionsGc,
};

/** A garbage collector for one database. */
export class GarbageCollector {
  readonly gcStore: GcStore;
  readonly options: ResolvedGcOptions;
  readonly #clock: Clock;
  readonly #rand: Rand | undefined;
  readonly #onReport: ((report: GcResourceReport) => void) | undefined;
  readonly #ownedStore: ObjectStore | undefined;
  readonly #stats: GcStats = emptyGcStats();
  /** Tail of the queue that keeps tasks from overlapping. */
  #queue: Promise<unknown> = Promise.resolve();
  #executor: TaskExecutor | undefined;
  #stopping: Promise<void> | undefined;

  constructor(config: GarbageCollectorConfig) {
    this.gcStore = new GcStore(config.store, config.root);
    this.options = config.options;
    this.#clock = config.clock;
    this.#rand = config.rand;
    this.#onReport = config.onReport;
    this.#ownedStore = config.ownedStore;
  }

  /** The resources this collector is configured for, in run order. */
  get resources(): GcResource[] {
    return GC_RESOURCES.filter((r) => this.options[r] !== null);
  }

  /** Running totals (a copy). */
  get stats(): GcStats {
    return { ...this.#stats, deleted: { ...this.#stats.deleted } };
  }

  /** True while background collection runs. */
  get running(): boolean {
    return this.#executor !== undefined && this.#stopping === undefined;
  }

  /** Runs every configured resource once, in 0.12.1's order (manifest, wal, compacted, compactions). */
  async runOnce(options: GcRunOptions = {}): Promise<GcPassReport> {
    const startedAtMs = this.#clock.nowMs();
    const resources: GcResourceReport[] = [];
    for (const r of this.resources) resources.push(await this.runResource(r, options));
    this.#stats.passes++;
    return { dryRun: options.dryRun === true, startedAtMs, finishedAtMs: this.#clock.nowMs(), resources };
  }

  /**
   * Runs one resource's task (after removing expired checkpoints). Failures are in the report; it rejects only
   * when the resource is not configured (a caller bug).
   */
  async runResource(resource: GcResource, options: GcRunOptions = {}): Promise<GcResourceReport> {
    const dir = this.options[resource];
    assert(dir !== null, () => `garbage collection of ${resource} is not configured`);
    const run = this.#queue.then(() => this.#runTask(resource, dir, options.dryRun === true));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #runTask(
    resource: GcResource,
    dir: ResolvedGcDirectoryOptions,
    dryRun: boolean,
  ): Promise<GcResourceReport> {
    let expiredCheckpoints = 0;
    let report: GcResourceReport;
    try {
      const expiry = await expireCheckpoints(this.gcStore, this.#clock.nowMs(), dryRun);
      expiredCheckpoints = expiry.removed;
      const input = { gcStore: this.gcStore, nowMs: this.#clock.nowMs(), minAgeMs: dir.minAgeMs, dryRun };
      const plan = await PLANNERS[resource](input);
      report = dryRun
        ? { resource, dryRun, expiredCheckpoints, listed: plan.listed, deleted: plan.paths, failed: [] }
        : await this.#delete(resource, plan, expiredCheckpoints);
      if (plan.cutoffMs !== undefined) report = { ...report, cutoffMs: plan.cutoffMs };
    } catch (e) {
      const error = toShaleDBError(e);
      report = { resource, dryRun, expiredCheckpoints, listed: 0, deleted: [], failed: [], error };
    }
    this.#count(report);
    this.#onReport?.(report);
    return report;
  }

  async #delete(resource: GcResource, plan: GcPlan, expiredCheckpoints: number): Promise<GcResourceReport> {
    const paths =
      resource === 'manifest' ? await confirmManifestGarbage(this.gcStore, plan.paths) : plan.paths;
    const outcome = await this.gcStore.deletePaths(paths);
    return {
      resource,
      dryRun: false,
      expiredCheckpoints,
      listed: plan.listed,
      deleted: outcome.deleted,
      failed: outcome.failed,
    };
  }

  #count(report: GcResourceReport): void {
    const s = this.#stats;
    s.tasks++;
    if (report.error !== undefined) {
      s.failedTasks++;
      s.lastError = report.error;
    }
    if (report.dryRun) return;
    s.deleted[report.resource] += report.deleted.length;
    s.failedDeletes += report.failed.length;
    s.expiredCheckpointsRemoved += report.expiredCheckpoints;
  }

  /**
   * Starts background collection: each configured resource runs at once (as SlateDB's tickers fire first at
   * start) and then every `intervalMs`. Idempotent while running.
   */
  start(): void {
    if (this.#executor !== undefined) {
      assert(this.#stopping === undefined, 'a stopped garbage collector cannot be restarted');
      return;
    }
    const executor = new TaskExecutor(this.#clock, this.#rand);
    const dispatcher: MessageDispatcher<GcResource> = executor.spawn<GcResource>('garbage-collector', {
      tickers: () =>
        this.resources.map((r) => ({ intervalMs: this.options[r]!.intervalMs, message: () => r })),
      handle: async (resource) => {
        await this.runResource(resource);
      },
    });
    for (const r of this.resources) dispatcher.send(r);
    this.#executor = executor;
  }

  /** Stops background collection after the task in progress finishes (drain). Idempotent. */
  stop(): Promise<void> {
    if (this.#executor === undefined) return Promise.resolve();
    this.#stopping ??= this.#executor.shutdown().then(async () => {
      await this.#queue;
    });
    return this.#stopping;
  }

  /** Stops background collection (draining) and closes the store if the collector owns it. Idempotent. */
  async close(): Promise<void> {
    await this.stop();
    await this.#queue;
    await this.#ownedStore?.close();
  }
}
