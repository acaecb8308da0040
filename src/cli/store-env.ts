/**
 * Which object store a `shaledb` command works on: `--store URL` (any URL src/object-store/resolve.ts takes), or,
 * as slatedb-cli 0.12.1's `admin::load_object_store_from_env` does (the admin API's src/admin/store-from-env.ts,
 * which this builds on), the `CLOUD_PROVIDER` environment variable after reading `--env-file` (default `./.env`):
 *
 * | CLOUD_PROVIDER | Store | Variables |
 * |---|---|---|
 * | `local` | LocalObjectStore at LOCAL_PATH | LOCAL_PATH (required) |
 * | `memory` | a new, empty MemoryObjectStore | |
 * | `aws` | S3 bucket AWS_BUCKET (or AWS_BUCKET_NAME) | AWS_* as for `s3://` URLs (endpoint, region, keys) |
 * | `azure` | container AZURE_CONTAINER_NAME | AZURE_STORAGE_* as for `az://` URLs, and AZURE_STORAGE_USE_EMULATOR |
 * | `gcp` (ShaleDB only) | GCS bucket GOOGLE_BUCKET (or GOOGLE_BUCKET_NAME) | as for `gs://` URLs |
 *
 * Invariants: `--store` wins over the environment; a missing or unknown variable is an 'invalid' INVALID_SETTING
 * error naming it (`opendal`, which 0.12.1 can be built with, is refused); relative paths (the env file,
 * LOCAL_PATH) are resolved against the command's working directory.
 * Concurrency: each call builds a new store; the caller closes it.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { storeUrlFromEnv as adminStoreUrlFromEnv, parseEnvFile } from '../admin/store-from-env.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { invalidError, isShaleDBError } from '../util/errors.js';
import { usageError } from './args.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the store comes from. */
export interface StoreSource {
  /** `--store URL`. */
  readonly store?: string | undefined;
  /** `--env-file FILE` (default `.env`; a missing file is ignored, as 0.12.1 ignores it). */
  readonly envFile?: string | undefined;
}

/**
 * The store URL the environment names (the admin API's `storeUrlFromEnv`, plus `gcp` and a hint when nothing names
 * a store). `cwd` resolves a relative LOCAL_PATH.
 */
export function storeUrlFromEnv(env: Env, cwd: string): string {
  const provider = env['CLOUD_PROVIDER'];
  if (provider === undefined || provider === '') {
    throw usageError(
      'no object store: give --store URL, or set CLOUD_PROVIDER (local, memory, aws, azure, gcp)',
    );
  }
  if (provider.toLowerCase() === 'gcp') {
    const bucket = env['GOOGLE_BUCKET'] || env['GOOGLE_BUCKET_NAME'];
    if (bucket === undefined || bucket === '') {
      throw invalidError(
        'INVALID_SETTING',
        'undefined environment variable GOOGLE_BUCKET (or GOOGLE_BUCKET_NAME)',
      );
    }
    return `gs://${encodeURIComponent(bucket)}`;
  }
  const local = env['LOCAL_PATH'];
  const absolute =
    local === undefined || local === '' || isAbsolute(local) ? {} : { LOCAL_PATH: resolve(cwd, local) };
  return adminStoreUrlFromEnv({ ...env, ...absolute });
}

/** `env` beneath the variables of `file` (those already set win); a missing file adds nothing. */
export function withEnvFile(env: Env, file: string): Record<string, string | undefined> {
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parseEnvFile(readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (isShaleDBError(e)) throw e;
      throw invalidError('INVALID_SETTING', `env file ${file}: ${(e as Error).message}`, e);
    }
  }
  const out: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
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
  const full = withEnvFile(env, resolve(cwd, src.envFile ?? '.env'));
  const url = src.store ?? storeUrlFromEnv(full, cwd);
  return { store: await resolveObjectStore(url, { env: objectStoreEnvAliases(full) }), url };
}
