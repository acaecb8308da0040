/**
 * SIGKILL crash suite: a child process (test/support/io-crash-child.ts) appends to a journal, publishes files and
 * commits batches under load, reporting each acknowledgement on stdout; the parent kills it with SIGKILL at a
 * random moment (some rounds before it even finished recovering), then checks on the real file system that
 * every acknowledged record and file is present and whole, that nothing a reader would list is torn or foreign
 * (leftover temp files carry hidden temp names only), and that the journal reopens and continues. Repeated for
 * KILLS rounds on one directory, so each child also recovers from the previous kill.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeObject, decodePayload } from '../../test/support/io-crash-records.js';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { spawnKillableChild } from '../../test/support/kill-child.js';
import { systemClock } from '../util/clock.js';
import { SeededRand, testSeed } from '../util/random.js';
import { openJournal } from './journal.js';
import { nodeFileSystem } from './node-file-system.js';
import { sweepTempFiles } from './temp-file.js';
import { isTempFileName } from './temp-name.js';

const KILLS = 56;
const CHILD = fileURLToPath(new URL('../../test/support/io-crash-child.ts', import.meta.url));

interface Acked {
  readonly journal: Map<number, string>;
  readonly creates: Map<string, number>;
  readonly replaces: Map<string, number>;
  readonly batches: Set<string>;
  total: number;
}

interface Ack {
  readonly t: string;
  readonly lsn?: number;
  readonly len?: number;
  readonly crc?: string;
  readonly path?: string;
  readonly version?: number;
  readonly paths?: string[];
}

function record(acked: Acked, a: Ack): void {
  acked.total++;
  if (a.t === 'j') acked.journal.set(a.lsn!, `${a.len}:${a.crc}`);
  else if (a.t === 'p') acked.creates.set(a.path!, a.version!);
  else if (a.t === 'r') acked.replaces.set(a.path!, Math.max(acked.replaces.get(a.path!) ?? -1, a.version!));
  else if (a.t === 'b') for (const p of a.paths!) acked.batches.add(p);
  else acked.total--;
}

/** Runs one child and kills it; returns whether it reported ready. */
async function runAndKill(
  dir: string,
  seed: number,
  round: number,
  rand: SeededRand,
  acked: Acked,
): Promise<boolean> {
  const child = spawnKillableChild(CHILD, [dir, String(seed), String(round)], (m) => record(acked, m as Ack));
  if (rand.nextInt(5) === 0) {
    await systemClock.sleep(rand.nextInt(500));
  } else {
    await child.ready;
    await systemClock.sleep(20 + rand.nextInt(300));
  }
  const { signal, stderr } = await child.kill();
  assert.equal(signal, 'SIGKILL', `round ${round}: the child exited on its own: ${stderr}`);
  return child.isReady();
}

async function verifyJournal(dir: string, acked: Acked, ctx: string): Promise<void> {
  const j = await openJournal(join(dir, 'wal'));
  const seen = new Map<number, string>();
  for await (const r of j.replay()) {
    assert.ok(decodePayload(r.payload) !== undefined, `${ctx}: LSN ${r.lsn} holds junk`);
    seen.set(r.lsn, `${r.payload.length}:${r.payload.slice(-4).join(',')}`);
  }
  for (const [lsn, sig] of acked.journal) assert.equal(seen.get(lsn), sig, `${ctx}: acknowledged LSN ${lsn}`);
  // Keep the journal small: drop every sealed segment, and the acknowledgements they held.
  await j.trimBefore(j.nextLsn);
  for (const lsn of acked.journal.keys()) if (lsn < j.firstLsn) acked.journal.delete(lsn);
  await j.close();
}

function listData(dir: string): { data: string[]; temps: number } {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return { data: [], temps: 0 };
  }
  const temps = names.filter(isTempFileName).length;
  return { data: names.filter((n) => !isTempFileName(n)).map((n) => join(dir, n)), temps };
}

function verifyFiles(dir: string, acked: Acked, ctx: string): number {
  const objects = listData(join(dir, 'objects'));
  const batches = listData(join(dir, 'batches'));
  const contents = new Map<string, { version: number } | undefined>();
  for (const p of [...objects.data, ...batches.data]) {
    const obj = decodeObject(readFileSync(p));
    assert.ok(obj !== undefined, `${ctx}: ${p} is listed but torn or foreign`);
    contents.set(p, obj);
  }
  for (const [p, v] of acked.creates) assert.equal(contents.get(p)?.version, v, `${ctx}: acknowledged ${p}`);
  for (const [p, v] of acked.replaces)
    assert.ok((contents.get(p)?.version ?? -1) >= v, `${ctx}: ${p} older than ${v}`);
  for (const p of acked.batches) assert.ok(contents.has(p), `${ctx}: acknowledged batch file ${p}`);
  // Keep the directories small: the create-once files were checked, drop them.
  for (const p of [...acked.creates.keys(), ...acked.batches]) rmSync(p, { force: true });
  acked.creates.clear();
  acked.batches.clear();
  return objects.temps + batches.temps;
}

test(`${KILLS} SIGKILLs under load: acknowledged data survives, nothing torn is listed, the journal resumes`, async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  await withTempDir(async (dir) => {
    const acked: Acked = {
      journal: new Map(),
      creates: new Map(),
      replaces: new Map(),
      batches: new Set(),
      total: 0,
    };
    let readyRounds = 0;
    let temps = 0;
    for (let round = 1; round <= KILLS; round++) {
      if (await runAndKill(dir, (seed + round) >>> 0, round, rand, acked)) readyRounds++;
      const ctx = `seed ${seed} round ${round}`;
      await verifyJournal(dir, acked, ctx);
      temps = verifyFiles(dir, acked, ctx);
    }
    let swept = 0;
    for (const sub of ['objects', 'batches']) {
      swept += await sweepTempFiles(nodeFileSystem, join(dir, sub), Number.POSITIVE_INFINITY);
      assert.equal(listData(join(dir, sub)).temps, 0, 'the sweeper removes leftover temp files');
    }
    console.log(
      `kills ${KILLS}, rounds past recovery ${readyRounds}, acknowledgements ${acked.total}, temp files left ${temps} (swept ${swept})`,
    );
    assert.ok(readyRounds >= KILLS / 2, `only ${readyRounds} rounds got past recovery`);
    assert.ok(acked.total > KILLS * 10, `only ${acked.total} acknowledgements`);
  });
});
