/**
 * FrameArena, by property: whatever the append sizes, group caps and recycling, the groups taken are whole
 * frames, in order, byte for byte the frames encodeFrame makes, within the cap unless one frame alone exceeds it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { concatBytes } from '../util/bytes.js';
import { testSeed } from '../util/random.js';
import { FrameArena } from './journal-arena.js';
import { encodeFrame } from './journal-format.js';

test('groups are whole frames in order, within the cap, and recycling never corrupts them', () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const step = fc.oneof(
    fc.record({ kind: fc.constant('append' as const), size: fc.integer({ min: 0, max: 70_000 }) }),
    fc.record({ kind: fc.constant('take' as const), max: fc.integer({ min: 1, max: 200_000 }) }),
  );
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
      const arena = new FrameArena();
      const expected: Uint8Array[] = [];
      let nextLsn = 1;
      let taken = 0;
      const check = (group: { bytes: Uint8Array; count: number }, max: number): void => {
        const want = concatBytes(expected.slice(taken, taken + group.count));
        assert.deepEqual(Uint8Array.from(group.bytes), want);
        assert.ok(group.count === 1 || group.bytes.length <= max);
        taken += group.count;
        arena.recycle(group.bytes);
      };
      for (const s of steps) {
        if (s.kind === 'append') {
          const payload = new Uint8Array(s.size).fill(nextLsn & 0xff);
          arena.append(nextLsn, payload);
          expected.push(encodeFrame(nextLsn, payload));
          nextLsn++;
        } else if (arena.frames > 0) {
          check(arena.take(s.max), s.max);
        }
      }
      while (arena.frames > 0) check(arena.take(100_000), 100_000);
      assert.equal(taken, expected.length);
      assert.equal(arena.bytes, 0);
    }),
    { seed, numRuns: 100 },
  );
});
