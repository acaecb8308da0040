/**
 * FaultInjectingObjectStore: a test wrapper that makes chosen calls of the store below it fail, hang or slow down,
 * reproducibly from a seed. It sits anywhere in a test's stack, usually directly above a MemoryObjectStore and
 * below a RetryingObjectStore or the code under test.
 *
 * Fault model (per call, decided before the call reaches the inner store):
 * - `error`: fails with an ObjectStoreError (default reason 'transient'). With `applied: true` the inner call runs
 *   first and the error replaces its result: a write that happened but was reported as failed (the ambiguous case);
 * - `timeout`: hangs for `timeoutMs` on the clock (or until the call's signal aborts), then fails transiently;
 *   `applied: true` again runs the inner call first;
 * - `latency`: waits `latencyMs`, then runs the call normally.
 * Faults come from explicit rules (first matching rule wins; a rule matches by operation, path glob and the index of
 * the call among the calls the rule's operation and path filters select) and, when no rule matches, from per-
 * operation random rates drawn from a seeded Rand. For `list`, the fault applies when the listing starts.
 *
 * Invariants: with the same seed, rules and call sequence, the same calls fail. Injected errors say "injected" in
 * their message. `injected` counts every fault applied.
 * Concurrency: call indexes follow the order calls arrive; concurrent calls each draw once.
 */
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import type { Rand } from '../util/random.js';
import { SeededRand } from '../util/random.js';
import {
  type GetOptions,
  type GetResult,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  ObjectStoreError,
  type ObjectStoreErrorReason,
  type ObjectStoreOperation,
  type PutOptions,
  type PutResult,
  type PutStreamOptions,
} from './object-store.js';
import { PathGlob } from './path-glob.js';

/** What an injected fault does. */
export type FaultKind = 'error' | 'timeout' | 'latency';

/** One fault to apply. */
export interface Fault {
  readonly kind: FaultKind;
  /** For 'error': the reason (default 'transient'). */
  readonly reason?: ObjectStoreErrorReason;
  /** For 'error' and 'timeout': run the inner call first, then fail (the write happened). Default false. */
  readonly applied?: boolean;
  /** For 'timeout': how long to hang (default 1 000 ms). */
  readonly timeoutMs?: number;
  /** For 'latency': the delay (default 50 ms). */
  readonly latencyMs?: number;
}

/** A rule choosing which calls get a fault. */
export interface FaultRule extends Fault {
  /** Operations it applies to (default all). */
  readonly operations?: readonly ObjectStoreOperation[];
  /** Path glob (see path-glob.ts); default any path. For `list` the prefix is matched. */
  readonly path?: string;
  /**
   * Which of the calls selected by `operations` and `path` get the fault, by 0-based index in arrival order:
   * a list of indexes, or a half-open range. Default every selected call.
   */
  readonly calls?: readonly number[] | { readonly from?: number; readonly to?: number };
}

/** Random fault rates for one operation (probabilities in [0, 1], tried in this order). */
export interface FaultRates {
  readonly errorRate?: number;
  readonly timeoutRate?: number;
  readonly latencyRate?: number;
  /** Of the injected errors and timeouts, the fraction applied before failing (default 0.5). */
  readonly appliedFraction?: number;
  readonly latencyMs?: number;
  readonly timeoutMs?: number;
}

/** Options for {@link FaultInjectingObjectStore}. */
export interface FaultInjectingOptions {
  /** Seed for the random rates (ignored when `rand` is given). Print it in the test. */
  readonly seed?: number;
  readonly rand?: Rand;
  readonly clock?: Clock;
  readonly rules?: readonly FaultRule[];
  /** Rates per operation; `default` applies to operations not listed. */
  readonly rates?: Partial<Record<ObjectStoreOperation | 'default', FaultRates>>;
}

interface CompiledRule {
  readonly rule: FaultRule;
  readonly glob: PathGlob | undefined;
  seen: number;
}

/** An ObjectStore that injects faults into calls of another. */
export class FaultInjectingObjectStore implements ObjectStore {
  readonly description: string;
  readonly inner: ObjectStore;
  readonly #rand: Rand;
  readonly #clock: Clock;
  readonly #rules: CompiledRule[];
  readonly #rates: FaultInjectingOptions['rates'];
  /** Faults applied so far, by kind. */
  readonly injected = { error: 0, timeout: 0, latency: 0 };
  /** When false, no fault is injected (to let a test check the final state). */
  enabled = true;

  constructor(inner: ObjectStore, options: FaultInjectingOptions = {}) {
    this.inner = inner;
    this.description = `faulty(${inner.description})`;
    this.#rand = options.rand ?? new SeededRand(options.seed ?? 0);
    this.#clock = options.clock ?? systemClock;
    this.#rules = (options.rules ?? []).map((rule) => ({
      rule,
      glob: rule.path === undefined ? undefined : new PathGlob(rule.path),
      seen: 0,
    }));
    this.#rates = options.rates;
  }

  put(path: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    return this.#run('put', path, options?.signal, () => this.inner.put(path, bytes, options));
  }

  putStream(path: string, chunks: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<PutResult> {
    return this.#run('putStream', path, options?.signal, () => this.inner.putStream(path, chunks, options));
  }

  get(path: string, options?: GetOptions): Promise<GetResult> {
    return this.#run('get', path, options?.signal, () => this.inner.get(path, options));
  }

  head(path: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectMeta> {
    return this.#run('head', path, options?.signal, () => this.inner.head(path, options));
  }

  delete(path: string, options?: { readonly signal?: AbortSignal }): Promise<void> {
    return this.#run('delete', path, options?.signal, () => this.inner.delete(path, options));
  }

  async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    const iterable = await this.#run('list', prefix, options?.signal, async () =>
      this.inner.list(prefix, options),
    );
    yield* iterable;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Picks the fault (if any) for this call. */
  #choose(operation: ObjectStoreOperation, path: string): Fault | undefined {
    if (!this.enabled) return undefined;
    for (const r of this.#rules) {
      if (r.rule.operations !== undefined && !r.rule.operations.includes(operation)) continue;
      if (r.glob !== undefined && !r.glob.matches(path)) continue;
      const index = r.seen++;
      if (selects(r.rule.calls, index)) return r.rule;
    }
    const rates = this.#rates?.[operation] ?? this.#rates?.default;
    if (rates === undefined) return undefined;
    const x = this.#rand.nextFloat();
    const applied = this.#rand.nextFloat() < (rates.appliedFraction ?? 0.5);
    const error = rates.errorRate ?? 0;
    const timeout = rates.timeoutRate ?? 0;
    const latency = rates.latencyRate ?? 0;
    if (x < error) return { kind: 'error', applied };
    if (x < error + timeout) return { kind: 'timeout', applied, timeoutMs: rates.timeoutMs };
    if (x < error + timeout + latency) return { kind: 'latency', latencyMs: rates.latencyMs };
    return undefined;
  }

  async #run<T>(
    operation: ObjectStoreOperation,
    path: string,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const fault = this.#choose(operation, path);
    if (fault === undefined) return call();
    this.injected[fault.kind]++;
    if (fault.kind === 'latency') {
      await this.#clock.sleep(fault.latencyMs ?? 50, signal);
      return call();
    }
    if (fault.applied === true) await call().catch(() => undefined);
    if (fault.kind === 'timeout') {
      const ms = fault.timeoutMs ?? 1_000;
      await this.#clock.sleep(ms, signal);
      throw new ObjectStoreError('transient', operation, path, `injected timeout after ${ms} ms`);
    }
    throw new ObjectStoreError(fault.reason ?? 'transient', operation, path, 'injected error');
  }
}

function selects(calls: FaultRule['calls'], index: number): boolean {
  if (calls === undefined) return true;
  if (Array.isArray(calls)) return calls.includes(index);
  const range = calls as { readonly from?: number; readonly to?: number };
  return index >= (range.from ?? 0) && index < (range.to ?? Number.POSITIVE_INFINITY);
}
