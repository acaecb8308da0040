/**
 * Codecs load on first use: importing the format layer loads no codec package, a codec whose package cannot be
 * loaded fails only when used (CODEC_UNAVAILABLE naming the package: 'invalid' to compress,
 * 'unavailable' to decompress) and the other codecs keep working.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { isShaleDBError } from '../util/errors.js';
import { setCodecLoaderForTest } from './codec-modules.js';
import { checkCodecAvailable, compressBlock, decompressBlock } from './compression.js';

const sample = new TextEncoder().encode('row-'.repeat(256));

after(() => {
  for (const c of ['snappy', 'lz4', 'zstd'] as const) setCodecLoaderForTest(c, undefined);
});

test('importing the package entry loads no codec package', () => {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(process.cwd() + '/');
    await import('./src/index.ts');
    const loaded = Object.keys(require.cache).filter((p) => /node_modules\\/(snappy|lz4-napi|zstd-napi)\\//.test(p));
    console.log(JSON.stringify(loaded));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), []);
});

test('a codec whose package is missing fails with CODEC_UNAVAILABLE naming it; others still work', () => {
  const stored = compressBlock('zstd', sample);
  setCodecLoaderForTest('zstd', () => {
    throw new Error("Cannot find module 'zstd-napi'");
  });
  const is = (kind: 'invalid' | 'unavailable') => (e: unknown) =>
    isShaleDBError(e, kind, 'CODEC_UNAVAILABLE') && /zstd-napi/.test(e.message);
  assert.throws(() => compressBlock('zstd', sample), is('invalid'));
  assert.throws(() => decompressBlock('zstd', stored, 't'), is('unavailable'));
  assert.throws(() => checkCodecAvailable('zstd'), is('invalid'));
  for (const codec of ['none', 'zlib', 'snappy', 'lz4'] as const) {
    assert.deepEqual(decompressBlock(codec, compressBlock(codec, sample), 't'), sample);
    checkCodecAvailable(codec);
  }
  setCodecLoaderForTest('zstd', undefined);
  assert.deepEqual(decompressBlock('zstd', stored, 't'), sample);
});
