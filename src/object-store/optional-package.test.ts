/**
 * A missing optional SDK is an 'invalid' PACKAGE_MISSING error naming the package and the scheme; other load
 * failures pass through unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isShaleDBError } from '../util/errors.js';
import { importOptional } from './optional-package.js';

test('a package that is not installed gives PACKAGE_MISSING naming it and the scheme', async () => {
  const pkg = '@shaledb-test/not-installed';
  await assert.rejects(
    importOptional(pkg, 's3://', () => import(pkg)),
    (e) =>
      isShaleDBError(e, 'invalid', 'PACKAGE_MISSING') &&
      e.message.includes(`npm install ${pkg}`) &&
      e.message.includes('s3://'),
  );
});

test('an installed package loads; other failures keep their own error', async () => {
  const m = await importOptional('node:path', 'file://', () => import('node:path'));
  assert.equal(typeof m.join, 'function');
  const boom = new Error('broken install');
  await assert.rejects(
    importOptional('x', 'gs://', () => Promise.reject(boom)),
    (e) => e === boom,
  );
  const other = Object.assign(new Error("Cannot find module 'tslib'"), { code: 'MODULE_NOT_FOUND' });
  await assert.rejects(
    importOptional('@azure/storage-blob', 'az://', () => Promise.reject(other)),
    (e) => e === other,
  );
});
