/**
 * Database SIGKILL crash suite: a child process (test/support/db-crash-child.ts) opens a database on a local
 * directory and makes durable writes under load, reporting each after its awaitDurable promise resolved; the parent
 * kills it with SIGKILL at a random moment, over and over on one directory (each child first recovers from the
 * previous kill, fencing the dead writer). After every kill the parent reopens the database itself and checks that
 * every acknowledged put is present with its value and every acknowledged delete is absent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Db } from '../../src/db/db.js';
import { SeededRand, testSeed } from '../../src/util/random.js';
import { type Acked, checkAcked, newAcked, recordAck } from '../support/crash-acks.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { spawnKillableChild } from '../support/kill-child.js';

const KILLS = 24;
const CHILD = fileURLToPath(new URL('../support/db-crash-child.ts', import.meta.url));

async function runAndKill(
  dir: string,
  seed: number,
  round: number,
  rand: SeededRand,
  acked: Acked,
): Promise<number> {
  let acks = 0;
  const child = spawnKillableChild(CHILD, [dir, String(seed), String(round)], (m) => {
    acks += recordAck(acked, m);
  });
  await child.ready;
  // Let it write for a while (sometimes not at all), then kill it mid-flight.
  await new Promise((r) => setTimeout(r, rand.nextInt(5) === 0 ? rand.nextInt(20) : 100 + rand.nextInt(500)));
  const { signal, stderr } = await child.kill();
  assert.equal(signal, 'SIGKILL', `child ended on its own: ${stderr}`);
  return acks;
}

test(`every acknowledged durable write survives ${KILLS} SIGKILLs`, async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  await withTempDir(async (dir) => {
    const acked = newAcked();
    let total = 0;
    for (let round = 0; round < KILLS; round++) {
      total += await runAndKill(dir, seed, round, rand, acked);
      if (round % 4 !== 3 && round !== KILLS - 1) continue;
      // Check by reopening the database here (this also fences the dead child).
      const db = await Db.open('db', `file://${dir}`, {
        settings: { compactorOptions: null, garbageCollectorOptions: null },
      });
      try {
        await checkAcked(db, acked, `seed ${seed} round ${round}`);
      } finally {
        await db.close();
      }
    }
    console.log(`${KILLS} kills, ${total} acknowledged writes checked`);
    assert.ok(total > KILLS, 'the children acknowledged writes');
  });
});
