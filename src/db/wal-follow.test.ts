/**
 * WalReader.follow tests: the tail yields the rows already in the WAL and then those flushed after it started, in
 * order and once each, with their WAL ids; 'latest' starts after the existing files; close() and the AbortSignal
 * end it while it waits; a file deleted before the follower read it fails the follow with WAL_ROWS_LOST, or is
 * reported to onGap and skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { fromUtf8 } from '../util/bytes.js';
import { isShaleDBError } from '../util/errors.js';
import { Db } from './db.js';
import type { FollowedRow, WalGap } from './wal-follow.js';
import { WalReader } from './wal-reader.js';
import { WriteBatch } from './write-batch.js';

const settings = { flushInterval: null, compactorOptions: null, garbageCollectorOptions: null } as const;

async function write(db: Db, key: string): Promise<void> {
  await db.put(key, `v-${key}`, { awaitDurable: false });
  await db.flush();
}

/** Pulls `n` rows from a running iteration. */
async function take(it: AsyncIterator<FollowedRow>, n: number): Promise<FollowedRow[]> {
  const out: FollowedRow[] = [];
  while (out.length < n) {
    const r = await it.next();
    assert.equal(r.done, false, 'the follow ended early');
    out.push(r.value as FollowedRow);
  }
  return out;
}

test('follow yields existing rows, then rows flushed after it started, in order; close() ends a waiting follow', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  try {
    await write(db, 'a');
    await write(db, 'b');
    const follower = new WalReader('db', store).follow({ pollIntervalMs: 5 });
    const it = follower[Symbol.asyncIterator]();
    const first = await take(it, 2);
    assert.deepEqual(
      first.map((r) => fromUtf8(r.key)),
      ['a', 'b'],
    );
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 30));
    await write(db, 'c');
    await db.write(new WriteBatch().put('d', '1').delete('e'), { awaitDurable: false });
    await db.flush();
    const c = (await pending).value as FollowedRow;
    const rest = await take(it, 2);
    const all = [...first, c, ...rest];
    assert.deepEqual(
      all.map((r) => `${r.kind}:${fromUtf8(r.key)}`),
      ['value:a', 'value:b', 'value:c', 'value:d', 'tombstone:e'],
    );
    assert.deepEqual(
      all.map((r) => r.seq),
      [1n, 2n, 3n, 4n, 4n],
    );
    // Each row names its file; ids ascend and the batch shares one file.
    assert.ok(
      all[0]!.walId < all[1]!.walId && all[1]!.walId < all[2]!.walId && all[2]!.walId < all[3]!.walId,
    );
    assert.equal(all[3]!.walId, all[4]!.walId);
    assert.equal(follower.nextId, all[4]!.walId);
    // Close while waiting for the next file: the pending next() finishes the iteration.
    const waiting = it.next();
    await new Promise((r) => setTimeout(r, 20));
    follower.close();
    assert.equal((await waiting).done, true);
    assert.equal(follower.closed, true);
  } finally {
    await db.close();
  }
});

test("startId 'latest' skips existing files; a numeric startId starts there; the signal ends the follow", async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  try {
    await write(db, 'old1');
    await write(db, 'old2');
    const reader = new WalReader('db', store);
    const ac = new AbortController();
    const latest = reader.follow({ startId: 'latest', pollIntervalMs: 5, signal: ac.signal });
    const it = latest[Symbol.asyncIterator]();
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 20));
    await write(db, 'new');
    const row = (await pending).value as FollowedRow;
    assert.equal(fromUtf8(row.key), 'new');
    const waiting = it.next();
    ac.abort();
    assert.equal((await waiting).done, true);

    // From the file holding 'new': that row again, then nothing until closed (for-await with break).
    const seen: string[] = [];
    const from = reader.follow({ startId: row.walId, pollIntervalMs: 5 });
    for await (const r of from) {
      seen.push(fromUtf8(r.key));
      break;
    }
    assert.deepEqual(seen, ['new']);
    assert.equal(from.closed, true, 'leaving the loop closes the follower');
  } finally {
    await db.close();
  }
});

test('a follow started on an empty WAL picks up the first file written, whatever its id', async () => {
  const store = new MemoryObjectStore();
  const follower = new WalReader('db', store).follow({ pollIntervalMs: 5 });
  const it = follower[Symbol.asyncIterator]();
  const pending = it.next();
  await new Promise((r) => setTimeout(r, 20));
  const db = await Db.open('db', store, { settings });
  try {
    await write(db, 'x');
    assert.equal(fromUtf8(((await pending).value as FollowedRow).key), 'x');
  } finally {
    follower.close();
    await db.close();
  }
});

test('a WAL file deleted before the follower read it: WAL_ROWS_LOST, or onGap and skip forward', async () => {
  const store = new MemoryObjectStore();
  const db = await Db.open('db', store, { settings });
  try {
    await write(db, 'a');
    await write(db, 'b');
    await write(db, 'c');
    const reader = new WalReader('db', store);
    const files = (await reader.list()).filter((f) => f.id > 0n);
    const ids = files.map((f) => f.id);
    // The file holding 'b' is collected.
    const bFile = files[files.length - 2]!;
    await store.delete(bFile.location);
    const start = ids[0]!;

    const strict = reader.follow({ startId: start, pollIntervalMs: 5 });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const r of strict) seen.push(fromUtf8(r.key));
      })(),
      (e) => isShaleDBError(e, 'data', 'WAL_ROWS_LOST') && e.message.includes(`startId ${bFile.id + 1n}`),
    );
    assert.deepEqual(seen, ['a'], 'rows before the gap were delivered, nothing after it');

    const gaps: WalGap[] = [];
    const lenient = reader.follow({ startId: start, pollIntervalMs: 5, onGap: (g) => gaps.push(g) });
    const it = lenient[Symbol.asyncIterator]();
    const rows = await take(it, 2);
    lenient.close();
    assert.deepEqual(
      rows.map((r) => fromUtf8(r.key)),
      ['a', 'c'],
    );
    assert.deepEqual(gaps, [{ fromId: bFile.id, toId: bFile.id + 1n }]);
  } finally {
    await db.close();
  }
});

test('bad follow options are invalid', () => {
  const reader = new WalReader('db', new MemoryObjectStore());
  assert.throws(
    () => reader.follow({ pollIntervalMs: -1 }),
    (e) => isShaleDBError(e, 'invalid'),
  );
  assert.throws(
    () => reader.follow({ startId: -3 }),
    (e) => isShaleDBError(e, 'invalid'),
  );
  assert.throws(
    () => reader.follow({ onGap: 3 as never }),
    (e) => isShaleDBError(e, 'invalid'),
  );
});
