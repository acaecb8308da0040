/**
 * SequenceTracker lookups (0.12.1's find_ts / find_seq): exact matches, rounding up and down between samples,
 * nothing beyond the ends or in an empty tracker, and equal samples (an exact match picks the last of them, as
 * Rust's binary_search does), checked against a linear scan over many random trackers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRand, testSeed } from '../util/random.js';
import { type FindRounding, SequenceTracker } from './sequence-tracker.js';

function tracker(samples: ReadonlyArray<readonly [number, number]>): SequenceTracker {
  const t = new SequenceTracker();
  for (const [s, ts] of samples) {
    t.seqs.push(BigInt(s));
    t.timestampsS.push(BigInt(ts));
  }
  return t;
}

/** The rule, stated plainly: exact → the last equal sample; else the nearest sample in the rounding direction. */
function expected(values: readonly bigint[], target: bigint, round: FindRounding): number | undefined {
  let last: number | undefined;
  for (let i = 0; i < values.length; i++) if (values[i] === target) last = i;
  if (last !== undefined) return last;
  if (round === 'up') {
    const i = values.findIndex((v) => v > target);
    return i < 0 ? undefined : i;
  }
  let below: number | undefined;
  for (let i = 0; i < values.length; i++) if (values[i]! < target) below = i;
  return below;
}

test('findTs / findSeq: exact, between samples, beyond the ends, empty', () => {
  const t = tracker([
    [10, 100],
    [20, 160],
    [30, 220],
  ]);
  assert.equal(t.findTs(20n, 'down'), 160n);
  assert.equal(t.findTs(20n, 'up'), 160n);
  assert.equal(t.findTs(25n, 'down'), 160n);
  assert.equal(t.findTs(25n, 'up'), 220n);
  assert.equal(t.findTs(5n, 'down'), undefined);
  assert.equal(t.findTs(5n, 'up'), 100n);
  assert.equal(t.findTs(31n, 'down'), 220n);
  assert.equal(t.findTs(31n, 'up'), undefined);
  assert.equal(t.findSeq(160n, 'up'), 20n);
  assert.equal(t.findSeq(161n, 'down'), 20n);
  assert.equal(t.findSeq(161n, 'up'), 30n);
  assert.equal(t.findSeq(99n, 'down'), undefined);
  assert.equal(t.findSeq(221n, 'up'), undefined);
  assert.equal(new SequenceTracker().findTs(1n, 'down'), undefined);
  assert.equal(new SequenceTracker().findSeq(1n, 'up'), undefined);
});

test('lookups match the plain rule on random trackers with repeated values', () => {
  const seed = testSeed();
  const rand = new SeededRand(seed);
  for (let round = 0; round < 300; round++) {
    const n = rand.nextInt(12);
    const samples: Array<[number, number]> = [];
    let s = rand.nextInt(5);
    let ts = 1000 + rand.nextInt(5);
    for (let i = 0; i < n; i++) {
      samples.push([s, ts]);
      s += rand.nextInt(3); // repeats allowed
      ts += rand.nextInt(3);
    }
    const t = tracker(samples);
    for (let q = -1; q < s + 2; q++) {
      for (const r of ['up', 'down'] as const) {
        const i = expected(t.seqs, BigInt(q), r);
        assert.equal(t.findTs(BigInt(q), r), i === undefined ? undefined : t.timestampsS[i], `seed ${seed}`);
        const j = expected(t.timestampsS, BigInt(q + 1000), r);
        assert.equal(t.findSeq(BigInt(q + 1000), r), j === undefined ? undefined : t.seqs[j], `seed ${seed}`);
      }
    }
  }
});
