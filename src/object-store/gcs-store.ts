/**
 * GcsObjectStore: the contract on Google Cloud Storage through `@google-cloud/storage`, loaded with a dynamic
 * import by {@link createGcsObjectStore}. The etag of an object is its generation number: create is an upload with
 * `ifGenerationMatch=0`, compare-and-swap an upload with `ifGenerationMatch=<etag>` (GCS checks both when the upload
 * completes and answers 412 when they fail). Single puts are one multipart upload carrying the CRC-32C of the
 * bytes, which GCS verifies; streamed puts are one resumable upload, visible only when it completes.
 *
 * Invariants: one request per call (the SDK's automatic retries are off; RetryingObjectStore retries); an etag
 * that is not a generation number can never match (precondition-failed without a request); listings are
 * filtered client-side by `startAfter` (GCS's `startOffset` is inclusive).
 * Concurrency: any number of calls may run at once. Tested only against test/support/gcs-fake-server.ts, a
 * request-level fake: see docs/object-stores.md.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as GcsSdk from '@google-cloud/storage';
import { crc32c } from '../util/crc.js';
import { invalidError } from '../util/errors.js';
import { gcsStatus, mapGcsError } from './gcs-errors.js';
import { KeyPrefix } from './key-prefix.js';
import { compareStrings } from './listing.js';
import {
  type GetOptions,
  type GetResult,
  isObjectStoreError,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  ObjectStoreError,
  type ObjectStoreOperation,
  type PutMode,
  type PutOptions,
  type PutResult,
  type PutStreamOptions,
  validateObjectPath,
} from './object-store.js';
import { importOptional } from './optional-package.js';
import { resolveRange } from './range.js';

/** Options for {@link createGcsObjectStore}. */
export interface GcsObjectStoreOptions {
  readonly bucket: string;
  /** Object name prefix inside the bucket (no leading or trailing '/'). */
  readonly prefix?: string;
  readonly projectId?: string;
  /** A service-account key file (otherwise Application Default Credentials). */
  readonly keyFilename?: string;
  /** API endpoint, e.g. a fake or an emulator (`http://127.0.0.1:4443`); such endpoints are used without auth. */
  readonly endpoint?: string;
  /** Objects per list page (default 1000). */
  readonly listPageSize?: number;
}

/** Loads the GCS SDK and builds a GcsObjectStore. */
export async function createGcsObjectStore(options: GcsObjectStoreOptions): Promise<GcsObjectStore> {
  const sdk = await importOptional('@google-cloud/storage', 'gs://', () => import('@google-cloud/storage'));
  return new GcsObjectStore(sdk, options);
}

/** The contract on Google Cloud Storage (see the file header). Build it with {@link createGcsObjectStore}. */
export class GcsObjectStore implements ObjectStore {
  readonly description: string;
  readonly #bucket: GcsSdk.Bucket;
  readonly #keys: KeyPrefix;
  readonly #listPageSize: number;

  /** @internal Takes the loaded SDK; use the create function, which loads it. */
  constructor(sdk: typeof GcsSdk, options: GcsObjectStoreOptions) {
    if (typeof options.bucket !== 'string' || options.bucket === '') {
      throw invalidError('INVALID_ARGUMENT', 'gcs: a bucket name is required');
    }
    this.#keys = new KeyPrefix(options.prefix);
    this.description = `gs://${options.bucket}${this.#keys.prefix === '' ? '' : `/${this.#keys.prefix}`}`;
    this.#listPageSize = Math.min(1000, Math.max(1, options.listPageSize ?? 1000));
    const storage = new sdk.Storage({
      ...(options.endpoint === undefined ? {} : { apiEndpoint: options.endpoint.replace(/\/+$/, '') }),
      ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
      ...(options.keyFilename === undefined ? {} : { keyFilename: options.keyFilename }),
      retryOptions: { autoRetry: false, maxRetries: 0 },
    });
    this.#bucket = storage.bucket(options.bucket);
  }

  #file(path: string): GcsSdk.File {
    return this.#bucket.file(this.#keys.toKey(path));
  }

  async put(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    validateObjectPath(path, 'put');
    options.signal?.throwIfAborted();
    const mode = options.mode ?? 'overwrite';
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const generation = preconditionGeneration(mode);
    if (generation === null) {
      throw new ObjectStoreError(
        'precondition-failed',
        'put',
        path,
        `etag ${JSON.stringify(mode)} is not a generation`,
      );
    }
    const file = this.#file(path);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32c(body));
    await this.#call('put', path, options.signal, mode, () =>
      file.save(body, {
        resumable: false,
        validation: false,
        metadata: { crc32c: crc.toString('base64') },
        ...(generation === undefined ? {} : { preconditionOpts: { ifGenerationMatch: generation } }),
      }),
    );
    return { etag: generationOf(file.metadata) };
  }

  async putStream(
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<PutResult> {
    validateObjectPath(path, 'putStream');
    const file = this.#file(path);
    await this.#call('putStream', path, options.signal, undefined, () =>
      pipeline(
        Readable.from(chunks, { objectMode: false }),
        file.createWriteStream({ resumable: true, validation: false }),
        {
          signal: options.signal,
        },
      ),
    );
    return { etag: generationOf(file.metadata) };
  }

  async get(path: string, options: GetOptions = {}): Promise<GetResult> {
    validateObjectPath(path, 'get');
    const range = options.range;
    if (range !== undefined) resolveRange(range, Number.MAX_SAFE_INTEGER, path);
    let streamOptions: GcsSdk.CreateReadStreamOptions = { validation: false, decompress: false };
    if (range !== undefined && 'suffix' in range) {
      if (range.suffix === 0) return this.#empty(path, range, options.signal);
      streamOptions = { ...streamOptions, end: -range.suffix };
    } else if (range !== undefined) {
      if (range.length === 0) return this.#empty(path, range, options.signal);
      const end = range.length === undefined ? undefined : range.offset + range.length - 1;
      if (range.offset > 0 || end !== undefined) {
        streamOptions = { ...streamOptions, start: range.offset, ...(end === undefined ? {} : { end }) };
      }
    }
    try {
      return await this.#call('get', path, options.signal, undefined, () =>
        this.#download(path, this.#file(path), streamOptions, options.signal),
      );
    } catch (e) {
      if (isObjectStoreError(e) && gcsStatus(e.cause) === 416)
        return this.#empty(path, range, options.signal);
      throw e;
    }
  }

  /** One media download; the object's metadata comes from the response headers. */
  async #download(
    path: string,
    file: GcsSdk.File,
    streamOptions: GcsSdk.CreateReadStreamOptions,
    signal: AbortSignal | undefined,
  ): Promise<GetResult> {
    const stream = file.createReadStream(streamOptions);
    let headers: Record<string, string> = {};
    stream.on('response', (res: { headers?: unknown }) => {
      headers = headerRecord(res.headers);
    });
    const onAbort = (): void => {
      stream.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const parts: Buffer[] = [];
    try {
      for await (const c of stream) parts.push(c as Buffer);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const range = /bytes (\d+)-\d+\/(\d+)/.exec(headers['content-range'] ?? '');
    const size = Number(headers['x-goog-stored-content-length'] ?? range?.[2] ?? bytes.length);
    const modified = headers['last-modified'];
    const meta: ObjectMeta = {
      path,
      size,
      lastModifiedMs: modified === undefined ? 0 : Date.parse(modified),
      etag: headers['x-goog-generation'],
    };
    return { bytes, meta, offset: range === null ? 0 : Number(range[1]) };
  }

  async #empty(
    path: string,
    range: GetOptions['range'],
    signal: AbortSignal | undefined,
  ): Promise<GetResult> {
    const meta = await this.head(path, { signal });
    const { offset } = resolveRange(range, meta.size, path);
    return { bytes: new Uint8Array(0), meta, offset };
  }

  async head(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<ObjectMeta> {
    validateObjectPath(path, 'head');
    const [md] = await this.#call('head', path, options.signal, undefined, () =>
      this.#file(path).getMetadata(),
    );
    return metaOf(path, md);
  }

  async delete(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    validateObjectPath(path, 'delete');
    await this.#call('delete', path, options.signal, undefined, () =>
      this.#file(path).delete({ ignoreNotFound: true }),
    );
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const after = options.startAfter;
    let query: GcsSdk.GetFilesOptions | undefined = {
      prefix: this.#keys.toKey(prefix),
      ...(after === undefined ? {} : { startOffset: this.#keys.toKey(after) }),
      maxResults: this.#listPageSize,
      autoPaginate: false,
    };
    while (query !== undefined) {
      const q: GcsSdk.GetFilesOptions = query;
      const [files, next] = await this.#call('list', prefix, options.signal, undefined, () =>
        this.#bucket.getFiles(q),
      );
      for (const f of files) {
        const path = this.#keys.toPath(f.name);
        if (path === undefined || !path.startsWith(prefix)) continue;
        if (after !== undefined && compareStrings(path, after) <= 0) continue;
        yield metaOf(path, f.metadata);
      }
      const token = (next as { pageToken?: string } | null | undefined)?.pageToken;
      query = token === undefined ? undefined : { ...q, pageToken: token };
    }
  }

  async close(): Promise<void> {}

  async #call<T>(
    operation: ObjectStoreOperation,
    path: string,
    signal: AbortSignal | undefined,
    mode: PutMode | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (e) {
      throw mapGcsError(e, operation, path, mode, signal);
    }
  }
}

/** The generation to require: 0 for create, the etag's number for ifMatch, undefined for none, null if invalid. */
function preconditionGeneration(mode: PutMode): number | undefined | null {
  if (mode === 'create') return 0;
  if (mode === 'overwrite') return undefined;
  return /^[1-9]\d*$/.test(mode.ifMatch) ? Number(mode.ifMatch) : null;
}

function generationOf(md: { generation?: unknown } | undefined): string | undefined {
  const g = md?.generation;
  return g === undefined || g === null ? undefined : String(g);
}

function metaOf(path: string, md: GcsSdk.FileMetadata): ObjectMeta {
  const updated = typeof md.updated === 'string' ? Date.parse(md.updated) : 0;
  return { path, size: Number(md.size ?? 0), lastModifiedMs: updated, etag: generationOf(md) };
}

function headerRecord(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (h === null || typeof h !== 'object') return out;
  const entries: Iterable<[string, unknown]> =
    typeof (h as { entries?: unknown }).entries === 'function' && !Array.isArray(h)
      ? (h as { entries(): Iterable<[string, unknown]> }).entries()
      : Object.entries(h as Record<string, unknown>);
  for (const [k, v] of entries) out[k.toLowerCase()] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}
