/**
 * The one background-work pattern: a MessageHandler receives messages and ticks from its MessageDispatcher loop,
 * one at a time; a TaskExecutor runs several dispatchers that share one write-once close result.
 *
 * Lifecycle of every task (as SlateDB's dispatcher): (1) receive a queued message or a due tick and handle it;
 * (2) a handler that throws writes its error to the shared close cell: the first result written wins and every
 * other task stops too; (3) once the cell is written (by an error or by `shutdown`), the loop stops taking
 * messages; (4) `cleanup` receives the undelivered messages and the close result, so it can fail or finish them;
 * (5) `shutdown()` resolves only after every task's cleanup has returned.
 *
 * Invariants: a handler never runs two messages at once; ticks do not pile up (at most one pending per ticker)
 * and keep a fixed rate (handling time does not delay the next tick);
 * no message is dropped without reaching `cleanup`; timers come only from the injected Clock.
 * Concurrency: single event loop; `send` is synchronous and may be called from any task.
 */
import { assert } from './assert.js';
import type { Clock } from './clock.js';
import { closedError, type ShaleDBError, toShaleDBError } from './errors.js';
import type { Rand } from './random.js';

/** A periodic message. */
export interface Ticker<M> {
  /** Period in ms (> 0). */
  readonly intervalMs: number;
  /** Each period is shortened by a random amount up to this (default 0). */
  readonly jitterMs?: number;
  /** Makes the message delivered at each tick. */
  readonly message: () => M;
}

/** How a group of tasks ended: cleanly, or with the first error. */
export type CloseResult = { readonly ok: true } | { readonly ok: false; readonly error: ShaleDBError };

/** What a background task implements. */
export interface MessageHandler<M> {
  /** Tickers, read once when the task starts. */
  tickers?(): readonly Ticker<M>[];
  /** Handles one message. Throwing closes every task in the executor with this error (first error wins). */
  handle(message: M): Promise<void> | void;
  /** Runs once after the loop stops, with the messages never handled and the executor's close result. */
  cleanup?(pending: M[], result: CloseResult): Promise<void> | void;
}

/** A result cell that can be written once; later writes are ignored. */
export class WatchableOnceCell<T> {
  #value: T | undefined;
  #set = false;
  #waiters: Array<(v: T) => void> = [];

  /** Writes the value if none was written yet; returns true when this call wrote it. */
  write(value: T): boolean {
    if (this.#set) return false;
    this.#set = true;
    this.#value = value;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(value);
    return true;
  }

  /** The value, once written. */
  read(): T | undefined {
    return this.#value;
  }

  get isSet(): boolean {
    return this.#set;
  }

  /** Resolves with the value once written. */
  wait(): Promise<T> {
    if (this.#set) return Promise.resolve(this.#value as T);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Registers a synchronous callback run when the value is written (at once if already written). */
  onWrite(cb: (v: T) => void): void {
    if (this.#set) cb(this.#value as T);
    else this.#waiters.push(cb);
  }
}

interface TickState<M> {
  readonly ticker: Ticker<M>;
  dueMs: number;
}

/** Runs one handler: a queue, tickers and a loop. Create through {@link TaskExecutor.spawn}. */
export class MessageDispatcher<M> {
  readonly name: string;
  readonly #handler: MessageHandler<M>;
  readonly #clock: Clock;
  readonly #rand: Rand | undefined;
  readonly #cell: WatchableOnceCell<CloseResult>;
  #queue: M[] = [];
  #queueHead = 0;
  #wake: (() => void) | undefined;
  #ticks: TickState<M>[] = [];
  /** One-shot delayed messages (sendAfter). */
  #timed: Array<{ readonly dueMs: number; readonly message: M }> = [];
  readonly #done: Promise<void>;

  /** @internal */
  constructor(
    name: string,
    handler: MessageHandler<M>,
    clock: Clock,
    cell: WatchableOnceCell<CloseResult>,
    rand?: Rand,
  ) {
    this.name = name;
    this.#handler = handler;
    this.#clock = clock;
    this.#rand = rand;
    this.#cell = cell;
    const now = clock.monotonicMs();
    for (const t of handler.tickers?.() ?? []) {
      assert(t.intervalMs > 0, `${name}: ticker interval must be > 0`);
      this.#ticks.push({ ticker: t, dueMs: now + this.#period(t) });
    }
    cell.onWrite(() => this.#notify());
    this.#done = this.#run();
  }

  /** Queues a message. Throws a closed error once the executor has closed. */
  send(message: M): void {
    const result = this.#cell.read();
    if (result !== undefined) {
      throw result.ok ? closedError('clean', `${this.name} is closed`) : result.error;
    }
    this.#queue.push(message);
    this.#notify();
  }

  /** Number of queued, unhandled messages. */
  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** Resolves when the loop and cleanup have finished. */
  get done(): Promise<void> {
    return this.#done;
  }

  #period(t: Ticker<M>): number {
    const jitter = t.jitterMs ?? 0;
    if (jitter <= 0 || this.#rand === undefined) return t.intervalMs;
    return Math.max(1, t.intervalMs - this.#rand.nextInt(Math.min(jitter, t.intervalMs)));
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #takeQueued(): M | undefined {
    if (this.#queueHead >= this.#queue.length) return undefined;
    const m = this.#queue[this.#queueHead++]!;
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    return m;
  }

  /**
   * Queues `message` to be handled once `delayMs` has passed (a one-shot timer owned by the dispatcher, so it is
   * cancelled by close like everything else). Throws a closed error once the executor has closed.
   */
  sendAfter(message: M, delayMs: number): void {
    const result = this.#cell.read();
    if (result !== undefined) {
      throw result.ok ? closedError('clean', `${this.name} is closed`) : result.error;
    }
    this.#timed.push({ dueMs: this.#clock.monotonicMs() + Math.max(0, delayMs), message });
    this.#notify();
  }

  #takeDueTick(): M | undefined {
    const now = this.#clock.monotonicMs();
    for (let i = 0; i < this.#timed.length; i++) {
      const t = this.#timed[i]!;
      if (t.dueMs <= now) {
        this.#timed.splice(i, 1);
        return t.message;
      }
    }
    for (const t of this.#ticks) {
      if (t.dueMs <= now) {
        // Fixed rate: the next tick is one period after this one was due (not after it ran), so handling time
        // does not stretch the period; after a stall longer than a period, restart from now.
        const next = t.dueMs + this.#period(t.ticker);
        t.dueMs = next > now ? next : now + this.#period(t.ticker);
        return t.ticker.message();
      }
    }
    return undefined;
  }

  async #waitForWork(): Promise<void> {
    const wakeUp = new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    if (this.#ticks.length === 0 && this.#timed.length === 0) {
      await wakeUp;
      return;
    }
    let nextDue = Number.POSITIVE_INFINITY;
    for (const t of this.#ticks) nextDue = Math.min(nextDue, t.dueMs);
    for (const t of this.#timed) nextDue = Math.min(nextDue, t.dueMs);
    const ac = new AbortController();
    const sleep = this.#clock
      .sleep(Math.max(0, nextDue - this.#clock.monotonicMs()), ac.signal)
      .catch(() => {});
    await Promise.race([wakeUp, sleep]);
    ac.abort();
    this.#wake = undefined;
  }

  async #run(): Promise<void> {
    // Start on a later turn so the constructor's caller can finish wiring before the first message.
    await Promise.resolve();
    while (!this.#cell.isSet) {
      const message = this.#takeDueTick() ?? this.#takeQueued();
      if (message === undefined) {
        await this.#waitForWork();
        continue;
      }
      try {
        await this.#handler.handle(message);
      } catch (e) {
        this.#cell.write({ ok: false, error: toShaleDBError(e) });
      }
    }
    const pending = [...this.#timed.map((t) => t.message), ...this.#queue.slice(this.#queueHead)];
    this.#timed = [];
    this.#queue = [];
    this.#queueHead = 0;
    const result = this.#cell.read()!;
    try {
      await this.#handler.cleanup?.(pending, result);
    } catch {
      // Cleanup errors cannot change the close result; the first result already won.
    }
  }
}

/**
 * Owns a group of dispatchers sharing one close result (a database's background tasks).
 */
export class TaskExecutor {
  readonly #clock: Clock;
  readonly #rand: Rand | undefined;
  readonly #cell = new WatchableOnceCell<CloseResult>();
  readonly #tasks: MessageDispatcher<unknown>[] = [];

  constructor(clock: Clock, rand?: Rand) {
    this.#clock = clock;
    this.#rand = rand;
  }

  /** Starts a task. Throws a closed error if the executor has already closed. */
  spawn<M>(name: string, handler: MessageHandler<M>): MessageDispatcher<M> {
    const result = this.#cell.read();
    if (result !== undefined) {
      throw result.ok ? closedError('clean', 'executor is closed') : result.error;
    }
    const d = new MessageDispatcher<M>(name, handler, this.#clock, this.#cell, this.#rand);
    this.#tasks.push(d as MessageDispatcher<unknown>);
    return d;
  }

  /** Records a failure from outside any handler; the first result wins. Returns true if this one won. */
  fail(error: unknown): boolean {
    return this.#cell.write({ ok: false, error: toShaleDBError(error) });
  }

  /** The close result, once any task failed or shutdown began. */
  get closeResult(): CloseResult | undefined {
    return this.#cell.read();
  }

  /** Resolves with the close result once written. */
  whenClosed(): Promise<CloseResult> {
    return this.#cell.wait();
  }

  /** Registers a synchronous callback for the close result. */
  onClose(cb: (r: CloseResult) => void): void {
    this.#cell.onWrite(cb);
  }

  /** Closes every task (cleanly, unless an error already won) and waits for every cleanup to finish. */
  async shutdown(): Promise<CloseResult> {
    this.#cell.write({ ok: true });
    await Promise.all(this.#tasks.map((t) => t.done));
    return this.#cell.read()!;
  }
}
