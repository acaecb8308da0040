/**
 * Journal behaviour: LSNs and replay, group commit (one write and one flush per group, counted on the memory file
 * system), rotation and trimming, backpressure, recovery of damaged tails and torn segment creations, refusal of
 * corrupt data, and poisoning by a failed write or flush (never retried).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { ManualClock } from '../util/clock.js';
import { isDataError, isShaleDBError } from '../util/errors.js';
import { FaultyFileSystem } from './faulty-file-system.js';
import { IoError } from './io-error.js';
import { type Journal, type JournalRecord, openJournal } from './journal.js';
import { segmentFileName } from './journal-format.js';
import { MemoryFileSystem } from './memory-file-system.js';

const rec = (i: number, size = 10): Uint8Array => new Uint8Array(size).fill(i & 0xff);

async function collect(j: Journal, from?: number): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  for await (const r of j.replay(from)) out.push({ lsn: r.lsn, payload: r.payload.slice() });
  return out;
}

async function appendSegment(fs: MemoryFileSystem, path: string, bytes: Uint8Array): Promise<void> {
  const h = await fs.open(path, 'read-write');
  await h.write(bytes, await h.size());
  await h.sync('data');
  await h.close();
}

describe('journal basics', () => {
  test('LSNs start at 1, replay returns every record, reopening continues', async () => {
    const fs = new MemoryFileSystem();
    const j = await openJournal('/j', { fs });
    assert.equal(j.recovery.tail, 'clean');
    assert.equal(j.recovery.segmentsFound, 0);
    for (let i = 1; i <= 5; i++) assert.equal(await j.append(rec(i, i)), i);
    assert.equal(j.durableLsn, 5);
    await j.close();
    const k = await openJournal('/j', { fs });
    assert.equal(k.nextLsn, 6);
    assert.equal(k.recovery.segmentsFound, 1);
    assert.equal(await k.append(rec(6)), 6);
    const all = await collect(k);
    assert.deepEqual(
      all.map((r) => r.lsn),
      [1, 2, 3, 4, 5, 6],
    );
    for (const r of all.slice(0, 5)) assert.deepEqual(r.payload, rec(r.lsn, r.lsn));
    assert.deepEqual(
      (await collect(k, 4)).map((r) => r.lsn),
      [4, 5, 6],
    );
    await k.close();
    await assert.rejects(k.append(rec(7)), (e: unknown) => isShaleDBError(e, 'closed'));
  });

  test('concurrent appends share one write and one flush per group', async () => {
    const fs = new MemoryFileSystem();
    const j = await openJournal('/j', { fs });
    const before = { ...fs.stats };
    const lsns = await Promise.all(Array.from({ length: 200 }, (_, i) => j.append(rec(i, 100))));
    assert.deepEqual(
      lsns,
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    assert.ok(j.stats.groups <= 2, `groups ${j.stats.groups}`);
    assert.equal(fs.stats.writes - before.writes, j.stats.groups);
    assert.equal(fs.stats.fileSyncs - before.fileSyncs, j.stats.groups);
    assert.equal(j.stats.records, 200);
    await j.close();
  });

  test('appends arriving during a flush form the next group', async () => {
    const fs = new MemoryFileSystem();
    const j = await openJournal('/j', { fs });
    const first = j.append(rec(1));
    await Promise.resolve();
    await Promise.resolve();
    const rest = Array.from({ length: 50 }, (_, i) => j.append(rec(i + 2)));
    await Promise.all([first, ...rest]);
    assert.equal(j.stats.records, 51);
    assert.ok(j.stats.groups >= 2 && j.stats.groups <= 3, `groups ${j.stats.groups}`);
    await j.close();
  });

  test('groupWindowMs holds a group open for later appenders', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem(clock);
    const j = await openJournal('/j', { fs, clock, groupWindowMs: 5 });
    const first = j.append(rec(1));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.equal(j.durableLsn, 0, 'the first append waits for the window');
    const more = [j.append(rec(2)), j.append(rec(3))];
    await clock.advance(5);
    assert.deepEqual(await Promise.all([first, ...more]), [1, 2, 3]);
    assert.equal(j.stats.groups, 1);
    const closing = j.close();
    await clock.advance(5);
    await closing;
  });

  test('maxGroupBytes caps a group; one oversized record still goes alone', async () => {
    const fs = new MemoryFileSystem();
    const j = await openJournal('/j', { fs, maxGroupBytes: 1000 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => j.append(rec(i, 92))));
    assert.ok(j.stats.groups >= 10, `groups ${j.stats.groups}`);
    assert.ok(j.stats.largestGroupRecords <= 10);
    await j.append(rec(1, 5000));
    assert.equal((await collect(j)).length, 101);
    await j.close();
  });

  test('appendBuffered returns the LSN at once; syncThrough waits for durability', async () => {
    const fs = new MemoryFileSystem();
    const j = await openJournal('/j', { fs, durability: 'sync' });
    assert.equal(j.durability.method, 'sync');
    const a = j.appendBuffered(rec(1));
    const b = j.appendBuffered(rec(2));
    assert.deepEqual([a, b, j.durableLsn], [1, 2, 0]);
    await j.syncThrough(b);
    assert.equal(j.durableLsn, 2);
    await j.syncThrough(0);
    await assert.rejects(j.syncThrough(3), (e: unknown) => isShaleDBError(e, 'invalid'));
    assert.throws(
      () => j.appendBuffered('x' as never),
      (e: unknown) => isShaleDBError(e, 'invalid'),
    );
    await j.close();
  });

  test('backpressure: appendBuffered refuses past maxPendingBytes, append waits', async () => {
    const fs = new MemoryFileSystem();
    const j = await openJournal('/j', { fs, maxPendingBytes: 300 });
    j.appendBuffered(rec(1, 100));
    j.appendBuffered(rec(2, 100));
    assert.throws(
      () => j.appendBuffered(rec(3, 100)),
      (e: unknown) => isShaleDBError(e, 'unavailable', 'JOURNAL_BACKPRESSURE'),
    );
    const lsns = await Promise.all([j.append(rec(3, 100)), j.append(rec(4, 100)), j.append(rec(5, 100))]);
    assert.deepEqual(lsns, [3, 4, 5]);
    assert.equal(
      j.appendBuffered(rec(6, 400)),
      6,
      'one record larger than the bound goes when the queue is empty',
    );
    await j.close();
  });

  test('records over maxRecordBytes are invalid and nothing is queued', async () => {
    const j = await openJournal('/j', { fs: new MemoryFileSystem(), maxRecordBytes: 10 });
    await assert.rejects(j.append(rec(1, 11)), (e: unknown) => isShaleDBError(e, 'invalid'));
    assert.equal(j.nextLsn, 1);
    await j.close();
  });
});

describe('segments', () => {
  test('rotation by size, replay across segments, trimBefore deletes whole old segments', async () => {
    const fs = new MemoryFileSystem();
    const j = await openJournal('/j', { fs, segmentBytes: 600 });
    for (let i = 1; i <= 60; i++) await j.append(rec(i, 50));
    const segs = j.segments();
    assert.ok(segs.length >= 5, `segments ${segs.length}`);
    assert.equal(j.stats.rotations, segs.length - 1);
    for (const s of segs.slice(0, -1)) assert.ok((await fs.stat(s.path)).size <= 600);
    assert.deepEqual(
      (await collect(j)).map((r) => r.lsn),
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    const cut = segs[3]!.baseLsn;
    assert.equal(await j.trimBefore(cut + 1), 3);
    assert.equal(j.firstLsn, cut);
    assert.deepEqual(
      await fs.readdir('/j'),
      j.segments().map((s) => s.path.slice(3)),
    );
    assert.equal(await j.trimBefore(10 ** 9), segs.length - 4);
    assert.equal(j.segments().length, 1, 'the active segment is never trimmed');
    await j.close();
    fs.crash();
    fs.restart();
    const k = await openJournal('/j', { fs, segmentBytes: 600 });
    assert.equal(k.nextLsn, 61);
    assert.deepEqual(
      (await collect(k)).map((r) => r.lsn),
      Array.from({ length: 61 - k.firstLsn }, (_, i) => k.firstLsn + i),
    );
    await k.close();
  });

  test('a torn segment creation is redone under its base LSN', async () => {
    const fs = new MemoryFileSystem();
    const j = await openJournal('/j', { fs });
    for (let i = 1; i <= 9; i++) await j.append(rec(i));
    await j.close();
    await (await fs.open(`/j/${segmentFileName(10)}`, 'create-exclusive')).close();
    const k = await openJournal('/j', { fs });
    assert.equal(k.recovery.rewroteHeader, true);
    assert.equal(k.recovery.tail, 'truncated-header');
    assert.equal(await k.append(rec(10)), 10);
    assert.equal((await collect(k)).length, 10);
    await k.close();
  });

  test('damaged tails are classified, cut and reported; appends continue after the last good record', async () => {
    const cases: Array<[string, Uint8Array, string]> = [
      ['3 stray bytes', new Uint8Array([1, 2, 3]), 'truncated-header'],
      ['a header promising 100 bytes', new Uint8Array([0, 0, 0, 100, 9, 9, 9, 9, 1]), 'truncated-payload'],
      ['a huge length', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), 'length-overflow'],
      ['a bad checksum', new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0, 42]), 'checksum-mismatch'],
      ['zeros', new Uint8Array(64), 'checksum-mismatch'],
    ];
    for (const [what, junk, tail] of cases) {
      const fs = new MemoryFileSystem();
      const j = await openJournal('/j', { fs });
      for (let i = 1; i <= 3; i++) await j.append(rec(i));
      await j.close();
      await appendSegment(fs, `/j/${segmentFileName(1)}`, junk);
      const k = await openJournal('/j', { fs });
      assert.equal(k.recovery.tail, tail, what);
      assert.equal(k.recovery.truncatedBytes, junk.length, what);
      assert.equal(await k.append(rec(4)), 4, what);
      assert.deepEqual(
        (await collect(k)).map((r) => r.lsn),
        [1, 2, 3, 4],
        what,
      );
      await k.close();
    }
  });

  test('a corrupt header with records after it, or a damaged sealed segment, is a data error', async () => {
    const fs = new MemoryFileSystem();
    const j = await openJournal('/j', { fs, segmentBytes: 200 });
    for (let i = 1; i <= 20; i++) await j.append(rec(i, 40));
    const first = j.segments()[0]!.path;
    await j.close();
    const h = await fs.open(first, 'read-write');
    await h.write(new Uint8Array([0xee]), 60);
    await h.close();
    const k = await openJournal('/j', { fs, segmentBytes: 200 });
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const r of k.replay()) seen.push(r.lsn);
      })(),
      (e: unknown) => isDataError(e) && e.code === 'JOURNAL_CORRUPT' && e.message.includes(first),
    );
    assert.ok(seen.length < 3, 'nothing past the damage is yielded');
    await k.close();
    const last = k.segments()[k.segments().length - 1]!.path;
    const g = await fs.open(last, 'read-write');
    await g.write(new Uint8Array([0x00]), 0);
    await g.close();
    await assert.rejects(
      openJournal('/j', { fs }),
      (e: unknown) => isDataError(e) && e.code === 'JOURNAL_CORRUPT',
    );
  });
});

describe('poisoning', () => {
  test('a failed flush fails its group with the IoError, poisons the journal, and is never retried', async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    const j = await openJournal('/j', { fs });
    await j.append(rec(1));
    fs.addRule({ op: 'sync', errno: 'EIO', times: 1 });
    const results = await Promise.allSettled([j.append(rec(2)), j.append(rec(3))]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason;
      assert.ok(e instanceof IoError && e.code === 'IO_EIO' && e.step === 'flush', String(e));
    }
    const syncsAfter = mem.stats.fileSyncs;
    const later = await j.append(rec(4)).catch((e: unknown) => e);
    assert.ok(isShaleDBError(later, 'closed', 'JOURNAL_POISONED'), String(later));
    assert.equal(later.closeReason, 'panic');
    assert.ok(j.poisoned !== undefined);
    await assert.rejects(j.syncThrough(1), (e: unknown) => isShaleDBError(e, 'closed', 'JOURNAL_POISONED'));
    assert.throws(
      () => j.appendBuffered(rec(5)),
      (e: unknown) => isShaleDBError(e, 'closed', 'JOURNAL_POISONED'),
    );
    assert.equal(mem.stats.fileSyncs, syncsAfter, 'no flush after the failed one');
    await j.close();
    const k = await openJournal('/j', { fs: mem });
    assert.deepEqual((await collect(k)).map((r) => r.lsn).slice(0, 1), [1]);
    await k.close();
  });

  test('a short write with ENOSPC poisons; reopening cuts the torn record and continues', async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    const j = await openJournal('/j', { fs });
    for (let i = 1; i <= 3; i++) await j.append(rec(i, 30));
    fs.addRule({ op: 'write', errno: 'ENOSPC', partialBytes: 13 });
    const err = await j.append(rec(4, 30)).catch((e: unknown) => e);
    assert.ok(err instanceof IoError && err.code === 'IO_ENOSPC' && err.step === 'write', String(err));
    await assert.rejects(j.append(rec(5)), (e: unknown) => isShaleDBError(e, 'closed', 'JOURNAL_POISONED'));
    await j.close();
    const k = await openJournal('/j', { fs: mem });
    assert.equal(k.recovery.tail, 'truncated-payload');
    assert.equal(k.recovery.truncatedBytes, 13);
    assert.equal(await k.append(rec(4, 30)), 4);
    await k.close();
  });
});

describe('journal on the real file system', () => {
  test('appends, rotates, reopens and replays in a temp directory', async () => {
    await withTempDir(async (dir) => {
      const jdir = join(dir, 'wal');
      const j = await openJournal(jdir, { segmentBytes: 64 * 1024, maxGroupBytes: 16 * 1024 });
      assert.equal(j.durability.safe, true);
      const lsns = await Promise.all(Array.from({ length: 300 }, (_, i) => j.append(rec(i, 1000))));
      assert.equal(new Set(lsns).size, 300);
      assert.ok(j.stats.groups < 300);
      await j.close();
      const k = await openJournal(jdir);
      assert.equal(k.recovery.tail, 'clean');
      const all = await collect(k);
      assert.equal(all.length, 300);
      for (const r of all) assert.deepEqual(r.payload, rec(r.lsn - 1, 1000));
      assert.ok(readdirSync(jdir).length > 1);
      await k.close();
    });
  });
});
