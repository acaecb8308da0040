/**
 * resolveObjectStore: builds an ObjectStore from a URL, the way SlateDB's `ObjectStore.resolve` does, wrapped in a
 * RetryingObjectStore unless asked not to. Cloud SDKs are loaded with dynamic import() only for their own schemes,
 * so a local-only program never loads them.
 *
 * | URL | Store |
 * |---|---|
 * | `file:///abs/dir` | LocalObjectStore rooted at /abs/dir (created on the first put) |
 * | `memory:///` | a new MemoryObjectStore |
 * | `s3://bucket/prefix` | S3ObjectStore; options, query (`endpoint`, `region`, `forcePathStyle`, `ifMatchQuoting`, `checksum`) or AWS_* variables |
 * | `az://container/prefix` (`azure://`) | AzureBlobObjectStore; options or AZURE_STORAGE_* variables |
 * | `gs://bucket/prefix` (`gcs://`) | GcsObjectStore; options or GOOGLE_CLOUD_PROJECT / STORAGE_EMULATOR_HOST |
 *
 * Environment (read when the matching option is not given): AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_ENDPOINT,
 * AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN; otherwise the
 * SDK's default chain), AWS_S3_FORCE_PATH_STYLE, AWS_VIRTUAL_HOSTED_STYLE_REQUEST; AZURE_STORAGE_CONNECTION_STRING,
 * AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_ENDPOINT;
 * GOOGLE_CLOUD_PROJECT, GOOGLE_APPLICATION_CREDENTIALS (read by the SDK), STORAGE_EMULATOR_HOST.
 *
 * Invariants: a bad URL or option is an 'invalid' error naming it; secrets are never taken from the URL; a relative
 * file URL (`file:dir`) is refused rather than read as a path under the filesystem root.
 * Concurrency: each call builds a new store.
 */
import { fileURLToPath } from 'node:url';
import type { Clock } from '../util/clock.js';
import { invalidError } from '../util/errors.js';
import type { Rand } from '../util/random.js';
import type { AzureBlobObjectStoreOptions } from './azure-store.js';
import type { GcsObjectStoreOptions } from './gcs-store.js';
import { LocalObjectStore, type LocalObjectStoreOptions } from './local-store.js';
import { MemoryObjectStore } from './memory-store.js';
import type { ObjectStore } from './object-store.js';
import { RetryingObjectStore, type RetryingObjectStoreOptions } from './retrying-store.js';
import type { S3ObjectStoreOptions } from './s3-store.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Options for {@link resolveObjectStore}. */
export interface ResolveObjectStoreOptions {
  /** Wrap the store in a RetryingObjectStore (default true), with these options when an object. */
  readonly retry?: boolean | RetryingObjectStoreOptions;
  readonly local?: LocalObjectStoreOptions;
  readonly s3?: Partial<S3ObjectStoreOptions>;
  readonly azure?: Partial<AzureBlobObjectStoreOptions>;
  readonly gcs?: Partial<GcsObjectStoreOptions>;
  readonly clock?: Clock;
  readonly rand?: Rand;
  /** Environment to read (default process.env). */
  readonly env?: Env;
}

/** Builds the store a URL names (see the file header). */
export async function resolveObjectStore(
  url: string | URL,
  options: ResolveObjectStoreOptions = {},
): Promise<ObjectStore> {
  const store = await resolveBare(parseUrl(url), options);
  if (options.retry === false) return store;
  const retry = typeof options.retry === 'object' ? options.retry : {};
  return new RetryingObjectStore(store, {
    ...retry,
    clock: retry.clock ?? options.clock,
    rand: retry.rand ?? options.rand,
  });
}

function parseUrl(url: string | URL): URL {
  if (url instanceof URL) return new URL(url.href);
  if (typeof url !== 'string') {
    throw invalidError('INVALID_ARGUMENT', 'an object store URL must be a string or a URL');
  }
  // WHATWG URL parsing reads "file:data/db" as "file:///data/db", which would put a relative directory at the
  // filesystem root; refuse it instead of guessing.
  if (/^file:(?!\/)/i.test(url)) {
    throw invalidError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(url)} is a relative file URL; use file:///absolute/path (e.g. pathToFileURL(path.resolve(dir)))`,
    );
  }
  try {
    return new URL(url);
  } catch {
    throw invalidError('INVALID_ARGUMENT', `not an object store URL: ${JSON.stringify(url)}`);
  }
}

async function resolveBare(u: URL, options: ResolveObjectStoreOptions): Promise<ObjectStore> {
  const env = options.env ?? process.env;
  switch (u.protocol) {
    case 'file:':
      if (u.host !== '' && u.host !== 'localhost') {
        throw invalidError('INVALID_ARGUMENT', `file URLs must be file:///absolute/path, got ${u.href}`);
      }
      return new LocalObjectStore(fileURLToPath(u), {
        clock: options.clock,
        rand: options.rand,
        ...options.local,
      });
    case 'memory:':
      return new MemoryObjectStore({ clock: options.clock });
    case 's3:':
    case 's3a:': {
      const { createS3ObjectStore } = await import('./s3-store.js');
      return createS3ObjectStore(s3Options(u, options, env));
    }
    case 'az:':
    case 'azure:': {
      const { createAzureBlobObjectStore } = await import('./azure-store.js');
      return createAzureBlobObjectStore(azureOptions(u, options, env));
    }
    case 'gs:':
    case 'gcs:': {
      const { createGcsObjectStore } = await import('./gcs-store.js');
      return createGcsObjectStore(gcsOptions(u, options, env));
    }
    default:
      throw invalidError(
        'INVALID_ARGUMENT',
        `unsupported object store scheme ${JSON.stringify(u.protocol)} in ${u.href}`,
      );
  }
}

/** Bucket (host) and prefix (path) of a cloud URL. */
function bucketAndPrefix(u: URL, what: string): { bucket: string; prefix: string } {
  const bucket = decodeURIComponent(u.hostname);
  if (bucket === '') throw invalidError('INVALID_ARGUMENT', `${u.href}: the ${what} name is missing`);
  if (u.username !== '' || u.password !== '') {
    throw invalidError(
      'INVALID_ARGUMENT',
      `${u.href}: credentials do not belong in the URL; use options or env`,
    );
  }
  return { bucket, prefix: decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '') };
}

function flag(v: string | null | undefined, name: string): boolean | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw invalidError('INVALID_SETTING', `${name}: expected true or false, got ${JSON.stringify(v)}`);
}

function s3Options(u: URL, options: ResolveObjectStoreOptions, env: Env): S3ObjectStoreOptions {
  const { bucket, prefix } = bucketAndPrefix(u, 'bucket');
  const q = u.searchParams;
  const given = options.s3 ?? {};
  const endpoint =
    given.endpoint ??
    q.get('endpoint') ??
    env['AWS_ENDPOINT_URL_S3'] ??
    env['AWS_ENDPOINT_URL'] ??
    env['AWS_ENDPOINT'];
  const virtual = flag(env['AWS_VIRTUAL_HOSTED_STYLE_REQUEST'], 'AWS_VIRTUAL_HOSTED_STYLE_REQUEST');
  const pathStyle =
    given.forcePathStyle ??
    flag(q.get('forcePathStyle'), 'forcePathStyle') ??
    flag(env['AWS_S3_FORCE_PATH_STYLE'], 'AWS_S3_FORCE_PATH_STYLE') ??
    (virtual === undefined ? undefined : !virtual);
  const keyId = env['AWS_ACCESS_KEY_ID'];
  const secret = env['AWS_SECRET_ACCESS_KEY'];
  const credentials =
    given.credentials ??
    (keyId !== undefined && secret !== undefined
      ? { accessKeyId: keyId, secretAccessKey: secret, ...sessionToken(env) }
      : undefined);
  const quoting = q.get('ifMatchQuoting');
  if (quoting !== null && quoting !== 'auto' && quoting !== 'quoted' && quoting !== 'unquoted') {
    throw invalidError('INVALID_SETTING', `ifMatchQuoting must be auto, quoted or unquoted, got ${quoting}`);
  }
  const checksum = q.get('checksum');
  if (checksum !== null && checksum !== 'when-supported' && checksum !== 'when-required') {
    throw invalidError(
      'INVALID_SETTING',
      `checksum must be when-supported or when-required, got ${checksum}`,
    );
  }
  return {
    clock: options.clock,
    rand: options.rand,
    ...given,
    bucket,
    prefix: given.prefix ?? prefix,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(pathStyle === undefined ? {} : { forcePathStyle: pathStyle }),
    ...(credentials === undefined ? {} : { credentials }),
    region: given.region ?? q.get('region') ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'],
    ...(quoting === null ? {} : { ifMatchQuoting: quoting }),
    ...(checksum === null ? {} : { checksum }),
  };
}

function sessionToken(env: Env): { sessionToken?: string } {
  const t = env['AWS_SESSION_TOKEN'];
  return t === undefined || t === '' ? {} : { sessionToken: t };
}

function azureOptions(u: URL, options: ResolveObjectStoreOptions, env: Env): AzureBlobObjectStoreOptions {
  const { bucket, prefix } = bucketAndPrefix(u, 'container');
  const given = options.azure ?? {};
  const pick = (v: string | undefined, ...names: string[]): string | undefined => {
    if (v !== undefined) return v;
    for (const n of names) if (env[n] !== undefined && env[n] !== '') return env[n];
    return undefined;
  };
  const connectionString = pick(given.connectionString, 'AZURE_STORAGE_CONNECTION_STRING');
  const accountName = pick(given.accountName, 'AZURE_STORAGE_ACCOUNT_NAME', 'AZURE_STORAGE_ACCOUNT');
  const accountKey = pick(given.accountKey, 'AZURE_STORAGE_ACCOUNT_KEY', 'AZURE_STORAGE_KEY');
  const sasToken = pick(given.sasToken, 'AZURE_STORAGE_SAS_TOKEN');
  const endpoint = pick(given.endpoint, 'AZURE_STORAGE_ENDPOINT');
  return {
    clock: options.clock,
    rand: options.rand,
    ...given,
    container: bucket,
    prefix: given.prefix ?? prefix,
    ...(connectionString === undefined ? {} : { connectionString }),
    ...(accountName === undefined ? {} : { accountName }),
    ...(accountKey === undefined ? {} : { accountKey }),
    ...(sasToken === undefined ? {} : { sasToken }),
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

function gcsOptions(u: URL, options: ResolveObjectStoreOptions, env: Env): GcsObjectStoreOptions {
  const { bucket, prefix } = bucketAndPrefix(u, 'bucket');
  const given = options.gcs ?? {};
  const emulator = env['STORAGE_EMULATOR_HOST'];
  const endpoint =
    given.endpoint ??
    (emulator === undefined || emulator === ''
      ? undefined
      : /^https?:\/\//.test(emulator)
        ? emulator
        : `http://${emulator}`);
  const projectId = given.projectId ?? env['GOOGLE_CLOUD_PROJECT'];
  return {
    ...given,
    bucket,
    prefix: given.prefix ?? prefix,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(projectId === undefined ? {} : { projectId }),
  };
}
