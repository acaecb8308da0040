/**
 * RetryingObjectStore: retries transient failures of the store it wraps, with bounded exponential backoff and
 * jitter (retry-policy.ts) and a per-attempt time limit. It sits directly above a backend store (S3, Azure, GCS,
 * local) and below everything that uses one; `resolveObjectStore` adds it by default. The backends themselves make
 * one request per call (their SDKs' own retries are off), so that retries happen here, where ambiguity is handled.
 *
 * Fault model handled: a call fails with reason 'transient' (timeouts, throttling, 5xx, resets) or hangs past
 * `attemptTimeoutMs`. Such a failure of a put is ambiguous: the write may or may not have been applied.
 * - overwrite puts, gets, heads and deletes are idempotent and are simply repeated;
 * - a conditional put (`create` or `ifMatch`) after an ambiguous failure is never blindly repeated: the object is
 *   read back first. Our bytes there mean the earlier attempt won (success, with the stored etag); other bytes
 *   mean someone else won (AlreadyExists / PreconditionFailed); absence (create) or the expected etag unchanged
 *   (ifMatch) means nothing was applied, and only then is the put sent again. A conflict reported by a later
 *   attempt is checked the same way, since the earlier attempt may have landed late;
 * - a listing that fails part-way resumes after the last path it yielded;
 * - `putStream` is passed through once: its source cannot be replayed (the backends retry their parts).
 * Not handled: permanent errors, conflicts without earlier ambiguity, and a store that returns wrong data.
 * Limits of reading back: identical bytes written by another writer count as our own write (success); and an
 * ifMatch write that landed and was then replaced by another writer before the read-back is reported as
 * 'precondition-failed' (without version history the two cases look the same). Create-only objects, which is
 * how SlateDB's protocols use conditional writes, are never replaced, so neither arises for them.
 * An aborted signal ends the call with the signal's reason.
 *
 * Invariants: at most `attemptsMax` attempts per call and no retry after `totalTimeMs`; the final error is the
 * last attempt's (transient, with the attempt count in its message).
 * Concurrency: stateless between calls; any number of calls may run at once.
 */

import { equalBytes } from '../util/bytes.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { type Rand, systemRand } from '../util/random.js';
import { runWithTimeout } from './attempt-timeout.js';
import {
  type GetOptions,
  type GetRange,
  type GetResult,
  isObjectStoreError,
  isRetryableObjectStoreError,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  ObjectStoreError,
  type ObjectStoreOperation,
  type PutMode,
  type PutOptions,
  type PutResult,
  type PutStreamOptions,
} from './object-store.js';
import { RetryPolicy, type RetryPolicyOptions } from './retry-policy.js';

/** One retry, reported to `onRetry`. */
export interface RetryEvent {
  readonly operation: ObjectStoreOperation;
  readonly path: string | undefined;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: ObjectStoreError;
}

/** Options for {@link RetryingObjectStore}. */
export interface RetryingObjectStoreOptions extends RetryPolicyOptions {
  readonly clock?: Clock;
  readonly rand?: Rand;
  /** Called before each backoff sleep (for logs and metrics). */
  readonly onRetry?: (event: RetryEvent) => void;
}

/** What reading back after an ambiguous conditional put concluded. */
type Resolution =
  | { readonly kind: 'ours'; readonly etag: string | undefined }
  | { readonly kind: 'conflict' }
  | {
      readonly kind: 'not-applied';
    };

/** An ObjectStore that retries transient failures of another. */
export class RetryingObjectStore implements ObjectStore {
  readonly description: string;
  readonly inner: ObjectStore;
  readonly policy: RetryPolicy;
  readonly #clock: Clock;
  readonly #onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(inner: ObjectStore, options: RetryingObjectStoreOptions = {}) {
    this.inner = inner;
    this.description = inner.description;
    this.policy = new RetryPolicy(options, options.rand ?? systemRand);
    this.#clock = options.clock ?? systemClock;
    this.#onRetry = options.onRetry;
  }

  async put(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const mode = options.mode ?? 'overwrite';
    if (mode === 'overwrite') {
      return this.#retry('put', path, options.signal, (signal) =>
        this.inner.put(path, bytes, { mode, signal }),
      );
    }
    return this.#conditionalPut(path, bytes, mode, options.signal);
  }

  putStream(path: string, chunks: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<PutResult> {
    return this.inner.putStream(path, chunks, options);
  }

  get(path: string, options: GetOptions = {}): Promise<GetResult> {
    return this.#retry('get', path, options.signal, (signal) =>
      this.inner.get(path, { range: options.range, signal }),
    );
  }

  /** Passes synchronous reads through; a transient failure sends the read to `get`, which retries it. */
  tryGetSync(path: string, range?: GetRange): GetResult | undefined {
    if (this.inner.tryGetSync === undefined) return undefined;
    try {
      return this.inner.tryGetSync(path, range);
    } catch (e) {
      if (e instanceof ObjectStoreError && e.reason === 'transient') return undefined;
      throw e;
    }
  }

  head(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<ObjectMeta> {
    return this.#retry('head', path, options.signal, (signal) => this.inner.head(path, { signal }));
  }

  delete(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    return this.#retry('delete', path, options.signal, (signal) => this.inner.delete(path, { signal }));
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    let after = options.startAfter;
    const startMs = this.#clock.monotonicMs();
    let failures = 0;
    for (;;) {
      try {
        const opts =
          after === undefined ? { signal: options.signal } : { startAfter: after, signal: options.signal };
        for await (const meta of this.inner.list(prefix, opts)) {
          after = meta.path;
          failures = 0;
          yield meta;
        }
        return;
      } catch (e) {
        failures++;
        await this.#backoffOrThrow(e, 'list', prefix, failures, startMs, options.signal);
      }
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Repeats `fn` while it fails transiently and the policy allows. */
  async #retry<T>(
    operation: ObjectStoreOperation,
    path: string | undefined,
    signal: AbortSignal | undefined,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const startMs = this.#clock.monotonicMs();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(operation, path, signal, fn);
      } catch (e) {
        await this.#backoffOrThrow(e, operation, path, attempt, startMs, signal);
      }
    }
  }

  #attempt<T>(
    operation: ObjectStoreOperation,
    path: string | undefined,
    signal: AbortSignal | undefined,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return runWithTimeout(fn, {
      timeoutMs: this.policy.attemptTimeoutMs,
      clock: this.#clock,
      signal,
      operation,
      path,
    });
  }

  /** Rethrows `e` unless it is transient and another attempt is allowed; otherwise sleeps the backoff. */
  async #backoffOrThrow(
    e: unknown,
    operation: ObjectStoreOperation,
    path: string | undefined,
    attempt: number,
    startMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    if (!isRetryableObjectStoreError(e)) throw e;
    const delayMs = this.policy.nextDelayMs(attempt);
    const elapsedMs = this.#clock.monotonicMs() - startMs;
    if (!this.policy.mayRetry(attempt, elapsedMs, delayMs)) {
      throw new ObjectStoreError(
        'transient',
        operation,
        path,
        `gave up after ${attempt} attempts in ${Math.round(elapsedMs)} ms: ${e.message}`,
        e,
      );
    }
    this.#onRetry?.({ operation, path, attempt, delayMs, error: e });
    await this.#clock.sleep(delayMs, signal);
  }

  /** A create or ifMatch put that survives ambiguous failures without ever writing twice blindly. */
  async #conditionalPut(
    path: string,
    bytes: Uint8Array,
    mode: Exclude<PutMode, 'overwrite'>,
    signal: AbortSignal | undefined,
  ): Promise<PutResult> {
    const startMs = this.#clock.monotonicMs();
    let ambiguous = false;
    for (let attempt = 1; ; attempt++) {
      if (ambiguous) {
        const r = await this.#readBack(path, bytes, mode, signal);
        if (r.kind === 'ours') return { etag: r.etag };
        if (r.kind === 'conflict')
          throw conflictError(path, mode, 'another writer won after an ambiguous attempt');
      }
      try {
        return await this.#attempt('put', path, signal, (s) =>
          this.inner.put(path, bytes, { mode, signal: s }),
        );
      } catch (e) {
        if (ambiguous && isConflict(e)) {
          const r = await this.#readBack(path, bytes, mode, signal);
          if (r.kind === 'ours') return { etag: r.etag };
          throw e;
        }
        await this.#backoffOrThrow(e, 'put', path, attempt, startMs, signal);
        ambiguous = true;
      }
    }
  }

  /** Reads the object back (retrying transient read failures) and decides what the earlier attempts did. */
  async #readBack(
    path: string,
    bytes: Uint8Array,
    mode: Exclude<PutMode, 'overwrite'>,
    signal: AbortSignal | undefined,
  ): Promise<Resolution> {
    let current: GetResult;
    try {
      current = await this.#retry('get', path, signal, (s) => this.inner.get(path, { signal: s }));
    } catch (e) {
      if (isObjectStoreError(e, 'not-found'))
        return mode === 'create' ? { kind: 'not-applied' } : { kind: 'conflict' };
      throw e;
    }
    if (typeof mode === 'object' && current.meta.etag === mode.ifMatch) return { kind: 'not-applied' };
    if (equalBytes(current.bytes, bytes)) return { kind: 'ours', etag: current.meta.etag };
    return { kind: 'conflict' };
  }
}

function isConflict(e: unknown): boolean {
  return isObjectStoreError(e, 'already-exists') || isObjectStoreError(e, 'precondition-failed');
}

function conflictError(path: string, mode: Exclude<PutMode, 'overwrite'>, message: string): ObjectStoreError {
  return mode === 'create'
    ? new ObjectStoreError('already-exists', 'put', path, message)
    : new ObjectStoreError('precondition-failed', 'put', path, message);
}
