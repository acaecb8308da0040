/**
 * Which object store a `shaledb` command works on: `--store URL` (any URL src/object-store/resolve.ts takes), or,
 * as slatedb-cli 0.12.1's `admin::load_object_store_from_env` does, the `CLOUD_PROVIDER` environment variable
 * (after reading `--env-file`, default `./.env` when present):
 *
 * | CLOUD_PROVIDER | Store | Variables |
 * |---|---|---|
 * | `local` | LocalObjectStore at LOCAL_PATH | LOCAL_PATH (required) |
 * | `memory` | a new, empty MemoryObjectStore | |
 * | `aws` | S3 bucket AWS_BUCKET_NAME (or AWS_BUCKET) | AWS_* as for `s3://` URLs (endpoint, region, keys) |
 * | `azure` | container AZURE_CONTAINER_NAME | AZURE_STORAGE_* as for `az://` URLs, and AZURE_STORAGE_USE_EMULATOR |
 * | `gcp` (ShaleDB only) | GCS bucket GOOGLE_BUCKET (or GOOGLE_BUCKET_NAME) | as for `gs://` URLs |
 *
 * Invariants: `--store` wins over the environment; a missing or unknown variable is an 'invalid' INVALID_SETTING
 * error naming it (`opendal`, which 0.12.1 can be built with, is refused by name).
 * Concurrency: each call builds a new store; the caller closes it.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { invalidError } from '../util/errors.js';
import { usageError } from './args.js';
import { withDotenv } from './dotenv.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the store comes from. */
export interface StoreSource {
  /** `--store URL`. */
  readonly store?: string | undefined;
  /** `--env-file FILE` (default `.env`, read only when present). */
  readonly envFile?: string | undefined;
}

/** The store URL the environment names (after `.env`), or throws. `cwd` resolves a relative LOCAL_PATH. */
export function storeUrlFromEnv(env: Env, cwd: string): string {
  const get = (name: string): string => {
    const v = env[name];
    if (v === undefined || v === '') {
      throw invalidError('INVALID_SETTING', `environment variable ${name} is not set`);
    }
    return v;
  };
  const either = (a: string, b: string): string => (env[a] ? get(a) : env[b] ? get(b) : get(a));
  const provider = env['CLOUD_PROVIDER'];
  if (provider === undefined || provider === '') {
    throw usageError(
      'no object store: give --store URL, or set CLOUD_PROVIDER (local, memory, aws, azure, gcp)',
    );
  }
  switch (provider.toLowerCase()) {
    case 'local':
      return pathToFileURL(resolve(cwd, get('LOCAL_PATH'))).href;
    case 'memory':
      return 'memory:///';
    case 'aws':
      return `s3://${encodeURIComponent(either('AWS_BUCKET_NAME', 'AWS_BUCKET'))}`;
    case 'azure':
      return `az://${encodeURIComponent(get('AZURE_CONTAINER_NAME'))}`;
    case 'gcp':
      return `gs://${encodeURIComponent(either('GOOGLE_BUCKET', 'GOOGLE_BUCKET_NAME'))}`;
    default:
      throw invalidError(
        'INVALID_SETTING',
        `CLOUD_PROVIDER=${JSON.stringify(provider)} is not supported (local, memory, aws, azure, gcp)`,
      );
  }
}

/** Azurite's documented development account and key (what object_store's AZURE_STORAGE_USE_EMULATOR uses). */
const EMULATOR_ACCOUNT = 'devstoreaccount1';
const EMULATOR_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * The environment with object_store's other spellings mapped to the names resolve.ts reads (set names win):
 * AZURE_STORAGE_ACCESS_KEY / AZURE_STORAGE_SAS_KEY, AZURE_STORAGE_USE_EMULATOR (Azurite at
 * AZURITE_BLOB_STORAGE_URL, default http://127.0.0.1:10000, with its development account).
 */
export function objectStoreEnvAliases(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  const alias = (name: string, from: string | undefined) => {
    if ((out[name] === undefined || out[name] === '') && from !== undefined && from !== '') out[name] = from;
  };
  alias('AZURE_STORAGE_ACCOUNT_KEY', env['AZURE_STORAGE_ACCESS_KEY']);
  alias('AZURE_STORAGE_SAS_TOKEN', env['AZURE_STORAGE_SAS_KEY']);
  if (/^(1|true|yes)$/i.test(env['AZURE_STORAGE_USE_EMULATOR'] ?? '')) {
    alias('AZURE_STORAGE_ACCOUNT_NAME', EMULATOR_ACCOUNT);
    if (out['AZURE_STORAGE_ACCOUNT_NAME'] === EMULATOR_ACCOUNT)
      alias('AZURE_STORAGE_ACCOUNT_KEY', EMULATOR_KEY);
    const base = (env['AZURITE_BLOB_STORAGE_URL'] || 'http://127.0.0.1:10000').replace(/\/+$/, '');
    alias('AZURE_STORAGE_ENDPOINT', `${base}/${out['AZURE_STORAGE_ACCOUNT_NAME']}`);
  }
  return out;
}

/** Opens the store a command names; also returns the URL it resolved. */
export async function openCliStore(
  src: StoreSource,
  env: Env,
  cwd: string,
): Promise<{ store: ObjectStore; url: string }> {
  const full = withDotenv(env, resolve(cwd, src.envFile ?? '.env'), src.envFile !== undefined);
  const url = src.store ?? storeUrlFromEnv(full, cwd);
  return { store: await resolveObjectStore(url, { env: objectStoreEnvAliases(full) }), url };
}
