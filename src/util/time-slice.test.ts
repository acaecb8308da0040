/**
 * TimeSlice: a slice is used up after its time, and next() yields to the event loop (a pending setImmediate runs)
 * and starts a new slice; sliced loops that yield together resume one per turn of the event loop, in order, so a
 * due timer runs between their slices.
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

test('sliced loops that yield together resume one per event-loop turn, in order, with due timers in between', async () => {
  const events: string[] = [];
  const a = new TimeSlice(0);
  const b = new TimeSlice(0);
  const c = new TimeSlice(0);
  const ra = a.next().then(() => {
    events.push('a');
    // a's slice: a timer falls due while it runs.
    setTimeout(() => events.push('timer'), 1);
    const until = performance.now() + 5;
    while (performance.now() < until) {
      /* a slice of work */
    }
  });
  const rb = b.next().then(() => events.push('b'));
  const rc = c.next().then(() => events.push('c'));
  await Promise.all([ra, rb, rc]);
  // With every loop resumed in the same turn, b and c would run before the due timer.
  assert.deepEqual(events, ['a', 'timer', 'b', 'c']);
});
