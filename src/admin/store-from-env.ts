/**
 * The object store named by environment variables, as SlateDB 0.12.1's `admin::load_object_store_from_env` (what
 * the `slatedb` CLI's `--env-file` uses): `CLOUD_PROVIDER` = `local` (with `LOCAL_PATH`), `memory`, `aws` (bucket
 * from `AWS_BUCKET` or `AWS_BUCKET_NAME`, credentials, region and endpoint from the usual `AWS_*` variables) or
 * `azure` (container from `AZURE_CONTAINER_NAME`, account and key from `AZURE_STORAGE_*`); docs/admin.md#stores.
 *
 * Invariants: variables already in the environment win over the env file's (dotenv's rule); the env file is
 * optional (a missing one is ignored, as 0.12.1 ignores it); unlike 0.12.1, nothing is written into process.env;
 * a missing or unknown `CLOUD_PROVIDER`, or a missing required variable, is 'invalid' INVALID_SETTING naming it.
 * Concurrency: reads the file once; pure otherwise.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { invalidError, isShaleDBError } from '../util/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Parses dotenv text: `KEY=value` lines, optional `export `, `#` comments, single or double quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (m === null)
      throw invalidError('INVALID_SETTING', `env file: cannot parse line ${JSON.stringify(raw)}`);
    let v = m[2]!;
    const q = v[0];
    if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    } else {
      const hash = v.search(/\s#/);
      if (hash >= 0) v = v.slice(0, hash).trimEnd();
    }
    out[m[1]!] = v;
  }
  return out;
}

function required(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v === '')
    throw invalidError('INVALID_SETTING', `undefined environment variable ${name}`);
  return v;
}

/** The store URL the environment names (see the file header). */
export function storeUrlFromEnv(env: Env): string {
  const provider = required(env, 'CLOUD_PROVIDER');
  switch (provider.toLowerCase()) {
    case 'local':
      return pathToFileURL(resolve(required(env, 'LOCAL_PATH'))).href;
    case 'memory':
      return 'memory:///';
    case 'aws': {
      const bucket = env['AWS_BUCKET'] || env['AWS_BUCKET_NAME'];
      if (bucket === undefined || bucket === '')
        throw invalidError(
          'INVALID_SETTING',
          'undefined environment variable AWS_BUCKET (or AWS_BUCKET_NAME)',
        );
      return `s3://${encodeURIComponent(bucket)}`;
    }
    case 'azure':
      return `az://${encodeURIComponent(required(env, 'AZURE_CONTAINER_NAME'))}`;
    default:
      throw invalidError(
        'INVALID_SETTING',
        `invalid environment variable CLOUD_PROVIDER value \`${provider}\``,
      );
  }
}

/**
 * Opens the object store the environment names, reading `envFile` (default ".env"; missing is fine) beneath
 * `env` (default process.env).
 */
export async function loadObjectStoreFromEnv(
  envFile: string = '.env',
  env: Env = process.env,
): Promise<ObjectStore> {
  let merged: Record<string, string> = {};
  try {
    merged = parseEnvFile(await readFile(envFile, 'utf8'));
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== 'ENOENT') {
      if (isShaleDBError(e)) throw e;
      throw invalidError('INVALID_SETTING', `env file ${envFile}: ${(e as Error).message}`, e);
    }
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return resolveObjectStore(storeUrlFromEnv(merged), { env: merged });
}
