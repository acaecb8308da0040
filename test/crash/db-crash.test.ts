/**
 * Database SIGKILL crash suite: a child process (test/support/db-crash-child.ts) opens a database on a local
 * directory and makes durable writes under load, reporting each after its awaitDurable promise resolved; the parent
 * kills it with SIGKILL at a random moment, over and over on one directory (each child first recovers from the
 * previous kill, fencing the dead writer). After every kill the parent reopens the database itself and checks that
 * every acknowledged put is present with its value and every acknowledged delete is absent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Db } from '../../src/db/db.js';
import { SeededRand, testSeed } from '../../src/util/random.js';
import { withTempDir } from '../support/io-temp-dir.js';

const KILLS = 24;
const CHILD = fileURLToPath(new URL('../support/db-crash-child.ts', import.meta.url));

function valueFor(key: string): string {
  return `value-of-${key}-${'x'.repeat(key.length * 3)}`;
}

interface Acked {
  readonly present: Set<string>;
  readonly deleted: Set<string>;
}

async function runAndKill(
  dir: string,
  seed: number,
  round: number,
  rand: SeededRand,
  acked: Acked,
): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(seed), String(round)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buffered = '';
  let stderr = '';
  let acks = 0;
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      onReady();
      resolve({ code, signal });
    }),
  );
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf('\n');
      const msg = JSON.parse(line) as { t: string; keys?: string[] };
      if (msg.t === 'ready') onReady();
      else if (msg.t === 'put' || msg.t === 'del') {
        for (const k of msg.keys!) (msg.t === 'put' ? acked.present : acked.deleted).add(k);
        acks += msg.keys!.length;
      }
    }
  });
  await ready;
  // Let it write for a while (sometimes not at all), then kill it mid-flight.
  await new Promise((r) => setTimeout(r, rand.nextInt(5) === 0 ? rand.nextInt(20) : 100 + rand.nextInt(500)));
  child.kill('SIGKILL');
  const { signal } = await exited;
  assert.equal(signal, 'SIGKILL', `child ended on its own: ${stderr}`);
  return acks;
}

test(`every acknowledged durable write survives ${KILLS} SIGKILLs`, async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const rand = new SeededRand(seed);
  await withTempDir(async (dir) => {
    const acked: Acked = { present: new Set(), deleted: new Set() };
    let total = 0;
    for (let round = 0; round < KILLS; round++) {
      total += await runAndKill(dir, seed, round, rand, acked);
      if (round % 4 !== 3 && round !== KILLS - 1) continue;
      // Check by reopening the database here (this also fences the dead child).
      const db = await Db.open('db', `file://${dir}`, {
        settings: { compactorOptions: null, garbageCollectorOptions: null },
      });
      try {
        for (const k of acked.present) {
          const v = await db.get(k);
          assert.ok(v !== undefined, `acknowledged put ${k} is missing after round ${round}`);
          assert.equal(Buffer.from(v).toString(), valueFor(k));
        }
        for (const k of acked.deleted)
          assert.equal(await db.get(k), undefined, `acknowledged delete ${k} came back`);
      } finally {
        await db.close();
      }
    }
    console.log(`${KILLS} kills, ${total} acknowledged writes checked`);
    assert.ok(total > KILLS, 'the children acknowledged writes');
  });
});
