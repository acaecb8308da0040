/**
 * Batch lane under simulated power loss: for many seeds, writers submit random batches (writes in both modes,
 * copies, deletes, over two directories) until the crashable memory file system crashes at a random call. After
 * the reboot every path must hold the state its last acknowledged batch left, or a state from a later batch of
 * the same writer (the one in flight may have been partly applied); no name other than a hidden temp name may
 * appear that was never written.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRand, testSeed } from '../util/random.js';
import { BatchLane } from './batch-lane.js';
import type { BatchOp } from './batch-ops.js';
import { readWholeFile } from './file-system.js';
import { type CrashMode, MemoryFileSystem } from './memory-file-system.js';
import { isTempFileName } from './temp-name.js';

const SEEDS = 100;
const DIRS = ['/d0', '/d1'];

/** Per path: every state in submission order (null = absent), and how many of them were acknowledged. */
type History = Map<string, { states: Array<string | null>; acked: number }>;

/** A random batch; `steps` receives every state a path passes through, in op order. */
function randomBatch(
  rand: SeededRand,
  w: number,
  n: number,
  model: Map<string, string | null>,
  steps: Array<[string, string | null]>,
): BatchOp[] {
  const ops: BatchOp[] = [];
  const path = (): string => `${DIRS[rand.nextInt(2)]}/w${w}-${rand.nextInt(4)}`;
  for (let k = 1 + rand.nextInt(4); k > 0; k--) {
    const r = rand.nextInt(6);
    if (r < 3) {
      const p = path();
      const v = `w${w}b${n}#${k}`;
      ops.push({ op: 'write', path: p, data: new TextEncoder().encode(v), mode: 'replace' });
      model.set(p, v);
      steps.push([p, v]);
    } else if (r === 3) {
      const p = path();
      ops.push({ op: 'delete', path: p });
      model.set(p, null);
      steps.push([p, null]);
    } else {
      const from = path();
      const to = path();
      if (from === to || (model.get(from) ?? null) === null) continue;
      ops.push({ op: 'copy', from, to });
      model.set(to, model.get(from)!);
      steps.push([to, model.get(from)!]);
    }
  }
  return ops;
}

async function writer(lane: BatchLane, rand: SeededRand, w: number, history: History): Promise<void> {
  const model = new Map<string, string | null>();
  for (let n = 0; ; n++) {
    const steps: Array<[string, string | null]> = [];
    const ops = randomBatch(rand, w, n, model, steps);
    if (ops.length === 0) continue;
    for (const [p, v] of steps) {
      const h = history.get(p) ?? { states: [null], acked: 1 };
      h.states.push(v);
      history.set(p, h);
    }
    const touched = new Set(steps.map(([p]) => p));
    await lane.submit(ops);
    for (const p of touched) history.get(p)!.acked = history.get(p)!.states.length;
  }
}

test(`${SEEDS} seeds: acknowledged batches survive any crash point`, async () => {
  const base = testSeed();
  console.log(`seed ${base} (each run uses seed + i)`);
  let ackedStates = 0;
  for (let i = 0; i < SEEDS; i++) {
    const seed = (base + i) >>> 0;
    const rand = new SeededRand(seed);
    const mode: CrashMode = rand.nextInt(2) === 0 ? 'strict' : 'torn';
    const fs = new MemoryFileSystem();
    for (const d of DIRS) await fs.mkdir(d);
    await fs.syncDir('/');
    const lane = new BatchLane({ fs, rand, maxGroupOps: 1 + rand.nextInt(12) });
    const history: History = new Map();
    fs.crashAfter(1 + rand.nextInt(300), { mode, rand });
    await Promise.allSettled([0, 1, 2].map((w) => writer(lane, rand, w, history)));
    fs.crash({ mode, rand });
    fs.restart();
    const ctx = `seed ${seed} (${mode})`;
    for (const d of DIRS) {
      for (const name of await fs.readdir(d)) {
        const p = `${d}/${name}`;
        if (isTempFileName(name)) continue;
        assert.ok(history.has(p), `${ctx}: ${p} was never written`);
      }
    }
    for (const [p, h] of history) {
      let actual: string | null = null;
      try {
        actual = new TextDecoder().decode(await readWholeFile(fs, p));
      } catch (e) {
        if ((e as { code?: string }).code !== 'ENOENT') throw e;
      }
      const allowed = h.states.slice(h.acked - 1);
      assert.ok(allowed.includes(actual), `${ctx}: ${p} is ${actual}, allowed ${JSON.stringify(allowed)}`);
      ackedStates += h.acked - 1;
    }
  }
  assert.ok(ackedStates > SEEDS, `only ${ackedStates} acknowledged states in all`);
});
