/**
 * Duration settings: every form SlateDB 0.12.1 accepts parses to the same length, and every form it rejects is
 * an 'invalid' error. The real SlateDB (@slatedb/uniffi's Settings.set) is the oracle for the shared case table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDurationMs } from './duration.js';
import { isShaleDBError } from './errors.js';

// Accepted by 0.12.1 (expected milliseconds) and rejected by it (undefined).
const CASES: Record<string, number | undefined> = {
  '0': 0,
  '5': 5000,
  '100ms': 100,
  '5s': 5000,
  '2m': 120_000,
  '1s+500ms': 1500,
  '1s 500ms': 1500,
  '1s + 1s': 2000,
  '1 + 1': 2000,
  '1h 30m': 5_400_000,
  '1h30m': 5_400_000,
  '1h 30m 10s 5ms': 5_410_005,
  '1s  2s': 3000,
  '1s\t2s': 3000,
  '1s 2': 3000,
  '1m1': 61_000,
  '1s1ms': 1001,
  ' 5s ': 5000,
  '5S': 5000,
  '1M': 60_000,
  '1MS': 1,
  '1Min': 60_000,
  '00010s': 10_000,
  '1500ms': 1500,
  '2500us': 2.5,
  '1000000us': 1000,
  '1ns': 0.000001,
  '1nsec': 0.000001,
  '1nanosecond': 0.000001,
  '1usec': 0.001,
  '1microsecond': 0.001,
  '163µs': 0.163,
  '1msec': 1,
  '1millisecond': 1,
  '1sec': 1000,
  '1second': 1000,
  '1min': 60_000,
  '1minute': 60_000,
  '1hr': 3_600_000,
  '1hour': 3_600_000,
  '1d': 86_400_000,
  '1day': 86_400_000,
  '1w': 604_800_000,
  '1week': 604_800_000,
  '1mon': 2_592_000_000,
  '1month': 2_592_000_000,
  '1y': 31_536_000_000,
  '1year': 31_536_000_000,
  '2m*3': 360_000,
  '2m * 3': 360_000,
  '3*2m': 360_000,
  '2*3': 6000,
  '2m*3*2': 720_000,
  '0*5': 0,
  '18446744073s': 18_446_744_073_000,
  '': undefined,
  s: undefined,
  fast: undefined,
  '-1s': undefined,
  '+1s': undefined,
  '1s+': undefined,
  '1.5s': undefined,
  '1e3ms': undefined,
  '2 h': undefined,
  '5 min': undefined,
  '1 1': undefined,
  '1s,2s': undefined,
  '2m-1s': undefined,
  '1s*2+1s': undefined,
  '1s*2 1s': undefined,
  '1seconds': undefined,
  '1millis': undefined,
  '1mins': undefined,
  '1hours': undefined,
  '1days': undefined,
  '1mo': undefined,
  '1 parsec': undefined,
  '18446744074s': undefined,
  '585y': undefined,
};

test('parses every form SlateDB 0.12.1 accepts, and rejects what it rejects', () => {
  for (const [text, ms] of Object.entries(CASES)) {
    if (ms === undefined) {
      assert.throws(
        () => parseDurationMs(text, 'flushInterval'),
        (e) => isShaleDBError(e, 'invalid', 'INVALID_SETTING') && e.message.includes('flushInterval'),
        JSON.stringify(text),
      );
    } else {
      const got = parseDurationMs(text, 'x');
      assert.ok(Math.abs(got - ms) < 1e-9, `${JSON.stringify(text)}: ${got} != ${ms}`);
    }
  }
  assert.equal(parseDurationMs(250, 'x'), 250);
  for (const bad of [-5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => parseDurationMs(bad, 'x'),
      (e) => isShaleDBError(e, 'invalid'),
    );
  }
});

test('the case table matches the real SlateDB 0.12.1', async () => {
  const { Settings } = (await import('@slatedb/uniffi')) as unknown as {
    Settings: { default(): { set(k: string, v: string): void; to_json_string(): string } };
  };
  for (const [text, ms] of Object.entries(CASES)) {
    const settings = Settings.default();
    let slate: number | undefined;
    try {
      settings.set('flush_interval', JSON.stringify(text));
      // 0.12.1 prints whole milliseconds ("1s+500ms", "5400s", "001ms"), which our parser also reads.
      slate = parseDurationMs(JSON.parse(settings.to_json_string()).flush_interval, 'printed');
    } catch (e) {
      if (isShaleDBError(e)) throw e;
      slate = undefined;
    }
    assert.equal(slate === undefined, ms === undefined, `${JSON.stringify(text)}: SlateDB gives ${slate}`);
    if (ms !== undefined) assert.equal(slate, Math.floor(ms), JSON.stringify(text));
  }
});
