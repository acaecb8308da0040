/**
 * Settings loading tests: the three file formats with 0.12.1's snake_case names (the examples of 0.12.1's own
 * config tests), camelCase, environment variables with "." and "__" nesting, the precedence of loadSettings
 * (defaults ← SlateDb.* ← ShaleDb.* ← SLATEDB_* ← SHALEDB_*), and 'invalid' errors naming unknown keys.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { isShaleDBError } from '../util/errors.js';
import { resolveSettings } from './settings.js';
import {
  loadSettings,
  parseSettingsText,
  settingsFromEnv,
  settingsFromFile,
  settingsOverridesFromEnv,
} from './settings-load.js';

function invalidNaming(key: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isShaleDBError(e, 'invalid', 'INVALID_SETTING'), String(e));
    assert.ok((e as Error).message.includes(key), `message names ${key}: ${(e as Error).message}`);
    return true;
  };
}

test('from_file: json, toml and yaml with 0.12.1 snake_case names', async () => {
  await withTempDir(async (dir) => {
    const files: Record<string, string> = {
      'c.json':
        '{"flush_interval": "1s", "object_store_cache_options": {"root_folder": "/tmp/slatedb-root"}}',
      'c.toml': 'flush_interval = "1s"\n[object_store_cache_options]\nroot_folder = "/tmp/slatedb-root"\n',
      'c.yaml': 'flush_interval: "1s"\nobject_store_cache_options:\n    root_folder: "/tmp/slatedb-root"\n',
      'c.yml': 'flush_interval: "1s"\nobject_store_cache_options:\n    root_folder: "/tmp/slatedb-root"\n',
    };
    for (const [name, text] of Object.entries(files)) {
      const p = join(dir, name);
      writeFileSync(p, text);
      const s = settingsFromFile(p);
      assert.equal(s.flushInterval, '1s', name);
      assert.equal(s.objectStoreCacheOptions.rootFolder, '/tmp/slatedb-root', name);
      // Fields not in the file keep 0.12.1's defaults, including the cache's part size.
      assert.equal(s.objectStoreCacheOptions.partSizeBytes, 4 * 1024 * 1024, name);
      assert.equal(s.l0MaxSsts, 8, name);
      const r = resolveSettings(s);
      assert.equal(r.flushIntervalMs, 1000, name);
      assert.equal(r.objectStoreCacheOptions?.rootFolder, '/tmp/slatedb-root', name);
    }
  });
});

test('from_file: a full 0.12.1 TOML example with nested tables, scheduler options and codec spelling', () => {
  const s = parseSettingsText(
    [
      'flush_interval = "100ms"',
      'l0_sst_size_bytes = 67108864',
      'max_unflushed_bytes = 536870912',
      'compression_codec = "Zstd"',
      '[compactor_options]',
      'poll_interval = "5s"',
      'max_concurrent_compactions = 2',
      '[compactor_options.scheduler_options]',
      'min_compaction_sources = "4"',
      '[garbage_collector_options.wal_options]',
      'min_age = "60s"',
      '[object_store_cache_options]',
      'root_folder = "/c"',
      'max_cache_size_bytes = 1048576',
      'part_size_bytes = 65536',
      'cache_puts = true',
      'preload_disk_cache_on_startup = "AllSst"',
    ].join('\n'),
    'toml',
    'x.toml',
  );
  const r = resolveSettings(s);
  assert.equal(r.compressionCodec, 'zstd');
  assert.equal(r.maxUnflushedBytes, 536870912);
  assert.equal(r.compactorOptions?.maxConcurrentCompactions, 2);
  assert.deepEqual(r.compactorOptions?.schedulerOptions, { min_compaction_sources: '4' });
  assert.equal(r.garbageCollectorOptions?.wal?.minAgeMs, 60_000);
  assert.equal(r.garbageCollectorOptions?.manifest?.minAgeMs, 300_000);
  assert.deepEqual(r.objectStoreCacheOptions, {
    rootFolder: '/c',
    maxCacheSizeBytes: 1048576,
    partSizeBytes: 65536,
    cachePuts: true,
    preloadDiskCacheOnStartup: 'AllSst',
    scanIntervalMs: 3_600_000,
  });
});

test('camelCase keys are accepted; the same field twice is an error', () => {
  const s = parseSettingsText(
    '{"flushInterval": "2s", "objectStoreCacheOptions": {"cachePuts": true}}',
    'json',
    'j',
  );
  assert.equal(s.flushInterval, '2s');
  assert.equal(s.objectStoreCacheOptions?.cachePuts, true);
  assert.throws(
    () => parseSettingsText('{"flushInterval": "2s", "flush_interval": "1s"}', 'json', 'j'),
    invalidNaming('flush_interval'),
  );
});

test('unknown keys are invalid errors naming the key, at any depth and in any source', async () => {
  assert.throws(
    () => parseSettingsText('flush_intervall = "1s"', 'toml', 't'),
    invalidNaming('flush_intervall'),
  );
  assert.throws(
    () => parseSettingsText('compactor_options:\n  poll_intervall: 5s\n', 'yaml', 'y'),
    invalidNaming('compactor_options.poll_intervall'),
  );
  assert.throws(
    () => parseSettingsText('{"object_store_cache_options": {"root": "/x"}}', 'json', 'j'),
    invalidNaming('object_store_cache_options.root'),
  );
  assert.throws(
    () => settingsFromEnv('SLATEDB_', { SLATEDB_FLUSH_INTERVALL: '1s' }),
    invalidNaming('flushIntervall'),
  );
  assert.throws(
    () => settingsFromEnv('SLATEDB_', { 'SLATEDB_OBJECT_STORE_CACHE_OPTIONS.ROOT': '/x' }),
    invalidNaming('objectStoreCacheOptions.root'),
  );
  // Bad values are invalid too, naming the setting and the source.
  assert.throws(
    () => settingsFromEnv('SLATEDB_', { SLATEDB_L0_MAX_SSTS: 'eight' }),
    invalidNaming('SLATEDB_L0_MAX_SSTS'),
  );
  await withTempDir(async (dir) => {
    const p = join(dir, 'bad.toml');
    writeFileSync(p, 'l0_max_ssts = 0\n');
    assert.throws(() => settingsFromFile(p), invalidNaming('l0MaxSsts'));
    const q = join(dir, 'settings.ini');
    writeFileSync(q, 'x=1');
    assert.throws(() => settingsFromFile(q), invalidNaming('unknown configuration format'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"flush_interval": ');
    assert.throws(() => settingsFromFile(broken), invalidNaming('not valid json'));
  });
});

test('from_env: 0.12.1 names with "." nesting, "__" nesting, typed values, null', () => {
  const s = settingsFromEnv('SLATEDB_', {
    SLATEDB_FLUSH_INTERVAL: '1s',
    'SLATEDB_OBJECT_STORE_CACHE_OPTIONS.ROOT_FOLDER': '/tmp/slatedb-root',
    SLATEDB_OBJECT_STORE_CACHE_OPTIONS__CACHE_PUTS: 'true',
    SLATEDB_L0_MAX_SSTS: '12',
    SLATEDB_COMPACTOR_OPTIONS__SCHEDULER_OPTIONS__MIN_COMPACTION_SOURCES: '3',
    SLATEDB_GARBAGE_COLLECTOR_OPTIONS__WAL_OPTIONS: 'null',
    SLATEDB_DEFAULT_TTL: '60000',
    OTHER_FLUSH_INTERVAL: '9s',
  });
  const r = resolveSettings(s);
  assert.equal(r.flushIntervalMs, 1000);
  assert.equal(r.objectStoreCacheOptions?.rootFolder, '/tmp/slatedb-root');
  assert.equal(r.objectStoreCacheOptions?.cachePuts, true);
  assert.equal(r.l0MaxSsts, 12);
  assert.deepEqual(r.compactorOptions?.schedulerOptions, { min_compaction_sources: '3' });
  assert.equal(r.garbageCollectorOptions?.wal, null);
  assert.notEqual(r.garbageCollectorOptions?.manifest, null);
  assert.equal(r.defaultTtlMs, 60_000);
  // ShaleDB's tooling variables are not settings.
  assert.deepEqual(
    settingsOverridesFromEnv('SHALEDB_', {
      SHALEDB_SEED: '7',
      SHALEDB_TEST_CONCURRENCY: '1',
      SHALEDB_REWRITE: '1',
      SHALEDB_INVARIANTS: '1',
    }),
    {},
  );
});

test('loadSettings precedence: defaults < SlateDb.json < SlateDb.toml < SlateDb.yaml < ShaleDb.* < SLATEDB_* < SHALEDB_*', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(
      join(dir, 'SlateDb.json'),
      JSON.stringify({ l0_max_ssts: 1, l0_flush_parallelism: 1, min_filter_keys: 1, filter_bits_per_key: 1 }),
    );
    writeFileSync(
      join(dir, 'SlateDb.toml'),
      'l0_flush_parallelism = 2\nmin_filter_keys = 2\nfilter_bits_per_key = 2\n',
    );
    writeFileSync(
      join(dir, 'SlateDb.yaml'),
      'min_filter_keys: 3\nfilter_bits_per_key: 3\ncompactor_options:\n  max_fetch_tasks: 7\n',
    );
    writeFileSync(
      join(dir, 'ShaleDb.yml'),
      'filter_bits_per_key: 4\ncompactor_options:\n  poll_interval: 9s\n',
    );
    const env = {
      SLATEDB_MAX_UNFLUSHED_BYTES: '1000',
      SLATEDB_L0_SST_SIZE_BYTES: '2000',
      SHALEDB_L0_SST_SIZE_BYTES: '3000',
      SHALEDB_SEED: '1',
    };
    const r = resolveSettings(loadSettings({ cwd: dir, env }));
    assert.equal(r.l0MaxSsts, 1); // only in SlateDb.json
    assert.equal(r.l0FlushParallelism, 2); // toml over json
    assert.equal(r.minFilterKeys, 3); // yaml over toml
    assert.equal(r.filterBitsPerKey, 4); // ShaleDb.yml over SlateDb.*
    assert.equal(r.maxUnflushedBytes, 1000); // SLATEDB_ env over files/defaults
    assert.equal(r.l0SstSizeBytes, 3000); // SHALEDB_ over SLATEDB_
    // Nested groups merge field by field across sources.
    assert.equal(r.compactorOptions?.maxFetchTasks, 7);
    assert.equal(r.compactorOptions?.pollIntervalMs, 9000);
    assert.equal(r.compactorOptions?.maxConcurrentCompactions, 4); // default
    assert.equal(r.manifestPollIntervalMs, 1000); // default
    // Nothing present: the defaults.
    await withTempDir(async (empty) => {
      assert.deepEqual(resolveSettings(loadSettings({ cwd: empty, env: {} })), resolveSettings());
    });
  });
});
