/**
 * AzureBlobObjectStore against Azurite 3.35.0 (started by the test runner, or by this file when run alone; see
 * test/support/azurite-server.ts): the whole contract suite, plus Azure particulars: create answered 409
 * BlobAlreadyExists, block-list uploads, suffix reads, the ignored `startFrom`, error mapping and URL resolution.
 * Declared limitations: Azurite lists in UTF-16 code-unit order (keys in U+E000..U+FFFF sort above emoji), a
 * backslash in a key becomes '/', and control characters in keys break listings (HTTP 500).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import {
  type AzureBlobObjectStoreOptions,
  createAzureBlobObjectStore,
} from '../../src/object-store/azure-store.js';
import { resolveObjectStore } from '../../src/object-store/resolve.js';
import { azureTestTarget } from '../support/azurite-server.js';
import { describeObjectStoreContract } from '../support/object-store-contract.js';
import { bytesOf, collect, rejectsWith, textOf } from '../support/object-store-contract-basic.js';
import { patternBytes } from '../support/object-store-contract-large.js';
import { freePort } from '../support/test-server-process.js';

const { target, stop } = await azureTestTarget();
after(stop);
const container = `shaledb-${process.pid}`;
await BlobServiceClient.fromConnectionString(target.connectionString).getContainerClient(container).create();

let run = 0;
function options(extra: Partial<AzureBlobObjectStoreOptions> = {}): AzureBlobObjectStoreOptions {
  return {
    container,
    prefix: `run-${++run}`,
    connectionString: target.connectionString,
    listPageSize: 100,
    ...extra,
  };
}

describeObjectStoreContract('azure on Azurite', {
  makeStore: () => createAzureBlobObjectStore(options()),
  supports: { codePointListOrder: false, backslashKeys: false, controlCharacterKeys: false },
});

describe('azure specifics on Azurite', () => {
  it('create on an existing blob maps 409 BlobAlreadyExists to already-exists', async () => {
    const s = await createAzureBlobObjectStore(options());
    await s.put('c', bytesOf('1'), { mode: 'create' });
    await assert.rejects(s.put('c', bytesOf('2'), { mode: 'create' }), (e: unknown) => {
      assert.match(String(e), /409 BlobAlreadyExists/);
      return true;
    });
    await rejectsWith(s.put('c', bytesOf('2'), { mode: 'create' }), 'already-exists');
  });

  it('streamed puts commit a block list; suffix reads are pinned to one version', async () => {
    const s = await createAzureBlobObjectStore(options({ blockSizeBytes: 1024 * 1024 }));
    const data = patternBytes(3 * 1024 * 1024 + 17, 3);
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let off = 0; off < data.length; off += 700_000) yield data.subarray(off, off + 700_000);
    }
    const r = await s.putStream('blocks', chunks());
    assert.equal(r.etag, (await s.head('blocks')).etag);
    assert.ok(Buffer.from((await s.get('blocks')).bytes).equals(data));
    const tail = await s.get('blocks', { range: { suffix: 100 } });
    assert.ok(Buffer.from(tail.bytes).equals(data.subarray(data.length - 100)));
    assert.equal(tail.meta.etag, r.etag);
  });

  it('startAfter is applied even though Azurite ignores startFrom', async () => {
    const s = await createAzureBlobObjectStore(options({ listPageSize: 2 }));
    for (const k of ['a', 'b', 'c', 'd', 'e']) await s.put(k, bytesOf(k));
    assert.deepEqual(
      (await collect(s.list('', { startAfter: 'b' }))).map((m) => m.path),
      ['c', 'd', 'e'],
    );
  });

  it('a missing container and bad keys are permanent errors; a dead endpoint is transient', async () => {
    const missing = await createAzureBlobObjectStore({ ...options(), container: 'no-such-container' });
    await rejectsWith(missing.put('x', bytesOf('x')), 'permanent');
    const bad = await createAzureBlobObjectStore({
      container,
      accountName: target.accountName,
      accountKey: Buffer.from('wrong key').toString('base64'),
      endpoint: target.url,
    });
    await rejectsWith(bad.get('x'), 'permanent');
    const dead = await createAzureBlobObjectStore({
      container,
      accountName: target.accountName,
      accountKey: target.accountKey,
      endpoint: `http://127.0.0.1:${await freePort()}/${target.accountName}`,
    });
    await rejectsWith(dead.head('x'), 'transient');
  });

  it('resolveObjectStore builds a retrying Azure store from an az:// URL and AZURE_STORAGE_* variables', async () => {
    const env = {
      AZURE_STORAGE_ACCOUNT_NAME: target.accountName,
      AZURE_STORAGE_ACCOUNT_KEY: target.accountKey,
      AZURE_STORAGE_ENDPOINT: target.url,
    };
    const s = await resolveObjectStore(`az://${container}/resolved/db`, { env });
    assert.equal(s.description, `az://${container}/resolved/db`);
    await s.put('a', bytesOf('via url'), { mode: 'create' });
    const direct = await createAzureBlobObjectStore({ ...options(), prefix: 'resolved/db' });
    assert.equal(textOf((await direct.get('a')).bytes), 'via url');
  });
});
