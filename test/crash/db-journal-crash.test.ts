/**
 * SIGKILL crash suite of the local WAL journal tier: a child (test/support/db-crash-child.ts in `journal` mode)
 * opens the database on a local directory with `walJournal`, makes durable writes under load and reports each
 * after its promise resolved, which with the journal means after the journal's group commit, usually before the
 * WAL SST exists. The parent kills it with SIGKILL at a random moment (some rounds during its recovery, which
 * replays and ships the previous child's unshipped tail), over and over on one directory. Every few rounds the
 * parent reopens the database itself, with the same journal, and checks that every acknowledged put is present
 * with its value and every acknowledged delete absent; at the end it also checks that the data reached object
 * storage (a 'remote' read) and that the database opens without the journal once everything is shipped.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Db } from '../../src/db/db.js';
import { SeededRand, testSeed } from '../../src/util/random.js';
import { bundleChild } from '../support/bundle-child.js';
import { type Acked, checkAcked, newAcked, recordAck } from '../support/crash-acks.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { spawnKillableChild } from '../support/kill-child.js';

const KILLS = 50;
const CHILD_SOURCE = fileURLToPath(new URL('../support/db-crash-child.ts', import.meta.url));
const settings = { flushInterval: '50ms', compactorOptions: null, garbageCollectorOptions: null } as const;

async function runAndKill(
  child_: string,
  dir: string,
  seed: number,
  round: number,
  rand: SeededRand,
  acked: Acked,
) {
  let acks = 0;
  const child = spawnKillableChild(child_, [dir, String(seed), String(round), 'journal'], (m) => {
    acks += recordAck(acked, m);
  });
  if (rand.nextInt(6) === 0) {
    // Somewhere in start-up or recovery (which replays and ships the previous child's tail).
    await new Promise((r) => setTimeout(r, 300 + rand.nextInt(900)));
  } else {
    await child.ready;
    await new Promise((r) => setTimeout(r, 20 + rand.nextInt(250)));
  }
  const { signal, stderr } = await child.kill();
  assert.equal(signal, 'SIGKILL', `child ended on its own: ${stderr}`);
  return { acks, ready: child.isReady() };
}

test(`every write acknowledged by the WAL journal survives ${KILLS} SIGKILLs`, async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  // Bundled once, so each of the many children starts in a fraction of a tsx start-up.
  const childScript = await bundleChild(CHILD_SOURCE);
  await withTempDir(async (dir) => {
    const walJournal = { dir: join(dir, 'journal'), segmentBytes: 64 * 1024 };
    const acked = newAcked();
    let total = 0;
    let ready = 0;
    for (let round = 0; round < KILLS; round++) {
      const r = await runAndKill(childScript, dir, seed, round, rand, acked);
      total += r.acks;
      if (r.ready) ready++;
      if (round % 10 !== 9) continue;
      const db = await Db.open('db', `file://${dir}`, { settings, walJournal });
      try {
        await checkAcked(db, acked, `seed ${seed} round ${round}`, false);
      } finally {
        await db.close();
      }
    }
    // Everything acknowledged is in object storage once a writer has shipped the last tail.
    const db = await Db.open('db', `file://${dir}`, { settings, walJournal });
    await checkAcked(db, acked, `seed ${seed} final (remote)`, true);
    await db.close();
    const plain = await Db.open('db', `file://${dir}`, { settings });
    await checkAcked(plain, acked, `seed ${seed} final, without the journal`, false);
    await plain.close();
    console.log(`${KILLS} kills (${ready} after recovery), ${total} acknowledged writes checked`);
    assert.ok(total > KILLS * 10, 'the children acknowledged writes');
    assert.ok(ready >= KILLS / 2, `only ${ready} rounds got past recovery`);
  }).finally(() => rmSync(childScript, { force: true }));
});
