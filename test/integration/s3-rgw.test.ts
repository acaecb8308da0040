/**
 * S3ObjectStore against a real single-node Ceph RGW (started by the test runner, or by this file when run alone;
 * see test/support/rgw-server.ts): the whole contract suite, plus what is particular to S3 here: conditional
 * headers as RGW applies them (If-None-Match: * and If-Match, with the unquoted-etag quirk handled by 'auto'),
 * multipart uploads, error mapping for missing buckets, bad credentials and dead endpoints, and URL resolution.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { isObjectStoreError } from '../../src/object-store/object-store.js';
import { resolveObjectStore } from '../../src/object-store/resolve.js';
import { RetryingObjectStore } from '../../src/object-store/retrying-store.js';
import { createS3ObjectStore, type S3ObjectStoreOptions } from '../../src/object-store/s3-store.js';
import { describeObjectStoreContract } from '../support/object-store-contract.js';
import { bytesOf, rejectsWith, textOf } from '../support/object-store-contract-basic.js';
import { patternBytes } from '../support/object-store-contract-large.js';
import { s3TestTarget } from '../support/rgw-server.js';
import { freePort } from '../support/test-server-process.js';

const { target, stop } = await s3TestTarget();
after(stop);
const bucket = `shaledb-${process.pid}`;
const admin = new S3Client({
  region: target.region,
  endpoint: target.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
});
await admin.send(new CreateBucketCommand({ Bucket: bucket }));
admin.destroy();

let run = 0;
function options(extra: Partial<S3ObjectStoreOptions> = {}): S3ObjectStoreOptions {
  return {
    bucket,
    prefix: `run-${++run}`,
    endpoint: target.endpoint,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    listPageSize: 100,
    ...extra,
  };
}

describeObjectStoreContract('s3 on Ceph RGW', {
  makeStore: () => createS3ObjectStore(options()),
  supports: { versionEtags: false, conditionalLosersMayBeTransient: true },
});

describe('s3 specifics on RGW', () => {
  it('streamed puts above one part use multipart (etag "<md5>-<parts>")', async () => {
    const s = await createS3ObjectStore(options({ partSizeBytes: 5 * 1024 * 1024 }));
    const data = patternBytes(12 * 1024 * 1024 + 5, 7);
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let off = 0; off < data.length; off += 1_000_000) yield data.subarray(off, off + 1_000_000);
    }
    const r = await s.putStream('mp', chunks());
    // RGW 16 returns an empty ETag from CompleteMultipartUpload; the store then reports none.
    assert.equal(r.etag, undefined);
    assert.match((await s.head('mp')).etag ?? '', /-3"?$/);
    assert.ok(Buffer.from((await s.get('mp')).bytes).equals(data));
    await s.close();
  });

  it('If-Match quoting: unquoted works on RGW, quoted is refused, auto finds the working form', async () => {
    const prefix = `quoting-${++run}`;
    const unquoted = await createS3ObjectStore({ ...options({ ifMatchQuoting: 'unquoted' }), prefix });
    const v1 = await unquoted.put('q', bytesOf('1'));
    await unquoted.put('q', bytesOf('2'), { mode: { ifMatch: v1.etag! } });
    const quoted = await createS3ObjectStore({ ...options({ ifMatchQuoting: 'quoted' }), prefix });
    const current = (await quoted.head('q')).etag!;
    // RGW 16 compares If-Match against the unquoted etag: the standard quoted form never matches there.
    await rejectsWith(quoted.put('q', bytesOf('3'), { mode: { ifMatch: current } }), 'precondition-failed');
    const auto = await createS3ObjectStore({ ...options(), prefix });
    await auto.put('q', bytesOf('4'), { mode: { ifMatch: current } });
    assert.equal(textOf((await auto.get('q')).bytes), '4');
    await Promise.all([unquoted.close(), quoted.close(), auto.close()]);
  });

  it('RGW answers some losing concurrent If-Match PUTs with 500; the retrying store turns them into conflicts', async () => {
    const raw = await createS3ObjectStore(options());
    const retrying = new RetryingObjectStore(raw, { backoffInitialMs: 5, backoffMaxMs: 20 });
    await raw.put('k', bytesOf('base'));
    for (let round = 0; round < 4; round++) {
      const etag = (await raw.head('k')).etag!;
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) =>
          retrying.put('k', bytesOf(`r${round}w${i}`), { mode: { ifMatch: etag } }),
        ),
      );
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1);
      for (const r of results) {
        if (r.status === 'rejected')
          assert.ok(isObjectStoreError(r.reason, 'precondition-failed'), String(r.reason));
      }
      assert.equal(textOf((await raw.get('k')).bytes), `r${round}w${winners[0]}`);
    }
    await retrying.close();
  });

  it('a missing bucket and bad credentials are permanent errors; a dead endpoint is transient', async () => {
    const missing = await createS3ObjectStore({ ...options(), bucket: 'no-such-bucket-here' });
    await rejectsWith(missing.put('x', bytesOf('x')), 'permanent');
    const badKey = await createS3ObjectStore(
      options({ credentials: { accessKeyId: 'TESTKEY', secretAccessKey: 'wrong-secret' } }),
    );
    await rejectsWith(badKey.get('x'), 'permanent');
    const dead = await createS3ObjectStore(options({ endpoint: `http://127.0.0.1:${await freePort()}` }));
    await rejectsWith(dead.head('x'), 'transient');
    await Promise.all([missing.close(), badKey.close(), dead.close()]);
  });

  it('resolveObjectStore builds a retrying S3 store from an s3:// URL and the AWS environment', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: target.accessKeyId,
      AWS_SECRET_ACCESS_KEY: target.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
    const url = `s3://${bucket}/resolved/db?endpoint=${encodeURIComponent(target.endpoint)}`;
    const s = await resolveObjectStore(url, { env });
    assert.equal(s.description, `s3://${bucket}/resolved/db`);
    await s.put('a', bytesOf('via url'), { mode: 'create' });
    const direct = await createS3ObjectStore({ ...options(), prefix: 'resolved/db' });
    assert.equal(textOf((await direct.get('a')).bytes), 'via url');
    await Promise.all([s.close(), direct.close()]);
  });
});
