/**
 * CountingStore: an ObjectStore wrapper that counts and records GETs (path and range), so format tests can
 * check that readers fetch only what they need. Sits directly above any store.
 *
 * Invariants: every call is forwarded unchanged; `gets` lists GETs in call order.
 * Concurrency: as the wrapped store.
 */
import type {
  GetOptions,
  GetResult,
  ListOptions,
  ObjectMeta,
  ObjectStore,
  PutOptions,
  PutResult,
  PutStreamOptions,
} from '../../src/object-store/object-store.js';

/** One recorded GET. */
export interface RecordedGet {
  readonly path: string;
  readonly range: GetOptions['range'];
  readonly bytes: number;
}

/** See the file header. */
export class CountingStore implements ObjectStore {
  readonly inner: ObjectStore;
  readonly gets: RecordedGet[] = [];

  constructor(inner: ObjectStore) {
    this.inner = inner;
  }

  get description(): string {
    return this.inner.description;
  }

  put(path: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    return this.inner.put(path, bytes, options);
  }

  putStream(path: string, chunks: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<PutResult> {
    return this.inner.putStream(path, chunks, options);
  }

  async get(path: string, options?: GetOptions): Promise<GetResult> {
    const r = await this.inner.get(path, options);
    this.gets.push({ path, range: options?.range, bytes: r.bytes.length });
    return r;
  }

  head(path: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectMeta> {
    return this.inner.head(path, options);
  }

  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    return this.inner.list(prefix, options);
  }

  delete(path: string, options?: { readonly signal?: AbortSignal }): Promise<void> {
    return this.inner.delete(path, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  reset(): void {
    this.gets.length = 0;
  }
}
