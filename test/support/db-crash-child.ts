/**
 * The child process of the database SIGKILL suite (test/crash/db-crash.test.ts): opens the database in a
 * `file://` directory, reports "ready", then writes under load (many concurrent durable puts, batches and deletes)
 * and reports each write on stdout as a JSON line only after it resolved with awaitDurable. It runs until killed.
 * With a fourth argument `journal` it opens with the local WAL journal tier in `<dir>/journal` (and a longer flush
 * interval, so that kills find an unshipped tail): acknowledgements then come from the journal's group commit.
 *
 * Invariants: an acknowledgement line is written only after the promise of a durable write resolved; values are
 * derived from the key, so the parent can check contents.
 * Concurrency: WRITERS concurrent writers in one process.
 */
import { Db } from '../../src/db/db.js';
import { WriteBatch } from '../../src/db/write-batch.js';
import { SeededRand } from '../../src/util/random.js';
import { valueFor } from './crash-acks.js';

const [dir, seedText, roundText, mode] = process.argv.slice(2);
if (dir === undefined || seedText === undefined || roundText === undefined) {
  throw new Error('usage: db-crash-child.ts <dir> <seed> <round>');
}
const rand = new SeededRand(Number(seedText) + Number(roundText));
const round = Number(roundText);
const WRITERS = 16;

function report(msg: object): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

const journal = mode === 'journal';
const db = await Db.open('db', `file://${dir}`, {
  walJournal: journal ? { dir: `${dir}/journal`, segmentBytes: 64 * 1024 } : undefined,
  settings: {
    flushInterval: journal ? '50ms' : '5ms',
    l0SstSizeBytes: 16 * 1024,
    compactorOptions: null,
    garbageCollectorOptions: null,
  },
});
report({ t: 'ready' });

async function writer(w: number): Promise<never> {
  for (let n = 0; ; n++) {
    const p = rand.nextInt(10);
    if (p < 7) {
      const key = `r${round}-w${w}-${n}`;
      await db.put(key, valueFor(key));
      report({ t: 'put', keys: [key] });
    } else if (p < 9) {
      const keys = Array.from({ length: 1 + rand.nextInt(5) }, (_, i) => `r${round}-w${w}-${n}-b${i}`);
      const b = new WriteBatch();
      for (const k of keys) b.put(k, valueFor(k));
      await db.write(b);
      report({ t: 'put', keys });
    } else {
      const key = `r${round}-w${w}-${n}-d`;
      await db.put(key, valueFor(key));
      await db.delete(key);
      report({ t: 'del', keys: [key] });
    }
  }
}

await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
