/**
 * The package entry (src/index.ts) exports the root open's Db, so `Db.open` from "shaledb" starts the embedded
 * compactor and collector by the settings alone (src/open/open.test.ts shows what that Db starts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Db as WriterDb } from '../src/db/db.js';
import { Db } from '../src/index.js';
import { Db as RootDb } from '../src/open/open.js';

test('the package entry exports the root open, not the writer alone', () => {
  assert.equal(Db, RootDb);
  assert.notEqual(Db, WriterDb);
});
