/**
 * BatchLane: durable write/delete/copy batches on a local disk, executed strictly in order, with flushes shared
 * within a group (one data flush per file, one fsync per directory; see batch-group.ts). Queued batches wait in
 * a bounded queue: submitters wait for room (backpressure). The background task starts on the first submit
 * and `close()` drains every queued batch before it resolves.
 *
 * Invariants: batches are applied in submission order and the ops of a batch in their order; a batch resolves
 * only once all its ops are durable, or rejects with a BatchError (failed index, completed count, cause).
 * Batches that touch a common path never share a group, so each sees the one before it complete. Bad input is
 * an 'invalid' error before anything is queued.
 * Concurrency: `submit` may be called concurrently; groups run one at a time on a dispatcher task.
 */
import { type Clock, systemClock } from '../util/clock.js';
import { type MessageDispatcher, TaskExecutor } from '../util/dispatcher.js';
import { closedError, invalidError } from '../util/errors.js';
import { type Rand, systemRand } from '../util/random.js';
import { type BatchLaneStats, type GroupContext, runGroup } from './batch-group.js';
import {
  BatchError,
  type BatchOp,
  type BatchResult,
  bytesOf,
  pathsOf,
  validateBatch,
  type WriteMode,
} from './batch-ops.js';
import { type DurabilityInForce, type DurabilityMethod, describeDurability } from './durability.js';
import type { FileSystem } from './file-system.js';
import { nodeFileSystem } from './node-file-system.js';

/** Options for {@link BatchLane}. */
export interface BatchLaneOptions {
  readonly fs?: FileSystem;
  /** Default 'auto'. 'none' is UNSAFE. */
  readonly durability?: DurabilityMethod;
  /** `mkdir -p` missing parents of written files (durably). Default false. */
  readonly createParents?: boolean;
  /** Most batches waiting in the queue. Default 64. */
  readonly maxQueuedBatches?: number;
  /** Most write bytes waiting in the queue (one larger batch may still enter an empty queue). Default 64 MiB. */
  readonly maxQueuedBytes?: number;
  /** Most ops in one group. Default 128. */
  readonly maxGroupOps?: number;
  /** Most write bytes in one group. Default 16 MiB. */
  readonly maxGroupBytes?: number;
  readonly rand?: Rand;
  readonly clock?: Clock;
}

interface Queued {
  readonly ops: readonly BatchOp[];
  readonly bytes: number;
  readonly resolve: (r: BatchResult) => void;
  readonly reject: (e: unknown) => void;
}

const MIB = 1 << 20;

/** The batch lane. */
export class BatchLane {
  /** The durability method in force. */
  readonly durability: DurabilityInForce;
  readonly stats: BatchLaneStats = { groups: 0, batches: 0, ops: 0, fileFlushes: 0, dirSyncs: 0 };
  readonly #ctx: GroupContext;
  readonly #clock: Clock;
  readonly #limits: { batches: number; bytes: number; groupOps: number; groupBytes: number };
  #queue: Queued[] = [];
  #queuedBytes = 0;
  /** Submitted batches waiting for room in the queue, in submission order. */
  #waiting: Queued[] = [];
  #idleWaiters: Array<() => void> = [];
  #running = false;
  #executor: TaskExecutor | undefined;
  #task: MessageDispatcher<'run'> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: BatchLaneOptions = {}) {
    const fs = options.fs ?? nodeFileSystem;
    this.durability = describeDurability(options.durability ?? 'auto', fs);
    this.#clock = options.clock ?? systemClock;
    this.#ctx = {
      fs,
      method: this.durability.method,
      rand: options.rand ?? systemRand,
      createParents: options.createParents === true,
      stats: this.stats,
    };
    const limit = (name: string, v: number | undefined, dflt: number): number => {
      const x = v ?? dflt;
      if (!Number.isSafeInteger(x) || x < 1) {
        throw invalidError('INVALID_SETTING', `batch lane ${name} must be a positive integer, got ${x}`);
      }
      return x;
    };
    this.#limits = {
      batches: limit('maxQueuedBatches', options.maxQueuedBatches, 64),
      bytes: limit('maxQueuedBytes', options.maxQueuedBytes, 64 * MIB),
      groupOps: limit('maxGroupOps', options.maxGroupOps, 128),
      groupBytes: limit('maxGroupBytes', options.maxGroupBytes, 16 * MIB),
    };
  }

  /** Batches in the bounded queue (not counting the group being executed). */
  get queued(): number {
    return this.#queue.length;
  }

  /** Submitted batches waiting for room in the queue (backpressure). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Starts a chainable batch. */
  batch(): BatchBuilder {
    return new BatchBuilder(this);
  }

  /**
   * Queues a batch and resolves once every op is durable. Rejects with a BatchError naming the failed op, or
   * with an 'invalid' error (nothing queued) or a 'closed' one.
   */
  submit(ops: readonly BatchOp[]): Promise<BatchResult> {
    try {
      validateBatch(ops);
      this.#checkOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    if (ops.length === 0) return Promise.resolve({ completed: 0 });
    let bytes = 0;
    for (const op of ops) bytes += bytesOf(op);
    return new Promise<BatchResult>((resolve, reject) => {
      const q: Queued = { ops: [...ops], bytes, resolve, reject };
      // Behind anyone already waiting for room, so that batches run in the order they were submitted.
      if (this.#waiting.length > 0 || this.#isFull(bytes)) this.#waiting.push(q);
      else this.#enqueue(q);
    });
  }

  /** Durably writes one file (a one-op batch). */
  async write(
    path: string,
    data: Uint8Array | readonly Uint8Array[],
    mode: WriteMode = 'replace',
  ): Promise<void> {
    await this.#single({ op: 'write', path, data, mode });
  }

  /** Durably deletes one file (missing is fine). */
  async delete(path: string): Promise<void> {
    await this.#single({ op: 'delete', path });
  }

  /** Durably copies one file. */
  async copy(from: string, to: string, mode: WriteMode = 'replace'): Promise<void> {
    await this.#single({ op: 'copy', from, to, mode });
  }

  /** Stops taking batches, runs every queued one, then stops the task. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    while (this.#running || this.#queue.length > 0 || this.#waiting.length > 0) {
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    }
    await this.#executor?.shutdown();
  }

  async #single(op: BatchOp): Promise<void> {
    try {
      await this.submit([op]);
    } catch (e) {
      throw e instanceof BatchError ? e.cause : e;
    }
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw closedError('clean', 'batch lane is closed');
  }

  #isFull(bytes: number): boolean {
    if (this.#queue.length === 0) return false;
    return this.#queue.length >= this.#limits.batches || this.#queuedBytes + bytes > this.#limits.bytes;
  }

  #enqueue(q: Queued): void {
    this.#queue.push(q);
    this.#queuedBytes += q.bytes;
    this.#kick();
  }

  /** Moves waiting batches into the queue, in order, while there is room. */
  #admit(): void {
    while (this.#waiting.length > 0 && !this.#isFull(this.#waiting[0]!.bytes))
      this.#enqueue(this.#waiting.shift()!);
  }

  /** Lazily starts the task and asks it to run. */
  #kick(): void {
    if (this.#executor === undefined) {
      this.#executor = new TaskExecutor(this.#clock);
      this.#task = this.#executor.spawn<'run'>('batch-lane', { handle: () => this.#drain() });
    }
    if (!this.#running) this.#task!.send('run');
    this.#running = true;
  }

  /** The task: runs groups until the queue is empty. */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#takeGroup();
        let results: Array<BatchResult | BatchError>;
        try {
          results = await runGroup(
            this.#ctx,
            group.map((q) => q.ops),
          );
        } catch (e) {
          for (const q of group) q.reject(e);
          continue;
        }
        group.forEach((q, i) => {
          const r = results[i]!;
          if (r instanceof BatchError) q.reject(r);
          else q.resolve(r);
        });
      }
    } finally {
      this.#running = false;
      const idle = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of idle) w();
    }
  }

  /** Takes the next group: batches in order, within the limits, stopping before one that shares a path. */
  #takeGroup(): Queued[] {
    const group: Queued[] = [];
    const touched = new Set<string>();
    let ops = 0;
    let bytes = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      const paths = next.ops.flatMap(pathsOf);
      if (group.length > 0) {
        if (ops + next.ops.length > this.#limits.groupOps || bytes + next.bytes > this.#limits.groupBytes)
          break;
        if (paths.some((p) => touched.has(p))) break;
      }
      this.#queue.shift();
      this.#queuedBytes -= next.bytes;
      group.push(next);
      ops += next.ops.length;
      bytes += next.bytes;
      for (const p of paths) touched.add(p);
    }
    this.#admit();
    return group;
  }
}

/** Builds a batch op by op; `commit()` submits it. */
export class BatchBuilder {
  readonly #lane: BatchLane;
  readonly #ops: BatchOp[] = [];

  constructor(lane: BatchLane) {
    this.#lane = lane;
  }

  /** Number of ops so far. */
  get size(): number {
    return this.#ops.length;
  }

  write(path: string, data: Uint8Array | readonly Uint8Array[], mode: WriteMode = 'replace'): this {
    this.#ops.push({ op: 'write', path, data, mode });
    return this;
  }

  delete(path: string): this {
    this.#ops.push({ op: 'delete', path });
    return this;
  }

  copy(from: string, to: string, mode: WriteMode = 'replace'): this {
    this.#ops.push({ op: 'copy', from, to, mode });
    return this;
  }

  /** Submits the ops built so far (see {@link BatchLane.submit}). */
  commit(): Promise<BatchResult> {
    return this.#lane.submit(this.#ops);
  }
}
