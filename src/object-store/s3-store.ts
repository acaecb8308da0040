/**
 * S3ObjectStore: the contract on Amazon S3 and S3-compatible stores (Ceph RGW, MinIO, R2, ...) through
 * `@aws-sdk/client-s3`, loaded with a dynamic import by {@link createS3ObjectStore}. Create is a PUT with
 * `If-None-Match: *`; compare-and-swap is a PUT with `If-Match: <etag>`; streamed uploads use multipart (8 MiB
 * parts by default, 4 in flight; a stream shorter than one part is a single PUT). Every SDK error is mapped into
 * an ObjectStoreError here; nothing above sees an AWS error.
 *
 * Invariants: one HTTP request per call (the SDK's own retries are off; RetryingObjectStore retries, where
 * ambiguous conditional writes are resolved), except multipart parts, which are retried here; bodies are sent as
 * Buffers with a known length (S3-compatible servers reject chunked streams); etags are returned as the server
 * sends them (quoted). `ifMatchQuoting: 'auto'` answers a 412 to a quoted If-Match by repeating it once unquoted
 * (Ceph RGW 16 compares against the unquoted etag), which is safe as a 412 means nothing was written.
 * Concurrency: any number of calls may run at once over the SDK's connection pool.
 */
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { invalidError } from '../util/errors.js';
import { type Rand, systemRand } from '../util/random.js';
import { KeyPrefix } from './key-prefix.js';
import { compareStrings } from './listing.js';
import {
  type GetOptions,
  type GetResult,
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
import { uploadParts } from './part-uploader.js';
import { resolveRange } from './range.js';
import { rechunk } from './rechunk.js';
import { RetryPolicy, type RetryPolicyOptions } from './retry-policy.js';
import { mapS3Error, s3Status } from './s3-errors.js';

/** Static credentials (otherwise the SDK's default chain: environment, profile, instance role). */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Options for {@link createS3ObjectStore}. */
export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket (no leading or trailing '/'). */
  readonly prefix?: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, else 'us-east-1'. */
  readonly region?: string;
  /** An S3-compatible endpoint such as `http://127.0.0.1:7480`. */
  readonly endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default: true when `endpoint` is set, else false. */
  readonly forcePathStyle?: boolean;
  readonly credentials?: S3Credentials;
  /** SDK checksums: 'when-supported' (AWS default) or 'when-required' (default with a custom endpoint). */
  readonly checksum?: 'when-supported' | 'when-required';
  /** How If-Match etags are sent: 'auto' (default), 'quoted' or 'unquoted'. */
  readonly ifMatchQuoting?: 'auto' | 'quoted' | 'unquoted';
  /** Multipart part size (default 8 MiB; at least 5 MiB, S3's minimum). */
  readonly partSizeBytes?: number;
  /** Parts in flight per streamed upload (default 4). */
  readonly partConcurrency?: number;
  /** Retries of multipart parts. */
  readonly partRetry?: RetryPolicyOptions;
  /** TCP connect timeout (default 5 000 ms). */
  readonly connectionTimeoutMs?: number;
  /** Socket inactivity timeout per request (default 0: none; RetryingObjectStore bounds each attempt). */
  readonly requestTimeoutMs?: number;
  /** Objects per LIST page (1..1000, default 1000). */
  readonly listPageSize?: number;
  readonly clock?: Clock;
  readonly rand?: Rand;
}

const MIB = 1024 * 1024;
const PARTS_MAX = 10_000;

/** Loads the AWS SDK and builds an S3ObjectStore. */
export async function createS3ObjectStore(options: S3ObjectStoreOptions): Promise<S3ObjectStore> {
  const sdk = await importOptional('@aws-sdk/client-s3', 's3://', () => import('@aws-sdk/client-s3'));
  return new S3ObjectStore(sdk, options);
}

/** The contract on S3 (see the file header). Build it with {@link createS3ObjectStore}. */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly #sdk: typeof S3Sdk;
  readonly #client: S3Sdk.S3Client;
  readonly #bucket: string;
  readonly #keys: KeyPrefix;
  readonly #quoting: 'auto' | 'quoted' | 'unquoted';
  #preferUnquoted = false;
  readonly #partSize: number;
  readonly #partConcurrency: number;
  readonly #partPolicy: RetryPolicy;
  readonly #listPageSize: number;
  readonly #clock: Clock;

  /** @internal Takes the loaded SDK; use the create function, which loads it. */
  constructor(sdk: typeof S3Sdk, options: S3ObjectStoreOptions) {
    if (typeof options.bucket !== 'string' || options.bucket === '') {
      throw invalidError('INVALID_ARGUMENT', 's3: a bucket name is required');
    }
    this.#sdk = sdk;
    this.#bucket = options.bucket;
    this.#keys = new KeyPrefix(options.prefix);
    this.description = `s3://${options.bucket}${this.#keys.prefix === '' ? '' : `/${this.#keys.prefix}`}`;
    this.#quoting = options.ifMatchQuoting ?? 'auto';
    this.#partSize = options.partSizeBytes ?? 8 * MIB;
    if (!Number.isSafeInteger(this.#partSize) || this.#partSize < 5 * MIB) {
      throw invalidError(
        'INVALID_SETTING',
        `s3: partSizeBytes must be at least 5 MiB, got ${this.#partSize}`,
      );
    }
    this.#partConcurrency = Math.max(1, options.partConcurrency ?? 4);
    this.#listPageSize = Math.min(1000, Math.max(1, options.listPageSize ?? 1000));
    this.#clock = options.clock ?? systemClock;
    this.#partPolicy = new RetryPolicy(options.partRetry, options.rand ?? systemRand);
    const custom = options.endpoint !== undefined;
    const checksum = (options.checksum ?? (custom ? 'when-required' : 'when-supported')) === 'when-required';
    this.#client = new sdk.S3Client({
      region: options.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
      ...(custom ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? custom,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      requestChecksumCalculation: checksum ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: checksum ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? 5_000,
        requestTimeout: options.requestTimeoutMs ?? 0,
      },
    });
  }

  async put(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    validateObjectPath(path, 'put');
    const mode = options.mode ?? 'overwrite';
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (typeof mode !== 'object' || this.#quoting !== 'auto') {
      return this.#putOnce(path, body, mode, this.#quoting === 'unquoted', options.signal);
    }
    const first = this.#preferUnquoted;
    try {
      return await this.#putOnce(path, body, mode, first, options.signal);
    } catch (e) {
      if (!(e instanceof ObjectStoreError) || e.reason !== 'precondition-failed' || s3Status(e.cause) !== 412)
        throw e;
      const r = await this.#putOnce(path, body, mode, !first, options.signal);
      this.#preferUnquoted = !first;
      return r;
    }
  }

  async #putOnce(
    path: string,
    body: Buffer,
    mode: PutMode,
    unquoted: boolean,
    signal: AbortSignal | undefined,
  ): Promise<PutResult> {
    const input: S3Sdk.PutObjectCommandInput = {
      Bucket: this.#bucket,
      Key: this.#keys.toKey(path),
      Body: body,
      ContentLength: body.length,
    };
    if (mode === 'create') input.IfNoneMatch = '*';
    else if (typeof mode === 'object') input.IfMatch = formatEtag(mode.ifMatch, unquoted);
    const res = await this.#send<S3Sdk.PutObjectCommandOutput>(
      'put',
      path,
      new this.#sdk.PutObjectCommand(input),
      signal,
      mode,
    );
    return { etag: res.ETag };
  }

  async putStream(
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<PutResult> {
    validateObjectPath(path, 'putStream');
    const parts = rechunk(chunks, this.#partSize)[Symbol.asyncIterator]();
    const first = await parts.next();
    if (first.done === true) return this.put(path, new Uint8Array(0), { signal: options.signal });
    const second = await parts.next();
    if (second.done === true) return this.put(path, first.value, { signal: options.signal });
    const key = this.#keys.toKey(path);
    const created = await this.#send<S3Sdk.CreateMultipartUploadCommandOutput>(
      'putStream',
      path,
      new this.#sdk.CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key }),
      options.signal,
    );
    const uploadId = created.UploadId;
    if (uploadId === undefined)
      throw new ObjectStoreError('permanent', 'putStream', path, 'no UploadId returned');
    let total = 0;
    async function* all(): AsyncIterable<Buffer> {
      yield first.value as Buffer;
      yield second.value as Buffer;
      for (;;) {
        const n = await parts.next();
        if (n.done === true) return;
        yield n.value;
      }
    }
    try {
      const etags = await uploadParts(
        all(),
        (part, i) => {
          if (i >= PARTS_MAX)
            throw new ObjectStoreError('permanent', 'putStream', path, 'more than 10 000 parts');
          total += part.length;
          return this.#uploadPart(path, key, uploadId, i + 1, part, options.signal);
        },
        {
          concurrency: this.#partConcurrency,
          policy: this.#partPolicy,
          clock: this.#clock,
          signal: options.signal,
          path,
        },
      );
      return await this.#complete(path, key, uploadId, etags, total, options.signal);
    } catch (e) {
      await this.#abort(key, uploadId);
      throw e;
    }
  }

  async #uploadPart(
    path: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const cmd = new this.#sdk.UploadPartCommand({
      Bucket: this.#bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      Body: body,
      ContentLength: body.length,
    });
    const res = await this.#send<S3Sdk.UploadPartCommandOutput>('putStream', path, cmd, signal);
    if (res.ETag === undefined)
      throw new ObjectStoreError('transient', 'putStream', path, 'part without ETag');
    return res.ETag;
  }

  /** Completes the upload; a retry that finds the upload gone checks whether the first completion landed. */
  async #complete(
    path: string,
    key: string,
    uploadId: string,
    etags: string[],
    total: number,
    signal: AbortSignal | undefined,
  ): Promise<PutResult> {
    const cmd = new this.#sdk.CompleteMultipartUploadCommand({
      Bucket: this.#bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    });
    let ambiguous = false;
    const startMs = this.#clock.monotonicMs();
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.#send<S3Sdk.CompleteMultipartUploadCommandOutput>(
          'putStream',
          path,
          cmd,
          signal,
        );
        // RGW 16 answers with an empty ETag element: report no etag rather than a wrong one.
        return { etag: res.ETag === '' ? undefined : res.ETag };
      } catch (e) {
        if (ambiguous && e instanceof ObjectStoreError && e.reason === 'not-found') {
          const meta = await this.head(path, { signal });
          if (meta.size === total) return { etag: meta.etag };
        }
        if (!(e instanceof ObjectStoreError) || e.reason !== 'transient') throw e;
        const delayMs = this.#partPolicy.nextDelayMs(attempt);
        if (!this.#partPolicy.mayRetry(attempt, this.#clock.monotonicMs() - startMs, delayMs)) throw e;
        ambiguous = true;
        await this.#clock.sleep(delayMs, signal);
      }
    }
  }

  async #abort(key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(
        new this.#sdk.AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }),
      );
    } catch {
      // Best effort: a bucket lifecycle rule should expire abandoned uploads.
    }
  }

  async get(path: string, options: GetOptions = {}): Promise<GetResult> {
    validateObjectPath(path, 'get');
    const range = options.range;
    if (range !== undefined) resolveRange(range, Number.MAX_SAFE_INTEGER, path);
    const header = rangeHeader(range);
    if (header === null) return this.#emptyRange(path, options);
    let res: S3Sdk.GetObjectCommandOutput;
    try {
      res = await this.#send<S3Sdk.GetObjectCommandOutput>(
        'get',
        path,
        new this.#sdk.GetObjectCommand({ Bucket: this.#bucket, Key: this.#keys.toKey(path), Range: header }),
        options.signal,
      );
    } catch (e) {
      if (s3Status((e as ObjectStoreError).cause) === 416) return this.#emptyRange(path, options);
      throw e;
    }
    let bytes: Uint8Array;
    try {
      bytes = res.Body === undefined ? new Uint8Array(0) : await res.Body.transformToByteArray();
    } catch (e) {
      throw mapS3Error(e, 'get', path, undefined, options.signal);
    }
    const contentRange = parseContentRange(res.ContentRange);
    const size = contentRange?.size ?? res.ContentLength ?? bytes.length;
    const meta: ObjectMeta = { path, size, lastModifiedMs: res.LastModified?.getTime() ?? 0, etag: res.ETag };
    if (contentRange !== undefined) return { bytes, meta, offset: contentRange.offset };
    // The server ignored the range (or none was asked for): cut it here.
    const { offset, end } = resolveRange(range, bytes.length, path);
    return {
      bytes: offset === 0 && end === bytes.length ? bytes : bytes.subarray(offset, end),
      meta,
      offset,
    };
  }

  /** A range that selects no bytes: answer from HEAD (S3 would reply 416). */
  async #emptyRange(path: string, options: GetOptions): Promise<GetResult> {
    const meta = await this.head(path, { signal: options.signal });
    const { offset } = resolveRange(options.range, meta.size, path);
    return { bytes: new Uint8Array(0), meta, offset };
  }

  async head(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<ObjectMeta> {
    validateObjectPath(path, 'head');
    const res = await this.#send<S3Sdk.HeadObjectCommandOutput>(
      'head',
      path,
      new this.#sdk.HeadObjectCommand({ Bucket: this.#bucket, Key: this.#keys.toKey(path) }),
      options.signal,
    );
    return {
      path,
      size: res.ContentLength ?? 0,
      lastModifiedMs: res.LastModified?.getTime() ?? 0,
      etag: res.ETag,
    };
  }

  async delete(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    validateObjectPath(path, 'delete');
    try {
      await this.#send(
        'delete',
        path,
        new this.#sdk.DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#keys.toKey(path) }),
        options.signal,
      );
    } catch (e) {
      if (!(e instanceof ObjectStoreError && e.reason === 'not-found')) throw e;
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const after = options.startAfter;
    let token: string | undefined;
    do {
      const res = await this.#send<S3Sdk.ListObjectsV2CommandOutput>(
        'list',
        prefix,
        new this.#sdk.ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: this.#keys.toKey(prefix),
          MaxKeys: this.#listPageSize,
          ...(token !== undefined
            ? { ContinuationToken: token }
            : after !== undefined
              ? { StartAfter: this.#keys.toKey(after) }
              : {}),
        }),
        options.signal,
      );
      for (const o of res.Contents ?? []) {
        const path = o.Key === undefined ? undefined : this.#keys.toPath(o.Key);
        if (path === undefined || !path.startsWith(prefix)) continue;
        if (after !== undefined && compareStrings(path, after) <= 0) continue;
        yield { path, size: o.Size ?? 0, lastModifiedMs: o.LastModified?.getTime() ?? 0, etag: o.ETag };
      }
      token = res.IsTruncated === true ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #send<T>(
    operation: ObjectStoreOperation,
    path: string,
    command: object,
    signal: AbortSignal | undefined,
    mode?: PutMode,
  ): Promise<T> {
    const send = this.#client.send.bind(this.#client) as unknown as SendFn;
    try {
      return (await send(command, { abortSignal: signal })) as T;
    } catch (e) {
      throw mapS3Error(e, operation, path, mode, signal);
    }
  }
}

type SendFn = (command: object, options: { abortSignal?: AbortSignal | undefined }) => Promise<unknown>;

/** The Range header for a GetRange, or null when the range selects nothing (an S3 Range cannot say that). */
function rangeHeader(range: GetOptions['range']): string | undefined | null {
  if (range === undefined) return undefined;
  if ('suffix' in range) return range.suffix === 0 ? null : `bytes=-${range.suffix}`;
  if (range.length === 0) return null;
  return `bytes=${range.offset}-${range.length === undefined ? '' : range.offset + range.length - 1}`;
}

/** Parses `bytes a-b/total`. */
function parseContentRange(v: string | undefined): { offset: number; size: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(v.trim());
  return m === null ? undefined : { offset: Number(m[1]), size: Number(m[3]) };
}

/** The etag as it goes into If-Match. */
function formatEtag(etag: string, unquoted: boolean): string {
  const bare = etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  return unquoted ? bare : `"${bare}"`;
}
