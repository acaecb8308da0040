/**
 * CountingObjectStore: counts the requests made through it, per operation: calls, failures (by reason), bytes put
 * and bytes got. It sits wherever the requests to be counted pass: above a backend to count what reaches the
 * store (cost), or above a RetryingObjectStore to count what callers asked for. It injects no faults.
 *
 * With `logGets`, it also keeps every successful GET (path, range, bytes) in call order, so tests can check that
 * a reader fetches only what it needs.
 *
 * Invariants: every call is counted once when it starts, and once more as a failure if it rejects; `list` counts one
 * call per listing plus the number of objects listed. Bytes are counted on success only.
 * Concurrency: counters are updated on the event loop; `snapshot()` is a consistent copy.
 */
import {
  type GetOptions,
  type GetRange,
  type GetResult,
  isObjectStoreError,
  type ListOptions,
  OBJECT_STORE_OPERATIONS,
  type ObjectMeta,
  type ObjectStore,
  type ObjectStoreOperation,
  type PutOptions,
  type PutResult,
  type PutStreamOptions,
} from './object-store.js';

/** Counters of one operation. */
export interface OperationCounts {
  calls: number;
  failures: number;
  /** Failures by ObjectStoreError reason ('other' for anything else). */
  failuresByReason: Record<string, number>;
}

/** All counters. */
export interface RequestCounts {
  readonly operations: Record<ObjectStoreOperation, OperationCounts>;
  bytesPut: number;
  bytesGot: number;
  objectsListed: number;
}

function emptyCounts(): RequestCounts {
  const operations = {} as Record<ObjectStoreOperation, OperationCounts>;
  for (const op of OBJECT_STORE_OPERATIONS) operations[op] = { calls: 0, failures: 0, failuresByReason: {} };
  return { operations, bytesPut: 0, bytesGot: 0, objectsListed: 0 };
}

/** One successful GET, as logged with `logGets`. */
export interface LoggedGet {
  readonly path: string;
  readonly range: GetRange | undefined;
  readonly bytes: number;
}

/** An ObjectStore that counts requests to another. */
export class CountingObjectStore implements ObjectStore {
  readonly description: string;
  readonly inner: ObjectStore;
  /** Successful GETs in call order (only with `logGets`; cleared by `reset`). */
  readonly getLog: LoggedGet[] = [];
  readonly #logGets: boolean;
  #counts: RequestCounts = emptyCounts();

  constructor(inner: ObjectStore, options: { readonly logGets?: boolean } = {}) {
    this.inner = inner;
    this.description = inner.description;
    this.#logGets = options.logGets ?? false;
  }

  /** A copy of the counters. */
  snapshot(): RequestCounts {
    return structuredClone(this.#counts);
  }

  /** Calls of one operation so far. */
  calls(operation: ObjectStoreOperation): number {
    return this.#counts.operations[operation].calls;
  }

  /** Sets every counter to zero. */
  reset(): void {
    this.#counts = emptyCounts();
    this.getLog.length = 0;
  }

  async put(path: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    const r = await this.#count('put', () => this.inner.put(path, bytes, options));
    this.#counts.bytesPut += bytes.length;
    return r;
  }

  putStream(path: string, chunks: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<PutResult> {
    let n = 0;
    async function* counted(): AsyncIterable<Uint8Array> {
      for await (const c of chunks) {
        n += c.length;
        yield c;
      }
    }
    return this.#count('putStream', async () => {
      const r = await this.inner.putStream(path, counted(), options);
      this.#counts.bytesPut += n;
      return r;
    });
  }

  async get(path: string, options?: GetOptions): Promise<GetResult> {
    const r = await this.#count('get', () => this.inner.get(path, options));
    this.#counts.bytesGot += r.bytes.length;
    if (this.#logGets) this.getLog.push({ path, range: options?.range, bytes: r.bytes.length });
    return r;
  }

  tryGetSync(path: string, range?: GetRange): GetResult | undefined {
    if (this.inner.tryGetSync === undefined) return undefined;
    const op = this.#counts.operations.get;
    let r: GetResult | undefined;
    try {
      r = this.inner.tryGetSync(path, range);
    } catch (e) {
      op.calls++;
      this.#fail(op, e);
      throw e;
    }
    if (r !== undefined) {
      op.calls++;
      this.#counts.bytesGot += r.bytes.length;
      if (this.#logGets) this.getLog.push({ path, range, bytes: r.bytes.length });
    }
    return r;
  }

  head(path: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectMeta> {
    return this.#count('head', () => this.inner.head(path, options));
  }

  delete(path: string, options?: { readonly signal?: AbortSignal }): Promise<void> {
    return this.#count('delete', () => this.inner.delete(path, options));
  }

  async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    const op = this.#counts.operations.list;
    op.calls++;
    try {
      for await (const meta of this.inner.list(prefix, options)) {
        this.#counts.objectsListed++;
        yield meta;
      }
    } catch (e) {
      this.#fail(op, e);
      throw e;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async #count<T>(operation: ObjectStoreOperation, fn: () => Promise<T>): Promise<T> {
    const op = this.#counts.operations[operation];
    op.calls++;
    try {
      return await fn();
    } catch (e) {
      this.#fail(op, e);
      throw e;
    }
  }

  #fail(op: OperationCounts, e: unknown): void {
    op.failures++;
    const reason = isObjectStoreError(e) ? e.reason : 'other';
    op.failuresByReason[reason] = (op.failuresByReason[reason] ?? 0) + 1;
  }
}
