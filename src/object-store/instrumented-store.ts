/**
 * InstrumentedObjectStore: counts and times every request to another store under SlateDB 0.12.1's
 * `slatedb.object_store.request_count`, `error_count` and `request_duration_seconds` (histogram, seconds), labelled
 * `component` (db, reader, gc, compactor), `store_type` (main), `op` (get, put, delete, list) and `api`. APIs follow
 * 0.12.1 where it has one: `get` (whole object), `get_range`, `head`, `put`, `delete`; a streamed upload is recorded
 * once as `multipart_complete`, and `list` (which 0.12.1 does not instrument) as op and api `list`.
 *
 * Invariants: results and errors pass through unchanged; every call is counted once, when it settles.
 * Concurrency: as the inner store.
 */
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { OBJECT_STORE } from '../util/metric-names.js';
import {
  type Counter,
  type Histogram,
  LATENCY_BOUNDARIES,
  labels,
  type MetricsRecorder,
} from '../util/metrics.js';
import type {
  GetOptions,
  GetRange,
  GetResult,
  ListOptions,
  ObjectMeta,
  ObjectStore,
  PutOptions,
  PutResult,
  PutStreamOptions,
} from './object-store.js';

/** Which part of the system the requests come from (0.12.1 `ObjectStoreComponent`). */
export type ObjectStoreComponent = 'db' | 'reader' | 'gc' | 'compactor';

interface Api {
  readonly count: Counter;
  readonly errors: Counter;
  readonly seconds: Histogram;
}

const APIS = [
  ['get', 'get'],
  ['get', 'get_range'],
  ['get', 'head'],
  ['put', 'put'],
  ['put', 'multipart_complete'],
  ['delete', 'delete'],
  ['list', 'list'],
] as const;

type ApiName = (typeof APIS)[number][1];

/** The instrumenting wrapper. */
export class InstrumentedObjectStore implements ObjectStore {
  readonly description: string;
  readonly inner: ObjectStore;
  readonly #apis: Record<ApiName, Api>;
  readonly #clock: Clock;

  constructor(
    inner: ObjectStore,
    recorder: MetricsRecorder,
    component: ObjectStoreComponent,
    clock: Clock = systemClock,
  ) {
    this.inner = inner;
    this.description = inner.description;
    this.#clock = clock;
    const apis = {} as Record<ApiName, Api>;
    for (const [op, api] of APIS) {
      const l = labels({ component, store_type: 'main', op, api });
      apis[api] = {
        count: recorder.registerCounter(OBJECT_STORE.REQUEST_COUNT, 'Object store API requests', l),
        errors: recorder.registerCounter(OBJECT_STORE.ERROR_COUNT, 'Object store API request errors', l),
        seconds: recorder.registerHistogram(
          OBJECT_STORE.REQUEST_DURATION_SECONDS,
          'Object store API request latency in seconds',
          l,
          LATENCY_BOUNDARIES,
        ),
      };
    }
    this.#apis = apis;
    const sync = inner.tryGetSync?.bind(inner);
    if (sync !== undefined) {
      // Keep the inner store's synchronous fast path; a served read counts as a request (it took no measurable time).
      this.tryGetSync = (path, range) => {
        const r = sync(path, range);
        if (r !== undefined) {
          const a = apis[range === undefined ? 'get' : 'get_range'];
          a.count.increment(1);
          a.seconds.record(0);
        }
        return r;
      };
    }
  }

  readonly tryGetSync?: (path: string, range?: GetRange) => GetResult | undefined;

  async #timed<T>(api: ApiName, call: () => Promise<T>): Promise<T> {
    const a = this.#apis[api];
    const start = this.#clock.monotonicMs();
    let ok = false;
    try {
      const r = await call();
      ok = true;
      return r;
    } finally {
      a.count.increment(1);
      if (!ok) a.errors.increment(1);
      a.seconds.record((this.#clock.monotonicMs() - start) / 1000);
    }
  }

  put(path: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    return this.#timed('put', () => this.inner.put(path, bytes, options));
  }

  putStream(path: string, chunks: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<PutResult> {
    return this.#timed('multipart_complete', () => this.inner.putStream(path, chunks, options));
  }

  get(path: string, options?: GetOptions): Promise<GetResult> {
    return this.#timed(options?.range === undefined ? 'get' : 'get_range', () =>
      this.inner.get(path, options),
    );
  }

  head(path: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectMeta> {
    return this.#timed('head', () => this.inner.head(path, options));
  }

  async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    const a = this.#apis.list;
    const start = this.#clock.monotonicMs();
    try {
      yield* this.inner.list(prefix, options);
    } catch (e) {
      a.errors.increment(1);
      throw e;
    } finally {
      // Also when the caller stops early: the listing was a request all the same.
      a.count.increment(1);
      a.seconds.record((this.#clock.monotonicMs() - start) / 1000);
    }
  }

  delete(path: string, options?: { readonly signal?: AbortSignal }): Promise<void> {
    return this.#timed('delete', () => this.inner.delete(path, options));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
