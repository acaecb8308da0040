/**
 * A database (writer only, no compactor or GC) on the default local store under simulated power loss: 40 seeds of
 * concurrent durable and non-durable writes, two crashes per seed at a random file-system call of the crashable
 * MemoryFileSystem, then every acknowledged durable write must be there, every object must read back verified and
 * the latest manifest must be consistent (test/support/local-power-loss.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPowerLoss } from '../../test/support/local-power-loss.js';
import { Db } from './db.js';

const SEEDS = 40;

test(`${SEEDS} seeds: a database on the local store loses no acknowledged write to power loss`, async () => {
  const totals = await runPowerLoss({
    seeds: SEEDS,
    open: (store, settings) => Db.open('db', store, { settings }),
    settings: (rand) => ({
      flushInterval: `${1 + rand.nextInt(5)}ms`,
      l0SstSizeBytes: 2048 + rand.nextInt(4096),
      compactorOptions: null,
      garbageCollectorOptions: null,
    }),
    crashWithin: 600,
  });
  assert.ok(
    totals.durable > SEEDS * 10,
    `the workload acknowledged only ${totals.durable} durable writes in all`,
  );
  assert.ok(totals.compacted > SEEDS, `only ${totals.compacted} L0 SSTs were flushed in all`);
});
