/**
 * Tests for the dispatcher: ordered handling, ticks on a manual clock, first error wins, cleanup receives pending
 * messages, and sends after close fail.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from './clock.js';
import { type CloseResult, TaskExecutor } from './dispatcher.js';
import { internalError, isShaleDBError } from './errors.js';

const settle = () => new Promise<void>((r) => setImmediate(r));

test('messages are handled one at a time, in order', async () => {
  const clock = new ManualClock();
  const exec = new TaskExecutor(clock);
  const seen: number[] = [];
  let active = 0;
  const d = exec.spawn<number>('t', {
    async handle(m) {
      active++;
      assert.equal(active, 1);
      await settle();
      seen.push(m);
      active--;
    },
  });
  for (let i = 0; i < 10; i++) d.send(i);
  while (seen.length < 10) await settle();
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(await exec.shutdown(), { ok: true });
});

test('tickers fire on the clock', async () => {
  const clock = new ManualClock();
  const exec = new TaskExecutor(clock);
  let ticks = 0;
  exec.spawn<'tick'>('t', {
    tickers: () => [{ intervalMs: 100, message: () => 'tick' }],
    handle() {
      ticks++;
    },
  });
  await settle();
  await clock.advance(99);
  await settle();
  assert.equal(ticks, 0);
  await clock.advance(1);
  await settle();
  assert.equal(ticks, 1);
  await clock.advance(250);
  await settle();
  assert.equal(ticks, 3);
  await exec.shutdown();
  assert.equal(clock.pendingSleeps, 0);
});

test('first error wins, other tasks stop, cleanup gets pending messages', async () => {
  const clock = new ManualClock();
  const exec = new TaskExecutor(clock);
  let cleanupPending: number[] = [];
  let cleanupResult: CloseResult | undefined;
  const a = exec.spawn<number>('a', {
    async handle(m) {
      if (m === 1) throw internalError('ASSERTION_FAILED', 'first');
    },
  });
  const b = exec.spawn<number>('b', {
    async handle() {
      await new Promise<void>(() => {}); // never finishes on its own
    },
    cleanup(pending, result) {
      cleanupPending = pending;
      cleanupResult = result;
    },
  });
  // b is stuck in its first message, so it never reaches cleanup; use a third task for the cleanup check.
  void b;
  const c = exec.spawn<number>('c', {
    async handle() {
      await settle();
    },
    cleanup(pending, result) {
      cleanupPending = pending;
      cleanupResult = result;
    },
  });
  c.send(10);
  c.send(11);
  c.send(12);
  a.send(1);
  const result = await exec.whenClosed();
  assert.equal(result.ok, false);
  assert.ok(!result.ok && isShaleDBError(result.error, 'internal', 'ASSERTION_FAILED'));
  exec.fail(internalError('UNEXPECTED', 'second'));
  assert.ok(!exec.closeResult!.ok && exec.closeResult!.error.code === 'ASSERTION_FAILED');
  await c.done;
  assert.ok(cleanupResult !== undefined && !cleanupResult.ok);
  assert.ok(cleanupPending.length >= 1 && cleanupPending.length <= 2);
  assert.throws(
    () => a.send(2),
    (e) => isShaleDBError(e, 'internal', 'ASSERTION_FAILED'),
  );
});

test('send after a clean shutdown is a closed error', async () => {
  const exec = new TaskExecutor(new ManualClock());
  const d = exec.spawn<number>('t', { handle() {} });
  await exec.shutdown();
  assert.throws(
    () => d.send(1),
    (e) => isShaleDBError(e, 'closed') && e.closeReason === 'clean',
  );
});

test('ticks keep a fixed rate when handling takes time', async () => {
  const clock = new ManualClock();
  const exec = new TaskExecutor(clock);
  const at: number[] = [];
  exec.spawn<'tick'>('t', {
    tickers: () => [{ intervalMs: 100, message: () => 'tick' }],
    async handle() {
      at.push(clock.monotonicMs());
      await clock.sleep(30);
    },
  });
  await settle();
  for (let i = 0; i < 45; i++) {
    await clock.advance(10);
    await settle();
  }
  assert.deepEqual(at, [100, 200, 300, 400]);
  await exec.shutdown();
});

test('sendAfter delivers once after the delay; pending ones reach cleanup', async () => {
  const clock = new ManualClock();
  const exec = new TaskExecutor(clock);
  const seen: string[] = [];
  let leftover: string[] = [];
  const d = exec.spawn<string>('t', {
    handle(m) {
      seen.push(`${m}@${clock.monotonicMs()}`);
    },
    cleanup(pending) {
      leftover = pending;
    },
  });
  d.sendAfter('a', 50);
  d.sendAfter('b', 500);
  d.send('now');
  await settle();
  for (let i = 0; i < 10; i++) {
    await clock.advance(10);
    await settle();
  }
  assert.deepEqual(seen, ['now@0', 'a@50']);
  await exec.shutdown();
  assert.deepEqual(leftover, ['b']);
});
