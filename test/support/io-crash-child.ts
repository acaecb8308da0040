/**
 * The child process of the SIGKILL crash suite (src/io/crash-kill.test.ts): under load, it appends to a journal,
 * publishes files (create and replace modes) and commits batch-lane batches in one directory, and reports each
 * acknowledgement on stdout as a JSON line only after the operation resolved (so it is durable). It runs until
 * killed.
 *
 * Invariants: every payload and file is self-validating (see io-crash-records.ts), so the parent can tell a
 * whole record from junk even for operations it never heard about.
 * Concurrency: many concurrent appenders, publishers and batch writers in one process.
 */
import { join } from 'node:path';
import { publishFile } from '../../src/io/atomic-publish.js';
import { BatchLane } from '../../src/io/batch-lane.js';
import { openJournal } from '../../src/io/journal.js';
import { SeededRand } from '../../src/util/random.js';
import { encodeObject, encodePayload } from './io-crash-records.js';

const [dir, seedText, roundText] = process.argv.slice(2);
if (dir === undefined || seedText === undefined || roundText === undefined) {
  throw new Error('usage: io-crash-child.ts <dir> <seed> <round>');
}
const rand = new SeededRand(Number(seedText));
const round = Number(roundText);

function report(msg: object): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

async function appender(j: Awaited<ReturnType<typeof openJournal>>, w: number): Promise<never> {
  for (let n = 0; ; n++) {
    const payload = encodePayload(round, w, n, 16 + rand.nextInt(6000), rand);
    const lsn = await j.append(payload);
    report({ t: 'j', lsn, len: payload.length, crc: payload.slice(-4).join(',') });
  }
}

async function publisher(p: number): Promise<never> {
  for (let n = 0; ; n++) {
    const create = join(dir!, 'objects', `o-${round}-${p}-${n}.obj`);
    await publishFile(create, encodeObject(round, n, 1 + rand.nextInt(20_000), rand), {
      mode: 'create',
      createParents: true,
    });
    report({ t: 'p', path: create, version: n });
    const replace = join(dir!, 'objects', `r-${p}.obj`);
    const version = round * 1_000_000 + n;
    await publishFile(replace, encodeObject(round, version, 1 + rand.nextInt(20_000), rand), {
      mode: 'replace',
    });
    report({ t: 'r', path: replace, version });
  }
}

async function batcher(lane: BatchLane, b: number): Promise<never> {
  for (let n = 0; ; n++) {
    const paths = [0, 1, 2].map((k) => join(dir!, 'batches', `b-${round}-${b}-${n}-${k}.obj`));
    const builder = lane.batch();
    for (const p of paths) builder.write(p, encodeObject(round, n, 1 + rand.nextInt(4000), rand), 'create');
    await builder.commit();
    report({ t: 'b', paths });
  }
}

const journal = await openJournal(join(dir, 'wal'), { segmentBytes: 256 * 1024 });
report({ t: 'ready', nextLsn: journal.nextLsn, recovery: journal.recovery });
const lane = new BatchLane({ createParents: true });
await Promise.all([
  ...Array.from({ length: 24 }, (_, w) => appender(journal, w)),
  ...Array.from({ length: 3 }, (_, p) => publisher(p)),
  ...Array.from({ length: 2 }, (_, b) => batcher(lane, b)),
]);
