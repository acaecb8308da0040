/**
 * Object paths: the 20-digit id form, each object kind's path, and listing parsers following 0.12.1's rules
 * (extension checks for manifests and compactions, text before the first '.', foreign files skipped).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ulid } from '../util/ids.js';
import {
  compactedSstPath,
  compactionsPath,
  manifestPath,
  parseCompactedSstId,
  parseCompactionsId,
  parseManifestId,
  parseWalId,
  walSstPath,
} from './object-paths.js';

test('paths', () => {
  assert.equal(manifestPath('', 1), 'manifest/00000000000000000001.manifest');
  assert.equal(manifestPath('db', 12), 'db/manifest/00000000000000000012.manifest');
  assert.equal(compactionsPath('a/b/', 3), 'a/b/compactions/00000000000000000003.compactions');
  assert.equal(walSstPath('db', 63), 'db/wal/00000000000000000063.sst');
  const id = Ulid.parse('01ARYZ6S41TSV4RRFFQ69G5FAV');
  assert.equal(compactedSstPath('db', id), 'db/compacted/01ARYZ6S41TSV4RRFFQ69G5FAV.sst');
});

test('listing parsers', () => {
  assert.equal(parseManifestId('db/manifest/00000000000000000007.manifest'), 7);
  assert.equal(parseManifestId('db/manifest/00000000000000000007.manifest#1'), undefined);
  assert.equal(parseManifestId('db/manifest/7.txt'), undefined);
  assert.equal(parseManifestId('db/manifest/x.manifest'), undefined);
  assert.equal(parseCompactionsId('compactions/00000000000000000002.compactions'), 2);
  assert.equal(parseCompactionsId('compactions/00000000000000000002.manifest'), undefined);
  assert.equal(parseWalId('wal/00000000000000000063.sst'), 63);
  assert.equal(parseWalId('wal/00000000000000000063.sst#12'), 63);
  assert.equal(parseWalId('wal/readme'), undefined);
  assert.equal(parseWalId('wal/99999999999999999999.sst'), undefined);
  assert.equal(
    parseCompactedSstId('compacted/01ARYZ6S41TSV4RRFFQ69G5FAV.sst')?.toString(),
    '01ARYZ6S41TSV4RRFFQ69G5FAV',
  );
  assert.equal(parseCompactedSstId('compacted/nope.sst'), undefined);
});
