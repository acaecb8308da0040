/**
 * AzureBlobObjectStore: the contract on Azure Blob Storage (block blobs) through `@azure/storage-blob`, loaded with
 * a dynamic import by {@link createAzureBlobObjectStore}. Create is an upload with `If-None-Match: *` (Azure and
 * Azurite answer 409 BlobAlreadyExists, or 412, when the blob exists); compare-and-swap is an upload with
 * `If-Match: <etag>`; streamed uploads stage blocks (8 MiB, 4 in flight) and commit the block list, which is the
 * atomic point of visibility. Every SDK error is mapped into an ObjectStoreError here.
 *
 * Limits (Azure's, seen on Azurite): a '\\' in a key becomes '/' (the SDK's URL handling), and ASCII control
 * characters in keys break listings.
 *
 * Invariants: one request per call (the SDK's retry policy is set to one try; RetryingObjectStore retries), except
 * staged blocks, which are retried here; a suffix range is a properties read plus a download pinned to the etag it
 * saw (retried if the blob changed in between); listings are filtered client-side by `startAfter`, since
 * `startFrom` is inclusive on Azure and ignored by Azurite.
 * Concurrency: any number of calls may run at once.
 */
import type * as AzureSdk from '@azure/storage-blob';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { invalidError } from '../util/errors.js';
import { type Rand, systemRand } from '../util/random.js';
import { azureStatus, mapAzureError } from './azure-errors.js';
import { KeyPrefix } from './key-prefix.js';
import { compareStrings } from './listing.js';
import {
  type GetOptions,
  type GetResult,
  isObjectStoreError,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  type ObjectStoreOperation,
  type PutMode,
  type PutOptions,
  type PutResult,
  type PutStreamOptions,
  validateObjectPath,
} from './object-store.js';
import { importOptional } from './optional-package.js';
import { uploadParts } from './part-uploader.js';
import { resolveRange } from './range.js';
import { rechunk } from './rechunk.js';
import { RetryPolicy, type RetryPolicyOptions } from './retry-policy.js';

/** Options for {@link createAzureBlobObjectStore}. Give a connection string, or an account with a key or SAS. */
export interface AzureBlobObjectStoreOptions {
  readonly container: string;
  /** Blob name prefix inside the container (no leading or trailing '/'). */
  readonly prefix?: string;
  /** A storage connection string (as the portal shows it, or Azurite's). */
  readonly connectionString?: string;
  readonly accountName?: string;
  readonly accountKey?: string;
  /** A SAS token (with or without the leading '?'). */
  readonly sasToken?: string;
  /** Blob service URL; default `https://<account>.blob.core.windows.net`. */
  readonly endpoint?: string;
  /** Block size for streamed uploads (default 8 MiB). */
  readonly blockSizeBytes?: number;
  /** Blocks in flight per streamed upload (default 4). */
  readonly blockConcurrency?: number;
  /** Retries of staged blocks. */
  readonly blockRetry?: RetryPolicyOptions;
  /** Blobs per list page (default 1000, at most 5000). */
  readonly listPageSize?: number;
  readonly clock?: Clock;
  readonly rand?: Rand;
}

const MIB = 1024 * 1024;
const SUFFIX_READ_ATTEMPTS = 4;

/** Loads the Azure SDK and builds an AzureBlobObjectStore. */
export async function createAzureBlobObjectStore(
  options: AzureBlobObjectStoreOptions,
): Promise<AzureBlobObjectStore> {
  const sdk = await importOptional('@azure/storage-blob', 'az://', () => import('@azure/storage-blob'));
  return new AzureBlobObjectStore(sdk, options);
}

/** The contract on Azure Blob Storage (see the file header). Build it with {@link createAzureBlobObjectStore}. */
export class AzureBlobObjectStore implements ObjectStore {
  readonly description: string;
  readonly #container: AzureSdk.ContainerClient;
  readonly #keys: KeyPrefix;
  readonly #blockSize: number;
  readonly #blockConcurrency: number;
  readonly #blockPolicy: RetryPolicy;
  readonly #listPageSize: number;
  readonly #clock: Clock;
  readonly #rand: Rand;

  /** @internal Takes the loaded SDK; use the create function, which loads it. */
  constructor(sdk: typeof AzureSdk, options: AzureBlobObjectStoreOptions) {
    if (typeof options.container !== 'string' || options.container === '') {
      throw invalidError('INVALID_ARGUMENT', 'azure: a container name is required');
    }
    this.#keys = new KeyPrefix(options.prefix);
    this.description = `az://${options.container}${this.#keys.prefix === '' ? '' : `/${this.#keys.prefix}`}`;
    this.#blockSize = options.blockSizeBytes ?? 8 * MIB;
    if (!Number.isSafeInteger(this.#blockSize) || this.#blockSize < 1 || this.#blockSize > 4000 * MIB) {
      throw invalidError('INVALID_SETTING', `azure: blockSizeBytes out of range: ${this.#blockSize}`);
    }
    this.#blockConcurrency = Math.max(1, options.blockConcurrency ?? 4);
    this.#listPageSize = Math.min(5000, Math.max(1, options.listPageSize ?? 1000));
    this.#clock = options.clock ?? systemClock;
    this.#rand = options.rand ?? systemRand;
    this.#blockPolicy = new RetryPolicy(options.blockRetry, this.#rand);
    this.#container = serviceClient(sdk, options).getContainerClient(options.container);
  }

  #blob(path: string): AzureSdk.BlockBlobClient {
    return this.#container.getBlockBlobClient(this.#keys.toKey(path));
  }

  async put(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    validateObjectPath(path, 'put');
    const mode = options.mode ?? 'overwrite';
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const conditions =
      mode === 'create'
        ? { ifNoneMatch: '*' }
        : typeof mode === 'object'
          ? { ifMatch: mode.ifMatch }
          : undefined;
    const res = await this.#call('put', path, options.signal, mode, () =>
      this.#blob(path).upload(body, body.length, { conditions, abortSignal: options.signal }),
    );
    return { etag: res.etag };
  }

  async putStream(
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<PutResult> {
    validateObjectPath(path, 'putStream');
    const blob = this.#blob(path);
    // Block ids must have one length per blob; the nonce keeps concurrent uploads to one blob apart.
    const nonce = this.#rand.nextU32().toString(16).padStart(8, '0');
    const blockId = (i: number): string =>
      Buffer.from(`${nonce}-${String(i).padStart(6, '0')}`).toString('base64');
    const ids = await uploadParts(
      rechunk(chunks, this.#blockSize),
      async (part, i) => {
        const id = blockId(i);
        await this.#call('putStream', path, options.signal, undefined, () =>
          blob.stageBlock(id, part, part.length, { abortSignal: options.signal }),
        );
        return id;
      },
      {
        concurrency: this.#blockConcurrency,
        policy: this.#blockPolicy,
        clock: this.#clock,
        signal: options.signal,
        path,
      },
    );
    const res = await this.#call('putStream', path, options.signal, undefined, () =>
      blob.commitBlockList(ids, { abortSignal: options.signal }),
    );
    return { etag: res.etag };
  }

  async get(path: string, options: GetOptions = {}): Promise<GetResult> {
    validateObjectPath(path, 'get');
    const range = options.range;
    if (range !== undefined) resolveRange(range, Number.MAX_SAFE_INTEGER, path);
    if (range !== undefined && 'suffix' in range) return this.#getSuffix(path, range.suffix, options.signal);
    if (range !== undefined && range.length === 0) return this.#empty(path, range.offset, options.signal);
    const offset = range?.offset ?? 0;
    return this.#download(path, offset, range?.length, undefined, options.signal);
  }

  async #download(
    path: string,
    offset: number,
    count: number | undefined,
    ifMatch: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<GetResult> {
    let res: AzureSdk.BlobDownloadResponseParsed;
    try {
      res = await this.#call('get', path, signal, undefined, () =>
        this.#blob(path).download(offset === 0 && count === undefined ? undefined : offset, count, {
          abortSignal: signal,
          conditions: ifMatch === undefined ? undefined : { ifMatch },
        }),
      );
    } catch (e) {
      if (isObjectStoreError(e) && azureStatus(e.cause) === 416) return this.#empty(path, offset, signal);
      throw e;
    }
    const bytes = await this.#readBody(path, res.readableStreamBody, signal);
    const total = parseTotal(res.contentRange) ?? res.contentLength ?? bytes.length;
    const meta: ObjectMeta = {
      path,
      size: total,
      lastModifiedMs: res.lastModified?.getTime() ?? 0,
      etag: res.etag,
    };
    return { bytes, meta, offset: Math.min(offset, total) };
  }

  async #readBody(
    path: string,
    body: NodeJS.ReadableStream | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    if (body === undefined) return new Uint8Array(0);
    const parts: Buffer[] = [];
    try {
      for await (const c of body as AsyncIterable<Buffer | string>)
        parts.push(typeof c === 'string' ? Buffer.from(c) : c);
    } catch (e) {
      throw mapAzureError(e, 'get', path, undefined, signal);
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** The last `suffix` bytes: read the size, then download pinned to the etag seen. */
  async #getSuffix(path: string, suffix: number, signal: AbortSignal | undefined): Promise<GetResult> {
    for (let attempt = 1; ; attempt++) {
      const meta = await this.head(path, { signal });
      const offset = Math.max(0, meta.size - suffix);
      if (suffix === 0 || meta.size === 0) return { bytes: new Uint8Array(0), meta, offset: meta.size };
      try {
        return await this.#download(path, offset, undefined, meta.etag, signal);
      } catch (e) {
        const changed = isObjectStoreError(e, 'precondition-failed') || isObjectStoreError(e, 'not-found');
        if (!changed || attempt >= SUFFIX_READ_ATTEMPTS) throw e;
      }
    }
  }

  async #empty(path: string, offset: number, signal: AbortSignal | undefined): Promise<GetResult> {
    const meta = await this.head(path, { signal });
    return { bytes: new Uint8Array(0), meta, offset: Math.min(offset, meta.size) };
  }

  async head(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<ObjectMeta> {
    validateObjectPath(path, 'head');
    const res = await this.#call('head', path, options.signal, undefined, () =>
      this.#blob(path).getProperties({ abortSignal: options.signal }),
    );
    return {
      path,
      size: res.contentLength ?? 0,
      lastModifiedMs: res.lastModified?.getTime() ?? 0,
      etag: res.etag,
    };
  }

  async delete(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    validateObjectPath(path, 'delete');
    await this.#call('delete', path, options.signal, undefined, () =>
      this.#blob(path).deleteIfExists({ abortSignal: options.signal }),
    );
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const after = options.startAfter;
    const pages = this.#container
      .listBlobsFlat({
        prefix: this.#keys.toKey(prefix),
        ...(after === undefined ? {} : { startFrom: this.#keys.toKey(after) }),
        abortSignal: options.signal,
      })
      .byPage({ maxPageSize: this.#listPageSize });
    const iterator = pages[Symbol.asyncIterator]();
    for (;;) {
      let page: IteratorResult<AzureSdk.ContainerListBlobFlatSegmentResponse>;
      try {
        page = await iterator.next();
      } catch (e) {
        throw mapAzureError(e, 'list', prefix, undefined, options.signal);
      }
      if (page.done === true) return;
      for (const item of page.value.segment.blobItems) {
        const path = this.#keys.toPath(item.name);
        if (path === undefined || !path.startsWith(prefix)) continue;
        if (after !== undefined && compareStrings(path, after) <= 0) continue;
        const p = item.properties;
        yield {
          path,
          size: p.contentLength ?? 0,
          lastModifiedMs: p.lastModified?.getTime() ?? 0,
          etag: quoted(p.etag),
        };
      }
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
      throw mapAzureError(e, operation, path, mode, signal);
    }
  }
}

function serviceClient(
  sdk: typeof AzureSdk,
  options: AzureBlobObjectStoreOptions,
): AzureSdk.BlobServiceClient {
  const pipeline = { retryOptions: { maxTries: 1 } };
  if (options.connectionString !== undefined) {
    return sdk.BlobServiceClient.fromConnectionString(options.connectionString, pipeline);
  }
  const account = options.accountName;
  if (account === undefined || account === '') {
    throw invalidError('INVALID_ARGUMENT', 'azure: give a connection string or an account name');
  }
  const endpoint = (options.endpoint ?? `https://${account}.blob.core.windows.net`).replace(/\/+$/, '');
  if (options.accountKey !== undefined) {
    return new sdk.BlobServiceClient(
      endpoint,
      new sdk.StorageSharedKeyCredential(account, options.accountKey),
      pipeline,
    );
  }
  if (options.sasToken !== undefined) {
    const sas = options.sasToken.replace(/^\?/, '');
    return new sdk.BlobServiceClient(`${endpoint}?${sas}`, new sdk.AnonymousCredential(), pipeline);
  }
  throw invalidError('INVALID_ARGUMENT', 'azure: give an account key, a SAS token or a connection string');
}

/** The total size from `bytes a-b/total`. */
function parseTotal(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /\/(\d+)\s*$/.exec(v);
  return m === null ? undefined : Number(m[1]);
}

/** Listings report etags without the quotes every other response has: add them, so etags compare equal. */
function quoted(etag: string | undefined): string | undefined {
  if (etag === undefined || etag === '' || etag.startsWith('"') || etag.startsWith('W/')) return etag;
  return `"${etag}"`;
}
