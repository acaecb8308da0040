/**
 * Worker threads run at a lower CPU priority than the application's thread (`workerNice`, default 10): the nice
 * value of every thread of this process is read from /proc (Linux, where CI runs), so the tests see what the
 * kernel scheduler sees. Compaction workers started by a database, flush workers, the `0` setting, and invalid
 * values.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { compactionWorkersStarted } from '../compactor/worker-pool.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { L0EncoderPool } from '../store/l0-encoder-pool.js';
import { isShaleDBError } from '../util/errors.js';
import { currentThreadId, DEFAULT_WORKER_NICE, lowerThreadPriority } from '../util/thread-priority.js';
import { Db } from './open.js';

/** Nice value of each thread of this process, by thread id (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Fields after the command name (which may hold spaces) start at field 3 (state); nice is field 19.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(rest[19 - 3]));
  }
  return out;
}

/** Starting a worker loads its module through tsx: seconds on a loaded machine. */
const SLOW_START = { timeoutMs: 60_000 };

const threadsAt = (nice: number) => [...threadNices().values()].filter((n) => n === nice).length;

test('the application thread keeps its priority; its id is the process id', () => {
  assert.equal(currentThreadId(), process.pid);
  assert.equal(threadNices().get(process.pid), 0);
});

test('lowerThreadPriority never raises a priority back: asking for less than the current nice keeps it', () => {
  // On the main thread a lower value than the current one (0) is the only safe probe: it must be a no-op.
  assert.equal(lowerThreadPriority(0), 0);
  assert.equal(threadNices().get(process.pid), 0);
});

test('flush workers run at the nice value they are given; the application thread stays at 0', async () => {
  assert.equal(threadsAt(7), 0);
  const pool = new L0EncoderPool(2, { nice: 7 });
  try {
    pool.warm();
    await waitFor(() => pool.warm(), 'a ready flush worker', SLOW_START);
    await waitFor(() => threadsAt(7) === 1, 'one thread at nice 7', SLOW_START);
    assert.equal(threadNices().get(process.pid), 0);
  } finally {
    await pool.close();
  }
  await waitFor(() => threadsAt(7) === 0, 'the worker thread to end', SLOW_START);
});

async function compactThroughWorkers(options: object): Promise<Db> {
  const db = await Db.open('db', new MemoryObjectStore(), {
    settings: {
      flushInterval: '5ms',
      l0SstSizeBytes: 4096,
      manifestPollInterval: '20ms',
      garbageCollectorOptions: null,
      compactorOptions: { pollInterval: '20ms', maxSstSize: 16 * 1024, schedulerOptions: {} },
    },
    compactionWorkers: 1,
    ...options,
  });
  const before = compactionWorkersStarted();
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 100; i++)
      await db.put(`key${i}`, `value-${round}-${'v'.repeat(40)}`, { awaitDurable: false });
    await db.flush({ type: 'memtable' });
  }
  await waitFor(
    () => compactionWorkersStarted() > before && db.status().sortedRunCount > 0,
    'a compaction',
    SLOW_START,
  );
  return db;
}

test('a database starts its compaction workers at the default nice value', async () => {
  assert.equal(DEFAULT_WORKER_NICE, 10);
  const db = await compactThroughWorkers({});
  try {
    assert.equal(threadsAt(DEFAULT_WORKER_NICE), 1, 'the compaction worker');
    assert.equal(threadNices().get(process.pid), 0);
  } finally {
    await db.close();
  }
  await waitFor(() => threadsAt(DEFAULT_WORKER_NICE) === 0, 'the worker thread to end', SLOW_START);
});

test('workerNice: 0 and null keep every thread at the process priority', async () => {
  for (const workerNice of [0, null]) {
    const db = await compactThroughWorkers({ workerNice });
    try {
      assert.deepEqual(
        [...threadNices().values()].filter((n) => n !== 0),
        [],
        `workerNice ${workerNice}`,
      );
    } finally {
      await db.close();
    }
  }
});

test('invalid workerNice values are rejected as invalid settings, naming the option', async () => {
  for (const workerNice of [-1, 20, 1.5, '5', Number.NaN]) {
    await assert.rejects(
      Db.open('db', new MemoryObjectStore(), { workerNice } as never),
      (e) => isShaleDBError(e) && e.kind === 'invalid' && /workerNice/.test(e.message),
      String(workerNice),
    );
  }
});
