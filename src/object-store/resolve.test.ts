/**
 * resolveObjectStore: every scheme builds the right store with the right options (from the options, the URL query
 * or the environment), wrapped in the retrying store unless `retry: false`; bad URLs are 'invalid' errors; and a
 * `file://` user never loads a cloud SDK (checked in a child process with a module resolve hook).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bytesOf, textOf } from '../../test/support/object-store-contract-basic.js';
import { isShaleDBError } from '../util/errors.js';
import { AzureBlobObjectStore } from './azure-store.js';
import { GcsObjectStore } from './gcs-store.js';
import { LocalObjectStore } from './local-store.js';
import { MemoryObjectStore } from './memory-store.js';
import { resolveObjectStore } from './resolve.js';
import { RetryingObjectStore } from './retrying-store.js';
import { S3ObjectStore } from './s3-store.js';

const dir = mkdtempSync(join(tmpdir(), 'shaledb-resolve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function inner(s: unknown): unknown {
  assert.ok(s instanceof RetryingObjectStore, 'wrapped in the retrying store');
  return s.inner;
}

describe('resolveObjectStore', () => {
  it('file:// gives a local store rooted at the path; memory:// a memory store', async () => {
    const s = await resolveObjectStore(`file://${dir}/a/db`);
    const local = inner(s);
    assert.ok(local instanceof LocalObjectStore);
    assert.equal(local.root, `${dir}/a/db`);
    await s.put('x/y', bytesOf('v'));
    assert.equal(textOf((await s.get('x/y')).bytes), 'v');
    assert.ok(inner(await resolveObjectStore('memory:///')) instanceof MemoryObjectStore);
    assert.ok((await resolveObjectStore('memory:///', { retry: false })) instanceof MemoryObjectStore);
  });

  it('s3:// takes bucket and prefix from the URL, settings from options, query or AWS_* variables', async () => {
    const env = {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_REGION: 'eu-west-1',
    };
    const s = inner(await resolveObjectStore('s3://my-bucket/some/prefix/', { env }));
    assert.ok(s instanceof S3ObjectStore);
    assert.equal(s.description, 's3://my-bucket/some/prefix');
    await (s as S3ObjectStore).close();
    const q = await resolveObjectStore('s3://b?endpoint=http%3A%2F%2F127.0.0.1%3A9&forcePathStyle=true', {
      env: {},
      retry: false,
    });
    assert.equal(q.description, 's3://b');
    await q.close();
    await assert.rejects(resolveObjectStore('s3://b?ifMatchQuoting=sometimes', { env }), (e) =>
      isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
    );
    await assert.rejects(resolveObjectStore('s3://b?forcePathStyle=maybe', { env }), (e) =>
      isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
    );
  });

  it('az:// and gs:// build Azure and GCS stores from options or variables', async () => {
    const az = inner(
      await resolveObjectStore('az://container/p', {
        env: {
          AZURE_STORAGE_ACCOUNT_NAME: 'acct',
          AZURE_STORAGE_ACCOUNT_KEY: Buffer.from('k').toString('base64'),
        },
      }),
    );
    assert.ok(az instanceof AzureBlobObjectStore);
    assert.equal(az.description, 'az://container/p');
    await assert.rejects(resolveObjectStore('azure://container', { env: {} }), (e) =>
      isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
    );
    const gs = inner(
      await resolveObjectStore('gs://bucket/x/y', { env: { STORAGE_EMULATOR_HOST: '127.0.0.1:9' } }),
    );
    assert.ok(gs instanceof GcsObjectStore);
    assert.equal(gs.description, 'gs://bucket/x/y');
  });

  it('bad URLs are invalid input', async () => {
    for (const bad of [
      '',
      'not a url',
      'ftp://host/x',
      'file://remote-host/x',
      's3:///no-bucket',
      's3://user:pw@b/x',
    ]) {
      await assert.rejects(resolveObjectStore(bad), (e) => isShaleDBError(e, 'invalid'), bad);
    }
  });

  it('a file:// user never loads a cloud SDK; an s3:// user loads only the AWS one', async () => {
    const child = fileURLToPath(new URL('../../test/support/resolve-lazy-child.ts', import.meta.url));
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', child, dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => {
        stdout += d;
      });
      p.stderr.on('data', (d) => {
        stderr += d;
      });
      p.on('exit', (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`)),
      );
    });
    const { afterLocal, afterS3 } = JSON.parse(out.trim().split('\n').pop()!) as {
      afterLocal: string[];
      afterS3: string[];
    };
    assert.deepEqual(afterLocal, []);
    assert.ok(afterS3.includes('@aws-sdk/client-s3'), JSON.stringify(afterS3));
    assert.ok(
      !afterS3.some((s) => s.startsWith('@azure/') || s.startsWith('@google-cloud/')),
      JSON.stringify(afterS3),
    );
  });
});
