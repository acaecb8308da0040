/**
 * The object store from environment variables (0.12.1's load_object_store_from_env): dotenv parsing, each
 * CLOUD_PROVIDER's URL, 0.12.1's error texts for a missing or unknown provider, the environment winning over the
 * env file, and a local store opened from an env file that an Admin then reads through.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { Db } from '../db/db.js';
import { isShaleDBError } from '../util/errors.js';
import { openAdmin } from './admin.js';
import { loadObjectStoreFromEnv, parseEnvFile, storeUrlFromEnv } from './store-from-env.js';

test('parseEnvFile: KEY=value, export, comments, quotes', () => {
  assert.deepEqual(
    parseEnvFile(
      '# comment\nCLOUD_PROVIDER=local\nexport LOCAL_PATH = /data/x # trailing\n\nA="q \\"x\\" # not a comment"\nB=\'s\'\n',
    ),
    { CLOUD_PROVIDER: 'local', LOCAL_PATH: '/data/x', A: 'q "x" # not a comment', B: 's' },
  );
  assert.throws(
    () => parseEnvFile('no equals sign'),
    (e) => isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
  );
});

test('storeUrlFromEnv: each provider; 0.12.1 error texts', () => {
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'local', LOCAL_PATH: '/data/db' }), 'file:///data/db');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'Memory' }), 'memory:///');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'aws', AWS_BUCKET: 'b1' }), 's3://b1');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'aws', AWS_BUCKET_NAME: 'b2' }), 's3://b2');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'azure', AZURE_CONTAINER_NAME: 'c' }), 'az://c');
  for (const [env, text] of [
    [{}, 'undefined environment variable CLOUD_PROVIDER'],
    [{ CLOUD_PROVIDER: 'invalid' }, 'invalid environment variable CLOUD_PROVIDER value `invalid`'],
    [{ CLOUD_PROVIDER: 'local' }, 'undefined environment variable LOCAL_PATH'],
    [{ CLOUD_PROVIDER: 'aws' }, 'undefined environment variable AWS_BUCKET (or AWS_BUCKET_NAME)'],
    [{ CLOUD_PROVIDER: 'azure' }, 'undefined environment variable AZURE_CONTAINER_NAME'],
  ] as const) {
    assert.throws(
      () => storeUrlFromEnv(env),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_SETTING') && e.message === text,
      text,
    );
  }
});

test('loadObjectStoreFromEnv: an env file names a local store; the environment wins over the file', async () => {
  await withTempDir(async (dir) => {
    const db = await Db.open('db', pathToFileURL(dir).href, {
      settings: { compactorOptions: null, garbageCollectorOptions: null },
    });
    await db.put('k', 'v');
    await db.close();
    const envFile = join(dir, 'test.env');
    writeFileSync(envFile, `CLOUD_PROVIDER=local\nLOCAL_PATH=${join(dir, 'elsewhere')}\n`);
    // The environment's LOCAL_PATH wins over the file's.
    const store = await loadObjectStoreFromEnv(envFile, { LOCAL_PATH: dir });
    const admin = await openAdmin('db', store);
    assert.ok((await admin.readManifest())!.manifest.walIdLastSeen >= 1, 'the database written above');
    await admin.close();
    await store.close();
    assert.equal(existsSync(join(dir, 'elsewhere')), false);
    // A missing env file is fine when the environment names the store.
    const mem = await loadObjectStoreFromEnv(join(dir, 'none.env'), { CLOUD_PROVIDER: 'memory' });
    await mem.close();
    await assert.rejects(loadObjectStoreFromEnv(join(dir, 'none.env'), {}), (e) =>
      isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
    );
  });
});
