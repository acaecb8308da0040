/**
 * Atomic publish: replace and create modes on the real file system and on the memory one, temp naming, parent
 * creation, the flushes each durability method issues, and every failure step (injected ENOSPC, EIO, EACCES,
 * EMFILE) with its typed error and temp-file cleanup.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { ManualClock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import { SeededRand, testSeed } from '../util/random.js';
import { publishFile, publishFileFromChunks, TEMP_CREATE_ATTEMPTS_MAX } from './atomic-publish.js';
import { FaultyFileSystem, type FsOp } from './faulty-file-system.js';
import { readWholeFile } from './file-system.js';
import { IoError, isAlreadyExists } from './io-error.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { sweepTempFiles } from './temp-file.js';
import { isTempFileName } from './temp-name.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function memWithDir(dir = '/db'): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem();
  await fs.mkdir(dir);
  await fs.syncDir('/');
  return fs;
}

describe('publishFile on the real file system', () => {
  test('replace writes the file, overwrites an existing one and leaves no temp file', async () => {
    await withTempDir(async (dir) => {
      const p = join(dir, 'a.manifest');
      await publishFile(p, enc('one'), { mode: 'replace' });
      assert.equal(readFileSync(p, 'utf8'), 'one');
      await publishFile(p, [enc('tw'), enc('o')], { mode: 'replace', durability: 'sync' });
      assert.equal(readFileSync(p, 'utf8'), 'two');
      assert.deepEqual(readdirSync(dir), ['a.manifest']);
    });
  });

  test('create fails with ALREADY_EXISTS when the file exists, and keeps the old content', async () => {
    await withTempDir(async (dir) => {
      const p = join(dir, '00000000000000000001.manifest');
      await publishFile(p, enc('first'), { mode: 'create' });
      const err = await publishFile(p, enc('second'), { mode: 'create' }).catch((e: unknown) => e);
      assert.ok(isAlreadyExists(err), String(err));
      assert.equal(err.step, 'link');
      assert.equal(err.path, p);
      assert.equal(err.kind, 'unavailable');
      assert.equal(readFileSync(p, 'utf8'), 'first');
      assert.deepEqual(readdirSync(dir), ['00000000000000000001.manifest']);
    });
  });

  test('of 16 racing creators exactly one wins', async () => {
    await withTempDir(async (dir) => {
      const p = join(dir, 'wal-fence.sst');
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => publishFile(p, enc(`writer-${i}`), { mode: 'create' })),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(isAlreadyExists(r.reason));
      assert.equal(readFileSync(p, 'utf8'), `writer-${won[0]}`);
      assert.deepEqual(readdirSync(dir), ['wal-fence.sst']);
    });
  });

  test('createParents makes the missing directories; without it ENOENT is a create-temp error', async () => {
    await withTempDir(async (dir) => {
      const p = join(dir, 'x', 'y', 'z.sst');
      const err = await publishFile(p, enc('z'), { mode: 'replace' }).catch((e: unknown) => e);
      assert.ok(err instanceof IoError);
      assert.equal(err.code, 'IO_ENOENT');
      assert.equal(err.step, 'create-temp');
      await publishFile(p, enc('z'), { mode: 'create', createParents: true });
      assert.equal(readFileSync(p, 'utf8'), 'z');
    });
  });

  test('publishFileFromChunks streams; a failing source leaves nothing behind and its error passes through', async () => {
    await withTempDir(async (dir) => {
      const p = join(dir, 'big.sst');
      async function* chunks(n: number, failAt = -1): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < n; i++) {
          if (i === failAt) throw new Error('source broke');
          yield new Uint8Array(1000).fill(i);
        }
      }
      await publishFileFromChunks(p, chunks(50), { mode: 'replace' });
      const got = readFileSync(p);
      assert.equal(got.length, 50_000);
      for (let i = 0; i < 50; i++) assert.equal(got[i * 1000 + 999], i);
      const q = join(dir, 'broken.sst');
      await assert.rejects(publishFileFromChunks(q, chunks(50, 20), { mode: 'replace' }), /source broke/);
      assert.deepEqual(readdirSync(dir), ['big.sst']);
    });
  });

  test('a temp file of a Rust writer (`<final>#1`) does not disturb a publish', async () => {
    await withTempDir(async (dir) => {
      const p = join(dir, 'a.sst');
      writeFileSync(`${p}#1`, 'rust staging');
      await publishFile(p, enc('ts'), { mode: 'create' });
      assert.equal(readFileSync(p, 'utf8'), 'ts');
      assert.deepEqual(readdirSync(dir).sort(), ['a.sst', 'a.sst#1']);
    });
  });
});

describe('temp names', () => {
  test('temp names are <final>#<14 digits> and SlateDB listing would skip them', async () => {
    const fs = await memWithDir();
    const seen: string[] = [];
    const faulty = new FaultyFileSystem(fs);
    faulty.addRule({
      op: 'open',
      errno: 'EEXIST',
      times: 3,
      path: (p) => {
        seen.push(p);
        return true;
      },
    });
    await publishFile('/db/a.sst', enc('x'), { mode: 'replace', fs: faulty, rand: new SeededRand(7) });
    assert.equal(seen.length, 4, 'three collisions then a fresh name');
    assert.equal(new Set(seen).size, 4);
    for (const s of seen) assert.match(s, /^\/db\/a\.sst#[1-9][0-9]{13}$/);
    for (const s of seen) assert.ok(isTempFileName(s.slice('/db/'.length)));
    assert.deepEqual(await fs.readdir('/db'), ['a.sst']);
  });

  test('isTempFileName follows object_store: split at the first #, non-empty all-digit suffix', () => {
    assert.ok(isTempFileName('a.sst#1'));
    assert.ok(isTempFileName('a.sst#00123'));
    assert.ok(!isTempFileName('a.sst#'));
    assert.ok(!isTempFileName('a.sst'));
    assert.ok(!isTempFileName('a.sst#12a'));
    assert.ok(!isTempFileName('a#b#12'));
  });

  test('after 8 collisions the publish fails with an EEXIST create-temp error', async () => {
    const fs = new FaultyFileSystem(await memWithDir(), [{ op: 'open', errno: 'EEXIST' }]);
    const err = await publishFile('/db/a.sst', enc('x'), { mode: 'replace', fs }).catch((e: unknown) => e);
    assert.ok(err instanceof IoError);
    assert.equal(err.step, 'create-temp');
    assert.equal(err.code, 'IO_EEXIST');
    assert.equal(fs.injected, TEMP_CREATE_ATTEMPTS_MAX);
  });

  test('bad arguments are typed invalid errors', async () => {
    const fs = await memWithDir();
    const bad: Array<[string, object]> = [
      ['db/a.sst', { mode: 'replace' }],
      ['/db/a#b.sst', { mode: 'replace' }],
      ['/db/a.sst#12', { mode: 'create' }],
      ['/db/a.sst', { mode: 'upsert' }],
      ['/db/a.sst', { mode: 'replace', durability: 'fast' }],
    ];
    for (const [p, o] of bad) {
      await assert.rejects(
        publishFile(p, enc('x'), { fs, ...o } as never),
        (e: unknown) => isShaleDBError(e, 'invalid'),
        `${p} ${JSON.stringify(o)}`,
      );
    }
    assert.deepEqual(await fs.readdir('/db'), []);
  });
});

describe('flushes per durability method (memory file system counters)', () => {
  const cases: Array<[string, number, number]> = [
    ['none', 0, 0],
    ['data', 1, 1],
    ['sync', 1, 1],
    ['auto', 1, 1],
  ];
  for (const [durability, fileSyncs, dirSyncs] of cases) {
    test(`${durability}: ${fileSyncs} file flush, ${dirSyncs} directory fsync`, async () => {
      const fs = await memWithDir();
      const before = { ...fs.stats };
      await publishFile('/db/a', enc('x'), { mode: 'create', fs, durability: durability as 'none' });
      assert.equal(fs.stats.fileSyncs - before.fileSyncs, fileSyncs);
      assert.equal(fs.stats.dirSyncs - before.dirSyncs, dirSyncs);
    });
  }

  test('createParents fsyncs the parent of every new directory level, then the file directory', async () => {
    const fs = await memWithDir();
    const before = fs.stats.dirSyncs;
    await publishFile('/db/x/y/a', enc('x'), { mode: 'replace', fs, createParents: true });
    assert.equal(fs.stats.dirSyncs - before, 3);
    fs.crash();
    fs.restart();
    assert.equal(dec(await readWholeFile(fs, '/db/x/y/a')), 'x');
  });

  test('durable publishes survive a crash; with durability none they may not', async () => {
    const fs = await memWithDir();
    await publishFile('/db/safe', enc('kept'), { mode: 'create', fs });
    await publishFile('/db/unsafe', enc('lost'), { mode: 'create', fs, durability: 'none' });
    fs.crash();
    fs.restart();
    assert.deepEqual(await fs.readdir('/db'), ['safe']);
    assert.equal(dec(await readWholeFile(fs, '/db/safe')), 'kept');
  });
});

describe('failure steps', () => {
  const steps: Array<[FsOp, string, string, boolean]> = [
    ['open', 'ENOSPC', 'create-temp', false],
    ['open', 'EMFILE', 'create-temp', false],
    ['open', 'EACCES', 'create-temp', false],
    ['write', 'ENOSPC', 'write', false],
    ['sync', 'EIO', 'flush', false],
    ['close', 'EIO', 'close', false],
    ['rename', 'EACCES', 'rename', false],
    ['link', 'EIO', 'link', false],
    ['syncDir', 'EIO', 'fsync-dir', true],
  ];
  for (const [op, errno, step, finalExists] of steps) {
    test(`${op} failing with ${errno} is an IO_${errno} error at step ${step}, temp file removed`, async () => {
      const mem = await memWithDir();
      const fs = new FaultyFileSystem(mem, [
        { op, errno, partialBytes: 3, path: (p) => p === '/db' || p.startsWith('/db/') },
      ]);
      const mode = op === 'link' ? 'create' : 'replace';
      const err = await publishFile('/db/obj', [enc('hello'), enc(' world')], { mode, fs }).catch((e) => e);
      assert.ok(err instanceof IoError, String(err));
      assert.equal(err.code, `IO_${errno}`);
      assert.equal(err.step, step);
      assert.equal(err.errno, errno);
      assert.match(err.message, new RegExp(`^${step} /db`));
      assert.equal(err.retryable, errno === 'EMFILE' || errno === 'ENOSPC');
      assert.deepEqual(await mem.readdir('/db'), finalExists ? ['obj'] : []);
    });
  }

  test('an aborted publish removes its temp file and throws the reason', async () => {
    const fs = await memWithDir();
    const ac = new AbortController();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield enc('a');
      ac.abort(new Error('stop'));
      yield enc('b');
    }
    await assert.rejects(
      publishFileFromChunks('/db/a', chunks(), { mode: 'replace', fs, signal: ac.signal }),
      /stop/,
    );
    assert.deepEqual(await fs.readdir('/db'), []);
  });
});

describe('publish under simulated power loss', () => {
  test('at every crash point a replaced file is wholly old or wholly new, and new once acknowledged', async () => {
    const seed = testSeed();
    console.log(`seed ${seed}`);
    const rand = new SeededRand(seed);
    for (let crashAt = 1; crashAt <= 12; crashAt++) {
      for (const mode of ['strict', 'torn'] as const) {
        const fs = await memWithDir();
        await publishFile('/db/m', enc('old-version'), { mode: 'replace', fs, rand });
        fs.crashAfter(crashAt, { mode, rand });
        let acked = false;
        try {
          await publishFile('/db/m', enc('new-version!'), { mode: 'replace', fs, rand });
          acked = true;
        } catch (e) {
          assert.ok(fs.crashed, `unexpected failure without a crash: ${e}`);
        }
        fs.crash({ mode, rand });
        fs.restart();
        const got = dec(await readWholeFile(fs, '/db/m'));
        const ctx = `seed ${seed} crashAt ${crashAt} ${mode}`;
        if (acked) assert.equal(got, 'new-version!', ctx);
        else assert.ok(got === 'old-version' || got === 'new-version!', `${ctx}: torn content ${got}`);
        const names = (await fs.readdir('/db')).filter((n) => !isTempFileName(n));
        assert.deepEqual(names, ['m'], ctx);
      }
    }
  });
});

describe('sweeping leftover temp files', () => {
  test('removes only temp names older than the cutoff', async () => {
    const clock = new ManualClock(1_000_000);
    const fs = new MemoryFileSystem(clock);
    await fs.mkdir('/db');
    for (const n of ['a.sst#1', 'b.sst#123456', 'c.sst', 'd#x1'])
      await (await fs.open(`/db/${n}`, 'create')).close();
    await clock.advance(10_000);
    await (await fs.open('/db/e.sst#99', 'create')).close();
    assert.equal(await sweepTempFiles(fs, '/db', clock.nowMs() - 5_000), 2);
    assert.deepEqual(await fs.readdir('/db'), ['c.sst', 'd#x1', 'e.sst#99']);
  });
});
