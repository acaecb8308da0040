/**
 * GcsObjectStore against the request-level fake GCS server (test/support/gcs-fake-server.ts; no real GCS or
 * emulator is available here): the whole contract suite, plus what the adapter sends: generation preconditions
 * (`ifGenerationMatch=0` for create, `=<etag>` for CAS), CRC-32C on uploads, resumable uploads for streams, error
 * mapping, and URL resolution. Passing here shows the adapter speaks the documented protocol to this fake, not
 * that Google's service behaves like the fake.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeGcsServer } from '../../test/support/gcs-fake-server.js';
import { describeObjectStoreContract } from '../../test/support/object-store-contract.js';
import { bytesOf, rejectsWith, textOf } from '../../test/support/object-store-contract-basic.js';
import { createGcsObjectStore, type GcsObjectStoreOptions } from './gcs-store.js';
import { resolveObjectStore } from './resolve.js';

const fake = await startFakeGcsServer(['contract', 'specifics']);
after(() => fake.close());
let run = 0;
function options(bucket: string): GcsObjectStoreOptions {
  return { bucket, prefix: `run-${++run}`, endpoint: fake.endpoint, projectId: 'test', listPageSize: 100 };
}

describeObjectStoreContract('gcs on the fake server', {
  makeStore: () => createGcsObjectStore(options('contract')),
});

describe('gcs specifics (fake server)', () => {
  it('create and CAS send generation preconditions; the etag is the generation', async () => {
    const s = await createGcsObjectStore(options('specifics'));
    const from = fake.requests.length;
    const r = await s.put('k', bytesOf('1'), { mode: 'create' });
    const key = `run-${run}/k`;
    assert.equal(r.etag, String(fake.generationOf('specifics', key)));
    await s.put('k', bytesOf('2'), { mode: { ifMatch: r.etag! } });
    const urls = fake.requests.slice(from).map((q) => q.url);
    assert.match(urls[0]!, /uploadType=multipart.*ifGenerationMatch=0/);
    assert.match(urls[1]!, new RegExp(`ifGenerationMatch=${r.etag}`));
    await rejectsWith(
      s.put('k', bytesOf('3'), { mode: { ifMatch: 'not-a-generation' } }),
      'precondition-failed',
    );
    assert.equal(fake.requests.length - from, 2, 'a non-numeric etag is refused without a request');
  });

  it('streams use one resumable upload', async () => {
    const s = await createGcsObjectStore(options('specifics'));
    const from = fake.requests.length;
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 5; i++) yield Buffer.alloc(300_000, i);
    }
    await s.putStream('stream', chunks());
    assert.ok(fake.requests.slice(from).some((q) => /uploadType=resumable/.test(q.url)));
    assert.equal((await s.head('stream')).size, 1_500_000);
  });

  it('server errors map to transient, a missing bucket to permanent', async () => {
    const s = await createGcsObjectStore(options('specifics'));
    await s.put('x', bytesOf('x'));
    fake.failNext(1, 503);
    await rejectsWith(s.get('x'), 'transient');
    fake.failNext(1, 429);
    await rejectsWith(s.put('x', bytesOf('y')), 'transient');
    assert.equal(textOf((await s.get('x')).bytes), 'x');
    const missing = await createGcsObjectStore(options('no-such-bucket'));
    await rejectsWith(missing.put('x', bytesOf('x')), 'permanent');
  });

  it('resolveObjectStore builds a retrying GCS store from a gs:// URL and STORAGE_EMULATOR_HOST', async () => {
    const env = { STORAGE_EMULATOR_HOST: fake.endpoint, GOOGLE_CLOUD_PROJECT: 'test' };
    const s = await resolveObjectStore('gs://specifics/resolved', { env });
    assert.equal(s.description, 'gs://specifics/resolved');
    fake.failNext(2, 503);
    await s.put('a', bytesOf('through two 503s'), { mode: 'create' });
    const direct = await createGcsObjectStore({ ...options('specifics'), prefix: 'resolved' });
    assert.equal(textOf((await direct.get('a')).bytes), 'through two 503s');
  });
});
