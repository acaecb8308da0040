/**
 * LocalObjectStore over an injected FileSystem: the whole object-store contract on the in-memory file system
 * (so the power-loss suites exercise the same store as the real disk), and typed errors with no leftovers when
 * the file layer fails (FaultyFileSystem): a full disk while staging is transient and leaves no staging file, a
 * failed link or rename leaves the previous version in place; a listing that cannot read a directory fails
 * (a missing one lists nothing).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeObjectStoreContract } from '../../test/support/object-store-contract.js';
import { bytesOf, collect, textOf } from '../../test/support/object-store-contract-basic.js';
import { FaultyFileSystem } from '../io/faulty-file-system.js';
import { MemoryFileSystem } from '../io/memory-file-system.js';
import { LocalObjectStore } from './local-store.js';
import { isObjectStoreError } from './object-store.js';

describeObjectStoreContract('local on the memory file system', {
  makeStore: async () => new LocalObjectStore('/store', { fs: new MemoryFileSystem() }),
  supports: { objectAndPrefixKeys: false },
});

/** Every name under `dir`, recursively, relative to it. */
async function namesUnder(fs: MemoryFileSystem, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of fs.listDirSync(dir)) {
    if (e.isDirectory) for (const n of await namesUnder(fs, `${dir}/${e.name}`)) out.push(`${e.name}/${n}`);
    else out.push(e.name);
  }
  return out.sort();
}

describe('local store file-layer failures', () => {
  it('a full disk while staging fails transiently and leaves no staging file; the retry succeeds', async () => {
    const mem = new MemoryFileSystem();
    const faulty = new FaultyFileSystem(mem, [{ op: 'write', errno: 'ENOSPC', times: 1, partialBytes: 3 }]);
    const s = new LocalObjectStore('/store', { fs: faulty });
    await assert.rejects(s.put('a/b', bytesOf('hello')), (e) => isObjectStoreError(e, 'transient'));
    assert.deepEqual(await namesUnder(mem, '/store'), []);
    await s.put('a/b', bytesOf('hello'));
    assert.equal(textOf((await s.get('a/b')).bytes), 'hello');
    assert.deepEqual(await namesUnder(mem, '/store'), ['a/b']);
  });

  it('a failed publish (link or rename) keeps the previous version and removes the staged file', async () => {
    const mem = new MemoryFileSystem();
    const faulty = new FaultyFileSystem(mem);
    const s = new LocalObjectStore('/store', { fs: faulty });
    const first = await s.put('k', bytesOf('v1'));
    faulty.addRule({ op: 'rename', path: '/store/k', errno: 'EIO', times: 1 });
    await assert.rejects(s.put('k', bytesOf('v2')), (e) => isObjectStoreError(e, 'permanent'));
    faulty.addRule({ op: 'link', path: '/store/n', errno: 'EACCES', times: 1 });
    await assert.rejects(s.put('n', bytesOf('x'), { mode: 'create' }), (e) =>
      isObjectStoreError(e, 'permanent'),
    );
    assert.equal(textOf((await s.get('k')).bytes), 'v1');
    assert.equal((await s.head('k')).etag, first.etag);
    assert.deepEqual(
      (await collect(s.list(''))).map((m) => m.path),
      ['k'],
    );
    assert.deepEqual(await namesUnder(mem, '/store'), ['k']);
  });

  it('a directory that cannot be read fails the listing; a missing one lists nothing', async () => {
    const mem = new MemoryFileSystem();
    const faulty = new FaultyFileSystem(mem);
    const s = new LocalObjectStore('/store', { fs: faulty });
    assert.deepEqual(await collect(s.list('')), []);
    await s.put('m/1', bytesOf('a'));
    await s.put('w/1', bytesOf('b'));
    faulty.addRule({ op: 'listDir', path: '/store/m', errno: 'EIO', times: 1 });
    await assert.rejects(collect(s.list('')), (e) => isObjectStoreError(e, 'permanent'));
    assert.deepEqual(
      (await collect(s.list(''))).map((m) => m.path),
      ['m/1', 'w/1'],
    );
    assert.deepEqual(await collect(s.list('nothing/here/')), []);
  });
});
