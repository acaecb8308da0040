/**
 * Journal under simulated power loss: for many seeds, concurrent appenders (with rotation and trimming) run on
 * the crashable memory file system until it crashes at a random call, losing everything not made durable (in
 * 'strict' mode all of it, in 'torn' mode a random, possibly torn, subset). After the reboot the journal must
 * reopen, replay without error, hold every acknowledged record byte for byte (and nothing that was never
 * appended), and keep appending with the next LSN.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRand, testSeed } from '../util/random.js';
import { openJournal } from './journal.js';
import { type CrashMode, MemoryFileSystem } from './memory-file-system.js';

const SEEDS = 150;
const WRITERS = 6;

interface Run {
  readonly sent: Map<number, Uint8Array>;
  readonly acked: Set<number>;
  trimmedBefore: number;
}

function payloadFor(rand: SeededRand, writer: number, n: number): Uint8Array {
  const p = new Uint8Array(4 + rand.nextInt(180));
  p[0] = writer;
  p[1] = n & 0xff;
  for (let i = 2; i < p.length; i++) p[i] = rand.nextInt(256);
  return p;
}

async function workload(fs: MemoryFileSystem, rand: SeededRand, run: Run): Promise<void> {
  const j = await openJournal('/wal', {
    fs,
    segmentBytes: 512 + rand.nextInt(2048),
    maxGroupBytes: 256 + rand.nextInt(4096),
  });
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; ; n++) {
      const payload = payloadFor(rand, w, n);
      const lsn = j.appendBuffered(payload);
      run.sent.set(lsn, payload);
      await j.syncThrough(lsn);
      run.acked.add(lsn);
      if (rand.nextInt(40) === 0) {
        const upTo = Math.max(1, j.durableLsn - 20);
        // Once asked, records before `upTo` may vanish, even if the crash comes before the trim resolves.
        run.trimmedBefore = Math.max(run.trimmedBefore, upTo);
        await j.trimBefore(upTo);
      }
    }
  };
  await Promise.allSettled(Array.from({ length: WRITERS }, (_, w) => writer(w)));
}

async function verify(fs: MemoryFileSystem, run: Run, ctx: string): Promise<void> {
  const j = await openJournal('/wal', { fs, segmentBytes: 1024 });
  const seen = new Map<number, Uint8Array>();
  for await (const r of j.replay()) seen.set(r.lsn, r.payload.slice());
  for (const [lsn, payload] of seen)
    assert.deepEqual(payload, run.sent.get(lsn), `${ctx}: LSN ${lsn} was never appended`);
  for (const lsn of run.acked) {
    if (lsn < run.trimmedBefore) continue;
    assert.ok(seen.has(lsn), `${ctx}: acknowledged LSN ${lsn} lost (recovery ${JSON.stringify(j.recovery)})`);
  }
  const next = j.nextLsn;
  assert.equal(next, seen.size === 0 ? next : Math.max(...seen.keys()) + 1, ctx);
  const extra = new Uint8Array([7, 7, 7]);
  assert.equal(await j.append(extra), next, ctx);
  await j.close();
  const k = await openJournal('/wal', { fs });
  let last: Uint8Array | undefined;
  for await (const r of k.replay(next)) last = r.payload.slice();
  assert.deepEqual(last, extra, ctx);
  await k.close();
}

test(`${SEEDS} seeds: nothing acknowledged is lost at any crash point`, async () => {
  const base = testSeed();
  console.log(`seed ${base} (each run uses seed + i)`);
  let acked = 0;
  for (let i = 0; i < SEEDS; i++) {
    const seed = (base + i) >>> 0;
    const rand = new SeededRand(seed);
    const mode: CrashMode = rand.nextInt(2) === 0 ? 'strict' : 'torn';
    const fs = new MemoryFileSystem();
    const run: Run = { sent: new Map(), acked: new Set(), trimmedBefore: 0 };
    fs.crashAfter(1 + rand.nextInt(400), { mode, rand });
    await workload(fs, rand, run).catch(() => {});
    fs.crash({ mode, rand });
    fs.restart();
    await verify(fs, run, `seed ${seed} (${mode})`);
    acked += run.acked.size;
  }
  assert.ok(acked > SEEDS * 5, `the workload acknowledged only ${acked} records in all`);
});
