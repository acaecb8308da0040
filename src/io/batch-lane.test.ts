/**
 * Batch lane: in-order semantics inside a batch (copies see earlier writes and deletes), BatchError's failed
 * index, completed count and cause, flush sharing (one flush per file and one fsync per directory per group,
 * counted on the memory file system), grouping of queued batches, backpressure, lazy start, draining close, and
 * the real file system.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { isShaleDBError } from '../util/errors.js';
import { BatchLane } from './batch-lane.js';
import { BatchError } from './batch-ops.js';
import { FaultyFileSystem } from './faulty-file-system.js';
import { readWholeFile } from './file-system.js';
import { IoError, isAlreadyExists } from './io-error.js';
import { MemoryFileSystem } from './memory-file-system.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function memFs(...dirs: string[]): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem();
  for (const d of dirs) await fs.mkdir(d);
  await fs.syncDir('/');
  return fs;
}

async function read(fs: MemoryFileSystem, p: string): Promise<string> {
  return dec(await readWholeFile(fs, p));
}

describe('batch semantics', () => {
  test('ops apply in order: copies see earlier writes, deletes and rewrites', async () => {
    const fs = await memFs('/a');
    const lane = new BatchLane({ fs });
    await lane.write('/a/old', enc('old'));
    const r = await lane
      .batch()
      .write('/a/x', enc('one'))
      .copy('/a/x', '/a/y')
      .write('/a/x', enc('two'))
      .copy('/a/old', '/a/z')
      .delete('/a/old')
      .delete('/a/never-existed')
      .commit();
    assert.deepEqual(r, { completed: 6 });
    assert.deepEqual(await fs.readdir('/a'), ['x', 'y', 'z']);
    assert.deepEqual(
      [await read(fs, '/a/x'), await read(fs, '/a/y'), await read(fs, '/a/z')],
      ['two', 'one', 'old'],
    );
    fs.crash();
    fs.restart();
    assert.deepEqual(await fs.readdir('/a'), ['x', 'y', 'z'], 'everything acknowledged is durable');
    await lane.close();
  });

  test('a failure reports the index, the completed count and the cause; earlier ops stay, later ones do not', async () => {
    const fs = await memFs('/a');
    const lane = new BatchLane({ fs });
    await lane.write('/a/taken', enc('first'));
    const err = await lane
      .batch()
      .write('/a/p', enc('p'))
      .delete('/a/q')
      .write('/a/taken', enc('second'), 'create')
      .write('/a/r', enc('r'))
      .commit()
      .catch((e: unknown) => e);
    assert.ok(err instanceof BatchError, String(err));
    assert.equal(err.failedIndex, 2);
    assert.equal(err.completed, 2);
    assert.ok(isAlreadyExists(err.cause));
    assert.equal(err.code, 'ALREADY_EXISTS');
    assert.match(err.message, /batch op 2 \(write \/a\/taken\)/);
    assert.deepEqual(await fs.readdir('/a'), ['p', 'taken'], 'no temp files, nothing after the failure');
    assert.equal(await read(fs, '/a/taken'), 'first');
    fs.crash();
    fs.restart();
    assert.deepEqual(await fs.readdir('/a'), ['p', 'taken'], 'the completed ops are durable');
    await lane.close();
  });

  test('a copy from a path deleted earlier in the batch fails with ENOENT at that op', async () => {
    const fs = await memFs('/a');
    const lane = new BatchLane({ fs });
    await lane.write('/a/src', enc('s'));
    const err = await lane
      .batch()
      .delete('/a/src')
      .copy('/a/src', '/a/dst')
      .commit()
      .catch((e: unknown) => e);
    assert.ok(err instanceof BatchError);
    assert.equal(err.failedIndex, 1);
    assert.equal(err.code, 'IO_ENOENT');
    assert.deepEqual(await fs.readdir('/a'), []);
    await lane.close();
  });

  test('injected faults at each phase: typed cause, index, and no temp file left', async () => {
    const cases: Array<[string, string, string, number, string]> = [
      ['open', 'EMFILE', 'create-temp', 1, '/a/2'],
      ['write', 'ENOSPC', 'write', 1, '/a/2'],
      ['sync', 'EIO', 'flush', 1, '/a/2'],
      ['rename', 'EACCES', 'rename', 1, '/a/2'],
      ['unlink', 'EIO', 'unlink', 2, '/a/gone'],
      ['syncDir', 'EIO', 'fsync-dir', 0, '/a'],
    ];
    for (const [op, errno, step, index, path] of cases) {
      const mem = await memFs('/a');
      const lane = new BatchLane({
        fs: new FaultyFileSystem(mem, [{ op: op as 'open', errno, path: (p) => p.startsWith(path) }]),
      });
      await new BatchLane({ fs: mem }).write('/a/gone', enc('g'));
      const err = await lane
        .batch()
        .write('/a/1', enc('1'))
        .write('/a/2', enc('2'))
        .delete('/a/gone')
        .commit()
        .catch((e: unknown) => e);
      assert.ok(err instanceof BatchError, `${op}: ${err}`);
      assert.equal(err.failedIndex, index, op);
      assert.ok(err.cause instanceof IoError, op);
      assert.equal(err.cause.step, step, op);
      assert.equal(err.code, `IO_${errno}`, op);
      const names = await mem.readdir('/a');
      assert.ok(!names.some((n) => n.includes('#')), `${op}: temp file left: ${names}`);
      await lane.close();
    }
  });

  test('bad batches are invalid errors and nothing runs', async () => {
    const fs = await memFs('/a');
    const lane = new BatchLane({ fs });
    const bad = [
      [{ op: 'write', path: 'rel', data: enc('x') }],
      [{ op: 'write', path: '/a/x#1', data: enc('x') }],
      [{ op: 'write', path: '/a/x', data: 'text' }],
      [{ op: 'move', path: '/a/x' }],
      [{ op: 'copy', from: '/a/x', to: '/a/y', mode: 'upsert' }],
    ];
    for (const b of bad)
      await assert.rejects(lane.submit(b as never), (e: unknown) => isShaleDBError(e, 'invalid'));
    assert.equal(lane.stats.groups, 0, 'the task never started');
    await lane.close();
  });
});

describe('flush sharing and grouping', () => {
  test('a batch of n files in d directories costs n file flushes and d directory fsyncs', async () => {
    const fs = await memFs('/a', '/b');
    const lane = new BatchLane({ fs });
    const before = { ...fs.stats };
    const b = lane.batch();
    for (let i = 0; i < 10; i++) b.write(`/${i % 2 === 0 ? 'a' : 'b'}/f${i}`, enc(`v${i}`));
    await b.commit();
    assert.equal(fs.stats.fileSyncs - before.fileSyncs, 10);
    assert.equal(fs.stats.dirSyncs - before.dirSyncs, 2);
    assert.deepEqual(lane.stats, { groups: 1, batches: 1, ops: 10, fileFlushes: 10, dirSyncs: 2 });
    await lane.close();
  });

  test('queued batches share a group; a batch touching an earlier one waits for the next group', async () => {
    const fs = await memFs('/a');
    const lane = new BatchLane({ fs });
    const before = fs.stats.dirSyncs;
    const results = await Promise.all([
      lane.submit([{ op: 'write', path: '/a/1', data: enc('1') }]),
      lane.submit([{ op: 'write', path: '/a/2', data: enc('2') }]),
      lane.submit([{ op: 'write', path: '/a/3', data: enc('3') }]),
      lane.submit([{ op: 'copy', from: '/a/1', to: '/a/4' }]),
    ]);
    assert.deepEqual(
      results.map((r) => r.completed),
      [1, 1, 1, 1],
    );
    assert.equal(lane.stats.groups, 2);
    assert.equal(fs.stats.dirSyncs - before, 2, 'one directory fsync per group, not per batch');
    assert.equal(await read(fs, '/a/4'), '1');
    await lane.close();
  });

  test('durability none flushes nothing and says it is unsafe', async () => {
    const fs = await memFs('/a');
    const lane = new BatchLane({ fs, durability: 'none' });
    assert.equal(lane.durability.safe, false);
    const before = { ...fs.stats };
    await lane.write('/a/x', enc('x'));
    assert.equal(fs.stats.fileSyncs, before.fileSyncs);
    assert.equal(fs.stats.dirSyncs, before.dirSyncs);
    await lane.close();
  });
});

describe('queue and lifecycle', () => {
  test('backpressure: submitters wait for room; every batch still runs in order', async () => {
    const fs = await memFs('/a');
    const lane = new BatchLane({ fs, maxQueuedBatches: 2, maxGroupOps: 1 });
    const order: number[] = [];
    const all = Array.from({ length: 12 }, (_, i) =>
      lane.submit([{ op: 'write', path: '/a/log', data: enc(`${i}`) }]).then(() => order.push(i)),
    );
    assert.ok(lane.queued <= 2, `queued ${lane.queued}`);
    assert.equal(lane.queued + lane.waiting, 12);
    const late = lane.submit([{ op: 'write', path: '/a/log', data: enc('late') }]);
    await Promise.all(all);
    assert.deepEqual(
      order,
      Array.from({ length: 12 }, (_, i) => i),
    );
    await late;
    assert.equal(await read(fs, '/a/log'), 'late', 'a later submit never overtakes batches waiting for room');
    await lane.close();
  });

  test('close drains queued batches, then refuses new ones', async () => {
    const fs = await memFs('/a');
    const lane = new BatchLane({ fs });
    const pending = Array.from({ length: 5 }, (_, i) => lane.write(`/a/${i}`, enc(`${i}`)));
    const closed = lane.close();
    await Promise.all(pending);
    await closed;
    assert.equal((await fs.readdir('/a')).length, 5);
    await assert.rejects(lane.write('/a/late', enc('x')), (e: unknown) => isShaleDBError(e, 'closed'));
    await lane.close();
  });
});

describe('batch lane on the real file system', () => {
  test('writes, copies and deletes in a temp directory with parents created', async () => {
    await withTempDir(async (dir) => {
      const lane = new BatchLane({ createParents: true });
      await lane
        .batch()
        .write(join(dir, 'x', 'a'), enc('A'))
        .copy(join(dir, 'x', 'a'), join(dir, 'y', 'b'))
        .write(join(dir, 'x', 'c'), [enc('C'), enc('!')], 'create')
        .delete(join(dir, 'x', 'a'))
        .commit();
      assert.deepEqual(readdirSync(join(dir, 'x')), ['c']);
      assert.equal(readFileSync(join(dir, 'y', 'b'), 'utf8'), 'A');
      assert.equal(readFileSync(join(dir, 'x', 'c'), 'utf8'), 'C!');
      await lane.close();
    });
  });
});
