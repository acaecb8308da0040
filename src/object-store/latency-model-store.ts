/**
 * LatencyModelObjectStore: makes a fast store (memory, local) behave like S3 for benchmarks. Each request waits a
 * first-byte latency for its operation type, plus its payload size divided by a per-request bandwidth, on the
 * injected clock; optional seeded jitter spreads the latency. It sits directly above the fast store; put a
 * CountingObjectStore above it to count the modelled requests. It never fails a call (use the fault injector).
 *
 * Default model, for S3 Standard accessed from EC2 in the same region:
 * - get/head first byte 20 ms and 93 MB/s per request: dvassallo/s3-benchmark (README, measured from EC2 in
 *   2019: "90th percentile time to first byte is typically around 20 ms regardless of the object size" and
 *   "about 93 MB/s per thread");
 * - the same 93 MB/s for uploads (an assumption: no per-request upload figure was found);
 * - put 50 ms, list 30 ms per 1 000-key page, delete 20 ms: assumptions (a PUT is acknowledged only after S3
 *   stores it durably, so it is taken as slower than a GET's first byte); adjust for your region and class.
 * A put's time is latency + size / bandwidth; a get's is latency + returned bytes / bandwidth; a listing waits
 * `listMs` before each page of `listPageSize` objects.
 *
 * Invariants: every call is delayed by at least its modelled time before the inner store is called (gets: the
 * transfer delay follows the inner call, as the size is known then).
 * Concurrency: requests are modelled independently (no shared bandwidth cap), like separate S3 connections.
 */
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { invalidError } from '../util/errors.js';
import { type Rand, SeededRand } from '../util/random.js';
import type {
  GetOptions,
  GetResult,
  ListOptions,
  ObjectMeta,
  ObjectStore,
  PutOptions,
  PutResult,
  PutStreamOptions,
} from './object-store.js';

/** The modelled latencies and bandwidth. */
export interface LatencyModel {
  /** First-byte latency of a GET (ms). */
  readonly getMs: number;
  /** First-byte latency of a HEAD (ms). */
  readonly headMs: number;
  /** Latency of a PUT, or of each part of a streamed upload (ms). */
  readonly putMs: number;
  /** Latency of each LIST page (ms). */
  readonly listMs: number;
  /** Objects per LIST page. */
  readonly listPageSize: number;
  /** Latency of a DELETE (ms). */
  readonly deleteMs: number;
  /** Transfer rate of one request, bytes per second. */
  readonly bandwidthBytesPerSec: number;
  /** Each latency is multiplied by a factor drawn uniformly from [1 - j, 1 + j] (default 0: deterministic). */
  readonly jitterFraction: number;
  /** Part size assumed for streamed uploads (each part pays `putMs`). */
  readonly partSizeBytes: number;
}

/** The default model (see the file header for sources). */
export const S3_STANDARD_MODEL: LatencyModel = {
  getMs: 20,
  headMs: 20,
  putMs: 50,
  listMs: 30,
  listPageSize: 1_000,
  deleteMs: 20,
  bandwidthBytesPerSec: 93_000_000,
  jitterFraction: 0,
  partSizeBytes: 8 * 1024 * 1024,
};

/** Options for {@link LatencyModelObjectStore}. */
export interface LatencyModelOptions {
  readonly model?: Partial<LatencyModel>;
  readonly clock?: Clock;
  /** Seed for jitter (default 0). */
  readonly seed?: number;
  readonly rand?: Rand;
}

/** An ObjectStore that delays calls of another by a latency and bandwidth model. */
export class LatencyModelObjectStore implements ObjectStore {
  readonly description: string;
  readonly inner: ObjectStore;
  readonly model: LatencyModel;
  readonly #clock: Clock;
  readonly #rand: Rand;

  constructor(inner: ObjectStore, options: LatencyModelOptions = {}) {
    this.inner = inner;
    this.description = `modelled(${inner.description})`;
    this.model = { ...S3_STANDARD_MODEL, ...options.model };
    for (const [k, v] of Object.entries(this.model)) {
      if (!Number.isFinite(v) || v < 0)
        throw invalidError('INVALID_SETTING', `latency model ${k}: bad value ${v}`);
    }
    if (this.model.bandwidthBytesPerSec <= 0 || this.model.listPageSize < 1 || this.model.partSizeBytes < 1) {
      throw invalidError(
        'INVALID_SETTING',
        'latency model: bandwidth, page size and part size must be positive',
      );
    }
    this.#clock = options.clock ?? systemClock;
    this.#rand = options.rand ?? new SeededRand(options.seed ?? 0);
  }

  /** The modelled duration of transferring `bytes` in one request (ms). */
  transferMs(bytes: number): number {
    return (bytes * 1000) / this.model.bandwidthBytesPerSec;
  }

  async put(path: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    await this.#wait(this.#jitter(this.model.putMs) + this.transferMs(bytes.length), options?.signal);
    return this.inner.put(path, bytes, options);
  }

  async putStream(
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    options?: PutStreamOptions,
  ): Promise<PutResult> {
    const self = this;
    let pending = 0;
    async function* paced(): AsyncIterable<Uint8Array> {
      for await (const c of chunks) {
        pending += c.length;
        while (pending >= self.model.partSizeBytes) {
          pending -= self.model.partSizeBytes;
          await self.#wait(self.#partMs(self.model.partSizeBytes), options?.signal);
        }
        yield c;
      }
      await self.#wait(self.#partMs(pending), options?.signal);
    }
    return this.inner.putStream(path, paced(), options);
  }

  async get(path: string, options?: GetOptions): Promise<GetResult> {
    await this.#wait(this.#jitter(this.model.getMs), options?.signal);
    const r = await this.inner.get(path, options);
    await this.#wait(this.transferMs(r.bytes.length), options?.signal);
    return r;
  }

  async head(path: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectMeta> {
    await this.#wait(this.#jitter(this.model.headMs), options?.signal);
    return this.inner.head(path, options);
  }

  async delete(path: string, options?: { readonly signal?: AbortSignal }): Promise<void> {
    await this.#wait(this.#jitter(this.model.deleteMs), options?.signal);
    return this.inner.delete(path, options);
  }

  async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    let inPage = 0;
    await this.#wait(this.#jitter(this.model.listMs), options?.signal);
    for await (const meta of this.inner.list(prefix, options)) {
      if (inPage === this.model.listPageSize) {
        inPage = 0;
        await this.#wait(this.#jitter(this.model.listMs), options?.signal);
      }
      inPage++;
      yield meta;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #partMs(bytes: number): number {
    return this.#jitter(this.model.putMs) + this.transferMs(bytes);
  }

  #jitter(ms: number): number {
    const j = this.model.jitterFraction;
    return j === 0 ? ms : ms * (1 - j + 2 * j * this.#rand.nextFloat());
  }

  #wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return ms <= 0 ? Promise.resolve() : this.#clock.sleep(ms, signal);
  }
}
