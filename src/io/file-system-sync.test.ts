/**
 * The synchronous FileSystem calls and the identity stats (inode, link count, ns mtime) the local object store is
 * built on, run alike on the real file system and the memory one: a file keeps its inode across renames and
 * links, link counts follow names, an open handle's stat still describes an unlinked file, utimes lands at the
 * microsecond asked for, and directory entries report their type. Then the memory file system's crash model for
 * this metadata: inodes survive, link counts are recounted, and the mtime is the one of the last flush.
 */
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type FileSystem, readWholeFileSync } from './file-system.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { nodeFileSystem } from './node-file-system.js';

const realRoot = nodeFs.mkdtempSync(join(tmpdir(), 'shaledb-fs-sync-'));
after(() => nodeFs.rmSync(realRoot, { recursive: true, force: true }));

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs);

async function exercise(fs: FileSystem, root: string): Promise<void> {
  await fs.mkdir(`${root}/d`);
  const h = fs.openSync(`${root}/d/a`, 'create-exclusive');
  h.writeSync(bytes(1, 2, 3, 4), 0);
  const st = h.statSync();
  assert.equal(st.size, 4);
  assert.equal(st.nlink, 1);
  assert.ok(st.isFile && !st.isDirectory);
  h.closeSync();
  assert.throws(() => fs.openSync(`${root}/d/a`, 'create-exclusive'), { code: 'EEXIST' });

  fs.linkSync(`${root}/d/a`, `${root}/d/b`);
  assert.throws(() => fs.linkSync(`${root}/d/a`, `${root}/d/b`), { code: 'EEXIST' });
  const a = fs.statSync(`${root}/d/a`);
  const b = fs.statSync(`${root}/d/b`);
  assert.equal(a.ino, b.ino);
  assert.equal(a.nlink, 2);
  fs.renameSync(`${root}/d/b`, `${root}/d/c`);
  assert.equal(fs.statSync(`${root}/d/c`).ino, a.ino);
  assert.throws(() => fs.statSync(`${root}/d/b`), { code: 'ENOENT' });

  const r = fs.openSync(`${root}/d/c`, 'read');
  fs.unlinkSync(`${root}/d/a`);
  fs.unlinkSync(`${root}/d/c`);
  assert.throws(() => fs.unlinkSync(`${root}/d/c`), { code: 'ENOENT' });
  const gone = r.statSync();
  assert.equal(gone.nlink, 0, 'an open file outlives its names');
  const into = new Uint8Array(8);
  assert.equal(r.readSync(into, 1), 3);
  assert.deepEqual(into.subarray(0, 3), bytes(2, 3, 4));
  r.closeSync();

  const w = fs.openSync(`${root}/d/t`, 'create');
  w.writeSync(bytes(9), 0);
  w.closeSync();
  const stampUs = 1_700_000_123_456_789n;
  fs.setTimesSync(`${root}/d/t`, stampUs);
  const t = fs.statSync(`${root}/d/t`);
  assert.equal(t.mtimeNs / 1000n, stampUs);
  assert.ok(Math.abs(t.mtimeMs - Number(stampUs) / 1000) < 0.01);
  assert.deepEqual(readWholeFileSync(fs, `${root}/d/t`), bytes(9));

  await fs.mkdir(`${root}/d/sub`);
  const entries = fs
    .listDirSync(`${root}/d`)
    .map((e) => [e.name, e.isFile, e.isDirectory, e.isSymbolicLink])
    .sort();
  assert.deepEqual(entries, [
    ['sub', false, true, false],
    ['t', true, false, false],
  ]);
  assert.throws(() => fs.listDirSync(`${root}/d/t`), { code: 'ENOTDIR' });
}

test('sync calls and identity stats on the real file system', async () => {
  await exercise(nodeFileSystem, realRoot);
});

test('sync calls and identity stats on the memory file system', async () => {
  await exercise(new MemoryFileSystem(), '');
});

test('a crash keeps inode numbers and the mtime of the last flush, and recounts links', async () => {
  const fs = new MemoryFileSystem();
  const h = fs.openSync('/f', 'create');
  h.writeSync(bytes(1), 0);
  fs.setTimesSync('/f', 5_000_000n);
  await h.sync('data');
  fs.setTimesSync('/f', 9_000_000n);
  fs.linkSync('/f', '/g');
  await fs.syncDir('/');
  fs.linkSync('/f', '/h');
  const before = fs.statSync('/f');
  assert.equal(before.nlink, 3);
  fs.crash();
  fs.restart();
  const after = fs.statSync('/f');
  assert.equal(after.ino, before.ino);
  assert.equal(after.nlink, 2, 'the unsynced link /h is gone');
  assert.equal(after.mtimeNs, 5_000_000_000n, 'the mtime set after the flush is lost');
  assert.throws(() => fs.statSync('/h'), { code: 'ENOENT' });
});
