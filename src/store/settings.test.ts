/**
 * Settings tests: 0.12.1 defaults, duration parsing, nested options, and 'invalid' errors for bad values and
 * unknown names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setCodecLoaderForTest } from '../format/codec-modules.js';
import { isShaleDBError } from '../util/errors.js';
import { resolveSettings, type Settings } from './settings.js';

test('defaults match SlateDB 0.12.1', () => {
  const s = resolveSettings();
  assert.equal(s.flushIntervalMs, 100);
  assert.equal(s.manifestPollIntervalMs, 1000);
  assert.equal(s.l0SstSizeBytes, 64 * 1024 * 1024);
  assert.equal(s.l0MaxSsts, 8);
  assert.equal(s.l0FlushParallelism, 4);
  assert.equal(s.maxUnflushedBytes, 1024 * 1024 * 1024);
  assert.equal(s.minFilterKeys, 1000);
  assert.equal(s.filterBitsPerKey, 10);
  assert.equal(s.compressionCodec, null);
  assert.equal(s.compactorOptions?.pollIntervalMs, 5000);
  assert.equal(s.compactorOptions?.maxSstSize, 256 * 1024 * 1024);
  assert.equal(s.garbageCollectorOptions?.wal?.minAgeMs, 300_000);
  assert.equal(s.defaultTtlMs, null);
});

test('overrides and nulls', () => {
  const s = resolveSettings({
    flushInterval: '1s+500ms',
    compactorOptions: null,
    garbageCollectorOptions: {
      walOptions: null,
      manifestOptions: null,
      compactedOptions: null,
      compactionsOptions: null,
    },
    compressionCodec: 'zstd',
  });
  assert.equal(s.flushIntervalMs, 1500);
  assert.equal(s.compactorOptions, null);
  assert.equal(s.garbageCollectorOptions, null);
  assert.equal(s.compressionCodec, 'zstd');
  assert.equal(resolveSettings({ flushInterval: null }).flushIntervalMs, null);
  assert.equal(resolveSettings({ flushInterval: 20 }).flushIntervalMs, 20);
});

test('bad settings are invalid errors', () => {
  const bad: Array<Partial<Settings> | Record<string, unknown>> = [
    { flushInterval: 'soon' },
    { flushInterval: 0 },
    { l0MaxSsts: 0 },
    { l0FlushParallelism: 1.5 },
    { compressionCodec: 'brotli' },
    { walEnabled: 'yes' },
    { nonsense: 1 },
    { compactorOptions: { maxSstSize: -1 } },
    { compactorOptions: { pollIntervall: '1s' } },
  ];
  for (const b of bad) {
    assert.throws(
      () => resolveSettings(b as Partial<Settings>),
      (e) => isShaleDBError(e, 'invalid', 'INVALID_SETTING'),
      JSON.stringify(b),
    );
  }
});

test('a compression codec this install cannot load is rejected at settings time, naming its package', () => {
  setCodecLoaderForTest('zstd', () => {
    throw new Error("Cannot find module 'zstd-napi'");
  });
  try {
    assert.throws(
      () => resolveSettings({ compressionCodec: 'zstd' }),
      (e) => isShaleDBError(e, 'invalid', 'CODEC_UNAVAILABLE') && /zstd-napi/.test(e.message),
    );
    assert.equal(resolveSettings({ compressionCodec: 'lz4' }).compressionCodec, 'lz4');
  } finally {
    setCodecLoaderForTest('zstd', undefined);
  }
  assert.equal(resolveSettings({ compressionCodec: 'zstd' }).compressionCodec, 'zstd');
});
