/**
 * Durability methods: how 'auto' resolves per platform, what is reported as in force, and that syncDirectory
 * really makes directory entries durable (checked on the crashable memory file system).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isShaleDBError } from '../util/errors.js';
import { describeDurability, resolveDurability, syncDirectory } from './durability.js';
import { FaultyFileSystem } from './faulty-file-system.js';
import { IoError } from './io-error.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { NodeFileSystem } from './node-file-system.js';

test('auto resolves to data on Linux and macOS, sync elsewhere; explicit methods stay', () => {
  assert.equal(resolveDurability('auto', 'linux'), 'data');
  assert.equal(resolveDurability('auto', 'darwin'), 'data');
  assert.equal(resolveDurability('auto', 'win32'), 'sync');
  assert.equal(resolveDurability('auto', 'freebsd'), 'sync');
  for (const m of ['sync', 'data', 'none'] as const) assert.equal(resolveDurability(m, 'linux'), m);
});

test('the method in force is observable, and none is labelled unsafe', () => {
  const linux = new NodeFileSystem('linux');
  assert.deepEqual(describeDurability('auto', linux), {
    requested: 'auto',
    method: process.platform === 'linux' || process.platform === 'darwin' ? 'data' : 'sync',
    primitive: process.platform === 'linux' || process.platform === 'darwin' ? 'fdatasync(2)' : 'fsync(2)',
    safe: true,
  });
  assert.equal(describeDurability('sync', linux).primitive, 'fsync(2)');
  assert.equal(describeDurability('data', new NodeFileSystem('darwin')).primitive, 'fcntl(F_FULLFSYNC)');
  const none = describeDurability('none', linux);
  assert.equal(none.safe, false);
  assert.match(none.primitive, /UNSAFE/);
});

test('unknown methods are invalid errors', () => {
  assert.throws(
    () => resolveDurability('fast' as never),
    (e: unknown) => isShaleDBError(e, 'invalid'),
  );
});

test('syncDirectory makes a new entry survive a crash; none skips it', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdir('/a');
  await fs.mkdir('/b');
  await syncDirectory('/', { fs });
  await (await fs.open('/a/x', 'create')).close();
  await (await fs.open('/b/y', 'create')).close();
  await syncDirectory('/a', { fs });
  await syncDirectory('/b', { fs, durability: 'none' });
  fs.crash();
  fs.restart();
  assert.deepEqual(await fs.readdir('/a'), ['x']);
  assert.deepEqual(await fs.readdir('/b'), []);
});

test('a failed directory fsync is an IoError at step fsync-dir', async () => {
  const fs = new FaultyFileSystem(new MemoryFileSystem(), [{ op: 'syncDir', errno: 'EIO' }]);
  const err = await syncDirectory('/', { fs }).catch((e: unknown) => e);
  assert.ok(err instanceof IoError);
  assert.equal(err.step, 'fsync-dir');
  assert.equal(err.code, 'IO_EIO');
  assert.equal(err.retryable, false);
});
