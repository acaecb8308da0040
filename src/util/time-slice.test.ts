/**
 * TimeSlice: a slice is used up after its time, and next() yields to the event loop (a pending setImmediate runs)
 * and starts a new slice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeSlice } from './time-slice.js';

test('a slice is due once its time has passed; next() yields to the event loop and starts a new one', async () => {
  const long = new TimeSlice(60_000);
  assert.equal(long.due, false);
  const spent = new TimeSlice(0);
  assert.equal(spent.due, true);
  let ran = false;
  setImmediate(() => {
    ran = true;
  });
  await spent.next();
  assert.ok(ran, 'a callback queued before next() ran during it');
  const short = new TimeSlice(200);
  const start = performance.now();
  while (!short.due) {
    /* spin until used up */
  }
  assert.ok(performance.now() - start >= 199);
  await short.next();
  assert.equal(short.due, false, 'next() starts a fresh slice');
});
