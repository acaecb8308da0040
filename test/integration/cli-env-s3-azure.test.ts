/**
 * The `shaledb` commands on cloud stores named as slatedb-cli 0.12.1 names them, by environment only (no
 * `--store`): CLOUD_PROVIDER=aws with AWS_BUCKET_NAME and AWS_* against a Ceph RGW, CLOUD_PROVIDER=azure with
 * AZURE_CONTAINER_NAME and AZURE_STORAGE_* (object_store's AZURE_STORAGE_ACCESS_KEY spelling) against Azurite, both
 * started by the test runner (or by this file when run alone). A database written by ShaleDB through the same
 * store is read back by `stats`, checkpointed and scanned.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { objectStoreEnvAliases } from '../../src/cli/store-env.js';
import { resolveObjectStore } from '../../src/object-store/resolve.js';
import { Db } from '../../src/open/open.js';
import { azureTestTarget } from '../support/azurite-server.js';
import { cli, cliJson } from '../support/cli-run.js';
import { s3TestTarget } from '../support/rgw-server.js';

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;
const [s3, azure] = await Promise.all([s3TestTarget(), azureTestTarget()]);
after(() => Promise.all([s3.stop(), azure.stop()]));
const name = `shaledb-cli-${process.pid}`;

/** Writes 20 keys in two L0s through `url`, then checks the CLI sees them with only `env`. */
async function roundTrip(url: string, env: Record<string, string>): Promise<void> {
  const store = await resolveObjectStore(url, { env: objectStoreEnvAliases(env) });
  const db = await Db.open('db', store, { settings });
  for (let i = 0; i < 20; i++) {
    await db.put(`k${String(i).padStart(2, '0')}`, `v${i}`);
    if (i === 9) await db.flush({ type: 'memtable' });
  }
  await db.flush({ type: 'memtable' });
  await db.close();
  await store.close();

  const stats = await cliJson<{ l0_ssts: number }>(['--path', 'db', 'stats'], { env });
  assert.equal(stats.l0_ssts, 2);
  const cp = await cliJson<{ id: string }>(['-p', 'db', 'create-checkpoint', '-n', 'cloud'], { env });
  const listed = await cliJson<Array<{ id: string; name: string }>>(['-p', 'db', 'list-checkpoints'], {
    env,
  });
  assert.deepEqual(
    listed.map((c) => [c.id, c.name]),
    [[cp.id, 'cloud']],
  );
  const scan = await cli(['-p', 'db', 'scan', '--checkpoint', cp.id, '--from', 'k08', '--to', 'k12'], {
    env,
  });
  assert.equal(scan.code, 0, scan.stderr);
  assert.equal(scan.stdout, 'k08\tv8\nk09\tv9\nk10\tv10\nk11\tv11\n');
}

test('CLOUD_PROVIDER=aws: the bucket and credentials from AWS_* variables', async () => {
  const t = s3.target;
  const client = new S3Client({
    endpoint: t.endpoint,
    region: t.region,
    forcePathStyle: true,
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: name }));
  client.destroy();
  await roundTrip(`s3://${name}`, {
    CLOUD_PROVIDER: 'aws',
    AWS_BUCKET_NAME: name,
    AWS_ACCESS_KEY_ID: t.accessKeyId,
    AWS_SECRET_ACCESS_KEY: t.secretAccessKey,
    AWS_ENDPOINT: t.endpoint,
    AWS_REGION: t.region,
    AWS_VIRTUAL_HOSTED_STYLE_REQUEST: 'false',
  });
});

test('CLOUD_PROVIDER=azure: the container and account from AZURE_* variables', async () => {
  const t = azure.target;
  await BlobServiceClient.fromConnectionString(t.connectionString).getContainerClient(name).create();
  await roundTrip(`az://${name}`, {
    CLOUD_PROVIDER: 'azure',
    AZURE_CONTAINER_NAME: name,
    AZURE_STORAGE_ACCOUNT_NAME: t.accountName,
    AZURE_STORAGE_ACCESS_KEY: t.accountKey,
    AZURE_STORAGE_ENDPOINT: t.url,
  });
});
