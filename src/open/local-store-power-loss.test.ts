/**
 * A database with its embedded compactor and garbage collector on the default local store under simulated power
 * loss: as src/db/local-store-power-loss.test.ts, but compactions write sorted runs (streamed overwrites, which
 * take the local store's object lock) and the collector deletes WAL SSTs and manifests while the crash can land
 * anywhere. Every acknowledged durable write must survive, every object must read back verified, and the latest
 * manifest must name only objects that exist (test/support/local-power-loss.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPowerLoss } from '../../test/support/local-power-loss.js';
import { Db } from './open.js';

const SEEDS = 20;

test(`${SEEDS} seeds: compaction and GC on the local store lose no acknowledged write to power loss`, async () => {
  const totals = await runPowerLoss({
    seeds: SEEDS,
    open: (store, settings) => Db.open('db', store, { settings }),
    settings: (rand) => ({
      flushInterval: `${1 + rand.nextInt(5)}ms`,
      l0SstSizeBytes: 1024 + rand.nextInt(2048),
      manifestPollInterval: '5ms',
      compactorOptions: { pollInterval: '5ms', maxSstSize: 8 * 1024 },
      garbageCollectorOptions: {
        walOptions: { interval: '10ms', minAge: '0s' },
        manifestOptions: { interval: '10ms', minAge: '0s' },
        compactedOptions: { interval: '10ms', minAge: '0s' },
        compactionsOptions: null,
      },
    }),
    crashWithin: 1500,
  });
  assert.ok(
    totals.durable > SEEDS * 10,
    `the workload acknowledged only ${totals.durable} durable writes in all`,
  );
  assert.ok(totals.compacted > SEEDS, `only ${totals.compacted} compacted SSTs were read in all`);
});
