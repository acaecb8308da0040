/**
 * Fencing of the local WAL journal: a writer that opens the database elsewhere makes an old journal's unshipped
 * writes stale, and the old journal is refused (JOURNAL_STALE) rather than resurrected, unless discarded; crashes
 * of our own opens (before or after the epoch bump, during the tail's shipping) do not make the journal stale; a
 * lost race for the claimed epoch marks the tail STALE durably. Also the lineage rule itself, case by case.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryFileSystem } from '../io/memory-file-system.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { WRITER_EPOCH } from '../store/epochs.js';
import { manifestStore } from '../store/manifest-store.js';
import { TransactionalObject } from '../store/transactional-object.js';
import { fromUtf8 } from '../util/bytes.js';
import { systemClock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';
import { WalJournalTier } from './wal-journal.js';
import { claimThroughJournal } from './wal-journal-open.js';
import { type JournalScan, lineageProblem } from './wal-journal-recovery.js';

const slow = { flushInterval: '1h', compactorOptions: null, garbageCollectorOptions: null } as const;

/** Opens with a journal, makes `n` journal-only writes (after one shipped warm-up write), crashes. */
async function crashWithTail(store: ObjectStore, fs: MemoryFileSystem, n: number): Promise<void> {
  const db = await Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } });
  await db.put('warm', 'up');
  await db.flush();
  for (let i = 0; i < n; i++) await db.put(`k${i}`, `v${i}`);
  fs.crash({ mode: 'strict' });
  await db.inner.simulateCrash();
  fs.restart();
}

async function storedEpoch(store: ObjectStore): Promise<number> {
  const o = await TransactionalObject.tryLoad(manifestStore(store, 'db'));
  return o!.value.writerEpoch;
}

test('a writer elsewhere makes the old journal stale: refused, then discarded on request', async () => {
  const store = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  await crashWithTail(store, fs, 10);
  // Another writer (no journal, another machine) opens: it never sees k0..k9.
  const other = await Db.open('db', store, { settings: slow });
  assert.equal(await other.get('k0'), undefined);
  await other.put('k0', 'theirs');
  await other.close();
  const epoch = await storedEpoch(store);
  await assert.rejects(Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } }), (e) =>
    isShaleDBError(e, 'data', 'JOURNAL_STALE'),
  );
  assert.equal(await storedEpoch(store), epoch, 'the refusal changed nothing in object storage');
  // Still refused on a second try: nothing was resurrected or dropped implicitly.
  await assert.rejects(Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } }), (e) =>
    isShaleDBError(e, 'data', 'JOURNAL_STALE'),
  );
  const db = await Db.open('db', store, {
    settings: slow,
    walJournal: { dir: '/j', fs, discardStale: true },
  });
  assert.equal(fromUtf8((await db.get('k0'))!), 'theirs', 'the stale write was not resurrected');
  assert.equal(await db.get('k1'), undefined);
  await db.put('mine', '1');
  await db.close();
  // The discard is durable: the journal opens normally afterwards.
  const again = await Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } });
  assert.equal(fromUtf8((await again.get('mine'))!), '1');
  await again.close();
});

test('a stale journal with nothing unshipped is not refused', async () => {
  const store = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  const db = await Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } });
  await db.put('a', '1');
  await db.close();
  const other = await Db.open('db', store, { settings: slow });
  await other.put('b', '2');
  await other.close();
  const again = await Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } });
  assert.equal(fromUtf8((await again.get('b'))!), '2');
  await again.close();
});

test('our own open crashing after its claim, before the bump, does not make the journal stale', async () => {
  const store = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  await crashWithTail(store, fs, 5);
  for (let round = 0; round < 2; round++) {
    // An open that claims and dies before bumping (twice: the same claim again).
    const tier = await WalJournalTier.open({ dir: '/j', fs }, 'db', systemClock);
    const e = await storedEpoch(store);
    tier.checkLineage(e);
    await tier.claim(e + 1);
    await tier.close();
  }
  const db = await Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } });
  for (let i = 0; i < 5; i++) assert.equal(fromUtf8((await db.get(`k${i}`))!), `v${i}`);
  await db.close();
});

test('our own open crashing after the bump, while shipping the tail, does not make the journal stale', async () => {
  const inner = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  await crashWithTail(inner, fs, 5);
  let failWal = true;
  // Fails WAL SST writes other than the fence (an empty SST is small): the tail cannot be shipped.
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'put') {
        return (path: string, data: Uint8Array, opts: unknown) => {
          if (failWal && path.includes('/wal/') && data.length > 200)
            return Promise.reject(new Error('injected: WAL write failed'));
          return target.put(path, data, opts as never);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const before = await storedEpoch(inner);
  await assert.rejects(
    Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs }, retry: false }),
    /injected: WAL write failed/,
  );
  assert.equal(await storedEpoch(inner), before + 1, 'the failed open did bump the epoch');
  failWal = false;
  const db = await Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs }, retry: false });
  for (let i = 0; i < 5; i++) assert.equal(fromUtf8((await db.get(`k${i}`))!), `v${i}`);
  await db.close();
});

test('losing the claimed epoch to another writer marks the tail STALE durably', async () => {
  const store = new MemoryObjectStore();
  const fs = new MemoryFileSystem();
  await crashWithTail(store, fs, 3);
  const tier = await WalJournalTier.open({ dir: '/j', fs }, 'db', systemClock);
  const manifests = manifestStore(store, 'db');
  const stored = (await TransactionalObject.tryLoad(manifests))!;
  // The other writer bumps between our load and our bump: it takes the epoch we claim.
  const other = await Db.open('db', store, { settings: slow });
  await other.close();
  await assert.rejects(claimThroughJournal(tier, stored, WRITER_EPOCH, systemClock, 1000), (e) =>
    isShaleDBError(e, 'data', 'JOURNAL_STALE'),
  );
  await tier.close();
  // The stored epoch now equals our claim, yet the STALE record keeps the journal refused.
  await assert.rejects(Db.open('db', store, { settings: slow, walJournal: { dir: '/j', fs } }), (e) =>
    isShaleDBError(e, 'data', 'JOURNAL_STALE'),
  );
});

test('lineage rule, case by case', () => {
  const scan = (claims: number[], epoch = 5, stale = false): JournalScan => ({
    unsettled: [{ lsn: 1, epoch, seq: 1, rows: [] }],
    laterClaims: claims,
    stale,
    settledSeq: 0,
    records: 1,
  });
  const ok = (s: JournalScan, stored: number): boolean => lineageProblem(s, stored) === undefined;
  assert.ok(ok(scan([]), 5), 'no open since the writer');
  assert.ok(!ok(scan([]), 6), 'someone else bumped');
  assert.ok(!ok(scan([]), 4), 'the epoch went backwards');
  assert.ok(ok(scan([6]), 5), 'our claim 6, never bumped');
  assert.ok(ok(scan([6]), 6), 'our claim 6, bumped');
  assert.ok(!ok(scan([6]), 7), 'someone bumped after our claim');
  assert.ok(ok(scan([6, 6]), 5), 'claimed twice, never bumped');
  assert.ok(ok(scan([6, 7]), 7), 'claimed, bumped, claimed again, bumped');
  assert.ok(ok(scan([6, 7]), 6), 'the second claim never bumped');
  assert.ok(!ok(scan([6, 8]), 8), 'a foreign bump to 7 between our claims');
  assert.ok(!ok(scan([7]), 7), 'the first later claim skipped an epoch');
  assert.ok(!ok(scan([6, 6, 7]), 5), 'claims reached 7 through a bump to 6; stored 5 cannot be');
  assert.ok(!ok(scan([], 5, true), 5), 'a STALE record');
  assert.ok(ok({ ...scan([]), unsettled: [] }, 99), 'nothing unshipped: nothing to check');
});
