/**
 * The writer's sequence-tracker samples follow 0.12.1: each L0 flush adds its memtable's samples, at most one per
 * 60 s across the flushes of one writer process (SlateDB keeps the last sample time in its in-memory tracker), and
 * a newly opened writer starts afresh. Method: a Db on a ManualClock, flushes at chosen wall times, the tracker read
 * back from the latest manifest.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SequenceTracker } from '../format/sequence-tracker.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { ManualClock } from '../util/clock.js';
import { Db } from './db.js';
import { appendSequenceSamples } from './sequence-tracker.js';

const SETTINGS = { flushInterval: null, compactorOptions: null, garbageCollectorOptions: null } as const;
const T0 = 1_800_000_000_000;

async function tracker(store: MemoryObjectStore): Promise<SequenceTracker> {
  const latest = await manifestStore(store, 'db').tryReadLatest();
  return SequenceTracker.fromBytes(latest!.value.sequenceTracker, 'test');
}

test('one sample per minute across the flushes of a writer; a reopened writer samples again', async () => {
  const clock = new ManualClock(T0);
  const store = new MemoryObjectStore({ clock });
  const flushAt = async (db: Db, offsetS: number): Promise<bigint> => {
    clock.setWallMs(T0 + offsetS * 1000);
    const seq = (await db.put(`k${offsetS}`, 'v', { awaitDurable: false })).seq;
    await db.flush({ type: 'memtable' });
    return seq;
  };
  let db = await Db.open('db', store, { settings: SETTINGS, clock });
  const s0 = await flushAt(db, 0);
  await flushAt(db, 10);
  await flushAt(db, 30);
  assert.deepEqual((await tracker(store)).seqs, [s0], 'flushes within a minute of the last sample add none');
  await db.close();

  db = await Db.open('db', store, { settings: SETTINGS, clock });
  const s40 = await flushAt(db, 40);
  await flushAt(db, 70);
  const s100 = await flushAt(db, 100);
  const t = await tracker(store);
  assert.deepEqual(t.seqs, [s0, s40, s100]);
  assert.deepEqual(
    t.timestampsS,
    [0, 40, 100].map((o) => BigInt(T0 / 1000 + o)),
  );
  await db.close();
});

test('appendSequenceSamples carries the last sample time and leaves the blob alone when nothing is added', () => {
  const empty = new SequenceTracker().toBytes();
  const a = appendSequenceSamples(empty, [{ seq: 1, tsSeconds: 100 }], undefined);
  assert.equal(a.lastRecordedS, 100n);
  const b = appendSequenceSamples(a.blob, [{ seq: 2, tsSeconds: 130 }], a.lastRecordedS);
  assert.equal(b.blob, a.blob);
  assert.equal(b.lastRecordedS, 100n);
  const c = appendSequenceSamples(a.blob, [{ seq: 2, tsSeconds: 130 }], undefined);
  assert.deepEqual(SequenceTracker.fromBytes(c.blob, 'test').seqs, [1n, 2n]);
  assert.deepEqual(appendSequenceSamples(empty, [], 5n), { blob: empty, lastRecordedS: 5n });
});
