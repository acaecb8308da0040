/**
 * The local WAL journal tier: durable writes resolve before their WAL SST exists (with a flush interval of an
 * hour, only the journal can make them durable), the unshipped tail is replayed and shipped after a crash, shipped
 * segments are trimmed, record codec round trips and corruption, option checks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import type { RowEntry } from '../format/row.js';
import { MemoryFileSystem } from '../io/memory-file-system.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';
import { WalJournalTier } from './wal-journal.js';
import {
  decodeRecord,
  encodeBatch,
  encodeClaim,
  encodeSettled,
  encodeStale,
  pathTag,
} from './wal-journal-records.js';
import { WriteBatch } from './write-batch.js';

const slow = { flushInterval: '1h', compactorOptions: null, garbageCollectorOptions: null } as const;
const fast = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

async function walCount(store: MemoryObjectStore): Promise<number> {
  let n = 0;
  for await (const _ of store.list('db/wal/')) n++;
  return n;
}

test('record codec: round trips every record kind and row shape; damage is JOURNAL_CORRUPT', () => {
  const rows: RowEntry[] = [
    {
      key: utf8('a'),
      value: utf8('1'),
      seq: 7,
      kind: 'value',
      createTs: 1_700_000_000_000,
      expireTs: undefined,
    },
    {
      key: utf8('b'),
      value: new Uint8Array(0),
      seq: 7,
      kind: 'tombstone',
      createTs: -5,
      expireTs: undefined,
    },
    { key: utf8('c'), value: utf8('op'), seq: 7, kind: 'merge', createTs: undefined, expireTs: 2 ** 50 },
  ];
  const b = encodeBatch(3, pathTag('db'), rows);
  assert.deepEqual(decodeRecord(b, 1), { kind: 'batch', epoch: 3, pathTag: pathTag('db'), rows });
  assert.deepEqual(decodeRecord(encodeClaim(9, 'x/y'), 2), { kind: 'claim', epoch: 9, path: 'x/y' });
  assert.deepEqual(decodeRecord(encodeSettled(2 ** 53 - 1), 3), { kind: 'settled', seq: 2 ** 53 - 1 });
  assert.deepEqual(decodeRecord(encodeStale(4), 4), { kind: 'stale', epoch: 4 });
  for (let cut = 0; cut < b.length; cut++) {
    assert.throws(
      () => decodeRecord(b.subarray(0, cut), 5),
      (e) => isShaleDBError(e, 'data', 'JOURNAL_CORRUPT'),
      `cut at ${cut}`,
    );
  }
  const extra = new Uint8Array([...encodeSettled(1), 0]);
  assert.throws(
    () => decodeRecord(extra, 6),
    (e) => isShaleDBError(e, 'data', 'JOURNAL_CORRUPT'),
  );
  const badVersion = encodeSettled(1);
  badVersion[1] = 2;
  assert.throws(
    () => decodeRecord(badVersion, 7),
    (e) => isShaleDBError(e, 'data', 'JOURNAL_CORRUPT'),
  );
});

test('a durable write resolves from the journal, before any WAL SST is written', async () => {
  const store = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  const db = await Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } });
  // A write after a quiet period is shipped at once; after that, the next WAL flush is an hour away.
  await db.put('warm', 'up');
  await db.flush();
  const wals = await walCount(store);
  const flushes = fs.stats.fileSyncs;
  const h = await db.put('k', 'v');
  await db.write(new WriteBatch().put('a', '1').delete('b'));
  assert.equal(await walCount(store), wals, 'no WAL SST was written (the flush interval is an hour)');
  assert.ok(fs.stats.fileSyncs > flushes, 'the journal flushed');
  assert.equal(db.status().durableSeq < h.seq, true, 'status().durableSeq stays the remote watermark');
  assert.equal(
    await db.get('k', { durabilityFilter: 'remote' }),
    undefined,
    "'remote' still means object storage",
  );
  await db.flush();
  assert.equal(fromUtf8((await db.get('k', { durabilityFilter: 'remote' }))!), 'v');
  await db.close();
});

test('after a crash, the unshipped tail is replayed, shipped as WAL SSTs before open returns, then trimmed', async () => {
  const store = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  const db = await Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } });
  for (let i = 0; i < 50; i++) await db.put(`k${i}`, `v${i}`);
  await db.put('gone', 'x');
  await db.delete('gone');
  await db.merge('m', 'x').catch(() => {}); // no merge operator: refused, not journaled
  fs.crash({ mode: 'strict' });
  await db.inner.simulateCrash();
  fs.restart();
  const wals = await walCount(store);
  const again = await Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } });
  assert.ok((await walCount(store)) > wals, 'the tail was shipped during open');
  for (let i = 0; i < 50; i++)
    assert.equal(fromUtf8((await again.get(`k${i}`, { durabilityFilter: 'remote' }))!), `v${i}`);
  assert.equal(await again.get('gone'), undefined);
  assert.equal(again.status().durableSeq, again.status().lastCommittedSeq);
  await again.close();
  // Without the journal the data is there too: it is in object storage now.
  const plain = await Db.open('db', store, { settings: fast });
  assert.equal(fromUtf8((await plain.get('k49'))!), 'v49');
  await plain.close();
});

test('shipped segments are trimmed; a clean close leaves nothing unshipped', async () => {
  const store = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  const db = await Db.open('db', store, {
    settings: fast,
    walJournal: { dir: '/j', fs, segmentBytes: 4096 },
  });
  const big = 'x'.repeat(500);
  for (let i = 0; i < 200; i++) await db.put(`k${i}`, big);
  await db.flush();
  await db.put('last', '1');
  await db.flush();
  // Let the settle task run.
  for (let i = 0; i < 50 && (await fs.readdir('/j')).length > 2; i++)
    await new Promise((r) => setTimeout(r, 10));
  const segs = (await fs.readdir('/j')).filter((n) => n.endsWith('.jnl'));
  assert.ok(segs.length <= 2, `segments left: ${segs.join(', ')}`);
  await db.close();
  const tier = await WalJournalTier.open(
    { dir: '/j', fs },
    'db',
    (await import('../util/clock.js')).systemClock,
  );
  assert.equal(tier.unsettledAtOpen, 0);
  await tier.close();
});

test('walJournal option checks', async () => {
  const store = new MemoryObjectStore();
  await assert.rejects(Db.open('db', store, { settings: fast, walJournal: { dir: '' } }), (e) =>
    isShaleDBError(e, 'invalid', 'INVALID_ARGUMENT'),
  );
  await assert.rejects(
    Db.open('db', store, {
      settings: { ...fast, walEnabled: false },
      walJournal: { dir: '/j', fs: new MemoryFileSystem() },
    }),
    (e) => isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
  );
});

test('a journal of another database is refused', async () => {
  const store = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  const a = await Db.open('a', store, { settings: slow, walJournal: { dir: '/j', fs } });
  await a.put('k', 'v');
  fs.crash({ mode: 'strict' });
  await a.inner.simulateCrash();
  fs.restart();
  await assert.rejects(Db.open('b', store, { settings: slow, walJournal: { dir: '/j', fs } }), (e) =>
    isShaleDBError(e, 'invalid', 'JOURNAL_MISMATCH'),
  );
});

test('one writer per journal directory: a second open is refused while the first holds it', async () => {
  const store = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  const a = await Db.open('db', store, { settings: fast, walJournal: { dir: '/j', fs } });
  await assert.rejects(Db.open('db', store, { settings: fast, walJournal: { dir: '/j', fs } }), (e) =>
    isShaleDBError(e, 'unavailable', 'JOURNAL_LOCKED'),
  );
  await a.put('k', 'v');
  await a.close();
  const b = await Db.open('db', store, { settings: fast, walJournal: { dir: '/j', fs } });
  assert.equal(fromUtf8((await b.get('k'))!), 'v');
  await b.close();
});

test('a LOCK file of a live process is refused; one of a dead process is taken over', async () => {
  await withTempDir(async (dir) => {
    const store = new MemoryObjectStore();
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    const lockOf = (pid: number) => JSON.stringify({ pid, host: hostname(), token: `t${pid}` });
    writeFileSync(join(jdir, 'LOCK'), lockOf(process.ppid));
    await assert.rejects(Db.open('db', store, { settings: fast, walJournal: { dir: jdir } }), (e) =>
      isShaleDBError(e, 'unavailable', 'JOURNAL_LOCKED'),
    );
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(jdir, 'LOCK'), lockOf(dead));
    const db = await Db.open('db', store, { settings: fast, walJournal: { dir: jdir } });
    await db.put('k', 'v');
    await db.close();
  });
});
