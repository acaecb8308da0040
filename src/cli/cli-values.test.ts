/**
 * The values the command line reads and writes: humantime durations (slatedb-cli's `--lifetime`, `--min-age`),
 * `min_age=…,period=…` schedules (the cases of slatedb-cli's own tests), CLOUD_PROVIDER store URLs and variables,
 * and key encodings (round trips).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isShaleDBError } from '../util/errors.js';
import { parseGcSchedule } from './commands/gc.js';
import { parseHumantimeMs } from './humantime.js';
import { objectStoreEnvAliases, storeUrlFromEnv } from './store-env.js';
import { BYTE_ENCODINGS, decodeKey, encodeBytes } from './text.js';

test('humantime durations as humantime 2.2 reads them', () => {
  const cases: Array<[string, number]> = [
    ['0s', 0],
    ['24h', 86_400_000],
    ['7days', 7 * 86_400_000],
    ['7days 30min 10s', 7 * 86_400_000 + 30 * 60_000 + 10_000],
    ['2h 37min', 9_420_000],
    ['2h37min', 9_420_000],
    ['1 hour', 3_600_000],
    ['32ms', 32],
    ['1month', 2_630_016_000],
    ['12M', 12 * 2_630_016_000],
    ['1y', 31_557_600_000],
    ['3secs 2mins 1hrs', 3_000 + 120_000 + 3_600_000],
    ['1500us', 1],
    ['20 min 17 nsec ', 1_200_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseHumantimeMs(text, '--lifetime'), ms, text);
  for (const bad of ['', ' ', '5', '1h 30', '1 fortnight', '-1s', '1.5h', 'h', '1m2x']) {
    assert.throws(
      () => parseHumantimeMs(bad, '--lifetime'),
      (e) => isShaleDBError(e, 'invalid', 'USAGE') && e.message.startsWith('--lifetime: '),
      bad,
    );
  }
});

test('gc schedules as slatedb-cli 0.12.1 parses them', () => {
  assert.deepEqual(parseGcSchedule('min_age=10m,period=1m', '--wal'), { minAge: 600_000, interval: 60_000 });
  assert.deepEqual(parseGcSchedule('min_age=10m,period=1m,ignored=5m', '--wal'), {
    minAge: 600_000,
    interval: 60_000,
  });
  for (const [text, message] of [
    ['period=1m', /missing or invalid 'min_age'/],
    ['min_age=10m', /missing or invalid 'period'/],
    ['min_age=invalid,period=1m', /--wal min_age: /],
    ['min_age=,period=1m', /--wal min_age: empty duration/],
    ['min_age=1m,period=0s', /period must be greater than zero/],
  ] as const) {
    assert.throws(
      () => parseGcSchedule(text, '--wal'),
      (e) => isShaleDBError(e, 'invalid', 'USAGE') && message.test(e.message),
      text,
    );
  }
});

test('CLOUD_PROVIDER names the store as slatedb-cli 0.12.1 does', () => {
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'local', LOCAL_PATH: '/data/x' }, '/'), 'file:///data/x');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'LOCAL', LOCAL_PATH: 'rel' }, '/work'), 'file:///work/rel');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'memory' }, '/'), 'memory:///');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'aws', AWS_BUCKET_NAME: 'b1' }, '/'), 's3://b1');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'aws', AWS_BUCKET: 'b2' }, '/'), 's3://b2');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'azure', AZURE_CONTAINER_NAME: 'c' }, '/'), 'az://c');
  assert.equal(storeUrlFromEnv({ CLOUD_PROVIDER: 'gcp', GOOGLE_BUCKET: 'g' }, '/'), 'gs://g');
  for (const [env, message] of [
    [{}, /no object store/],
    [{ CLOUD_PROVIDER: 'local' }, /undefined environment variable LOCAL_PATH/],
    [{ CLOUD_PROVIDER: 'aws' }, /undefined environment variable AWS_BUCKET/],
    [{ CLOUD_PROVIDER: 'azure' }, /undefined environment variable AZURE_CONTAINER_NAME/],
    [{ CLOUD_PROVIDER: 'gcp' }, /undefined environment variable GOOGLE_BUCKET/],
    [{ CLOUD_PROVIDER: 'opendal' }, /invalid environment variable CLOUD_PROVIDER value `opendal`/],
  ] as const) {
    assert.throws(() => storeUrlFromEnv(env, '/'), message);
  }
  // object_store's other spellings; names already set win.
  const emu = objectStoreEnvAliases({ AZURE_STORAGE_USE_EMULATOR: 'true' });
  assert.equal(emu['AZURE_STORAGE_ACCOUNT_NAME'], 'devstoreaccount1');
  assert.equal(emu['AZURE_STORAGE_ENDPOINT'], 'http://127.0.0.1:10000/devstoreaccount1');
  assert.match(emu['AZURE_STORAGE_ACCOUNT_KEY']!, /^Eby8vdM02x/);
  const own = objectStoreEnvAliases({
    AZURE_STORAGE_USE_EMULATOR: '1',
    AZURITE_BLOB_STORAGE_URL: 'http://azurite:10000/',
    AZURE_STORAGE_ACCOUNT_NAME: 'acct',
    AZURE_STORAGE_ACCESS_KEY: 'k1',
    AZURE_STORAGE_SAS_KEY: 'sv=1',
  });
  assert.deepEqual(
    [own['AZURE_STORAGE_ENDPOINT'], own['AZURE_STORAGE_ACCOUNT_KEY'], own['AZURE_STORAGE_SAS_TOKEN']],
    ['http://azurite:10000/acct', 'k1', 'sv=1'],
  );
  assert.equal(
    objectStoreEnvAliases({ AZURE_STORAGE_ACCOUNT_KEY: 'a', AZURE_STORAGE_ACCESS_KEY: 'b' })[
      'AZURE_STORAGE_ACCOUNT_KEY'
    ],
    'a',
  );
});

test('keys and values round-trip through every encoding', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(...BYTE_ENCODINGS), (bytes, e) => {
      assert.deepEqual(decodeKey(encodeBytes(bytes, e), e, '--from'), bytes);
    }),
  );
  assert.equal(encodeBytes(new Uint8Array([0x61, 0x5c, 0x09, 0xff]), 'escape'), 'a\\\\\\x09\\xff');
  assert.deepEqual(
    decodeKey('user:\\x00', 'escape', '--prefix'),
    new Uint8Array([...Buffer.from('user:'), 0]),
  );
  assert.deepEqual(decodeKey('é', 'escape', '--prefix'), new Uint8Array(Buffer.from('é')));
  for (const [text, e] of [
    ['\\q', 'escape'],
    ['\\x4', 'escape'],
    ['abc', 'hex'],
    ['a*b', 'base64'],
  ] as const) {
    assert.throws(
      () => decodeKey(text, e, '--from'),
      (err) => isShaleDBError(err, 'invalid', 'USAGE'),
    );
  }
});
