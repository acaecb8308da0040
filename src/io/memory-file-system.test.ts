/**
 * The crashable memory file system's own contract: POSIX-like errors, what survives a strict crash (only synced
 * data and synced directory entries), torn-mode bounds (never more than was written, never less than was synced),
 * dead handles after a crash, and crashAfter counting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRand, testSeed } from '../util/random.js';
import { readWholeFile } from './file-system.js';
import { MemoryFileSystem } from './memory-file-system.js';

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs);

test('errors look like Node system errors', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdir('/d');
  const h = await fs.open('/d/f', 'create-exclusive');
  await h.close();
  const code = (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'ok',
      (e: { code: string }) => e.code,
    );
  assert.equal(await code(fs.open('/d/f', 'create-exclusive')), 'EEXIST');
  assert.equal(await code(fs.open('/d/missing', 'read')), 'ENOENT');
  assert.equal(await code(fs.open('/nope/f', 'create')), 'ENOENT');
  assert.equal(await code(fs.open('/d/f/x', 'create')), 'ENOTDIR');
  assert.equal(await code(fs.link('/d/f', '/d/f')), 'EEXIST');
  assert.equal(await code(fs.unlink('/d')), 'EISDIR');
  assert.equal(await code(fs.rmdir('/d')), 'ENOTEMPTY');
  assert.equal(await code(fs.mkdir('/d')), 'EEXIST');
  assert.equal(await code(h.write(bytes(1), 0)), 'EBADF');
});

test('a strict crash keeps exactly the synced data and the synced entries', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdir('/d');
  await fs.syncDir('/');
  const h = await fs.open('/d/f', 'create');
  await h.write(bytes(1, 2, 3), 0);
  await h.sync('data');
  await h.write(bytes(9, 9), 3);
  await fs.syncDir('/d');
  const g = await fs.open('/d/g', 'create');
  await g.write(bytes(7), 0);
  await g.sync('full');
  await fs.rename('/d/f', '/d/f2');
  fs.crash();
  await assert.rejects(h.write(bytes(1), 0), (e: { code: string }) => e.code === 'EIO');
  fs.restart();
  await assert.rejects(h.write(bytes(1), 0), (e: { code: string }) => e.code === 'EBADF');
  assert.deepEqual(await fs.readdir('/d'), ['f'], 'g was never entered durably; the rename was not synced');
  assert.deepEqual(await readWholeFile(fs, '/d/f'), bytes(1, 2, 3));
});

test('torn crashes keep at least what was synced and only bytes that were written', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  for (let round = 0; round < 200; round++) {
    const fs = new MemoryFileSystem();
    const h = await fs.open('/f', 'create');
    await fs.syncDir('/');
    await h.write(new Uint8Array(8).fill(1), 0);
    await h.sync('data');
    await h.write(new Uint8Array(8).fill(2), 8);
    await h.write(new Uint8Array(4).fill(3), 2);
    fs.crash({ mode: 'torn', rand });
    fs.restart();
    const got = await readWholeFile(fs, '/f');
    assert.ok(got.length >= 8 && got.length <= 16, `seed ${seed}: length ${got.length}`);
    for (let i = 0; i < got.length; i++) {
      const allowed = i < 2 || (i >= 6 && i < 8) ? [1] : i < 8 ? [1, 3] : [0, 2];
      assert.ok(allowed.includes(got[i]!), `seed ${seed} round ${round}: byte ${i} = ${got[i]}`);
    }
  }
});

test('crashAfter crashes just before the n-th counted call', async () => {
  const fs = new MemoryFileSystem();
  fs.crashAfter(3);
  await fs.mkdir('/a');
  await fs.mkdir('/b');
  await assert.rejects(fs.mkdir('/c'), (e: { code: string }) => e.code === 'EIO');
  assert.ok(fs.crashed);
  await assert.rejects(fs.readdir('/'), (e: { code: string }) => e.code === 'EIO');
  fs.restart();
  assert.deepEqual(await fs.readdir('/'), []);
});

test('a flush covers only writes made before it began', async () => {
  const fs = new MemoryFileSystem();
  const h = await fs.open('/f', 'create');
  await fs.syncDir('/');
  await h.write(bytes(1), 0);
  const flushing = h.sync('data');
  await h.write(bytes(2), 1);
  await flushing;
  fs.crash();
  fs.restart();
  assert.deepEqual(await readWholeFile(fs, '/f'), bytes(1));
});
