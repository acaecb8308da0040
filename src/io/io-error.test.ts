/**
 * IoError: errno-to-code mapping, kinds, retryability, and the wrapping of real Node system errors.
 */
import assert from 'node:assert/strict';
import { openSync } from 'node:fs';
import { test } from 'node:test';
import { ShaleDBError } from '../util/errors.js';
import {
  alreadyExistsError,
  codeForErrno,
  IoError,
  isAlreadyExists,
  isNotFound,
  toIoError,
} from './io-error.js';

test('known errnos get IO_<ERRNO> codes, others IO_ERROR', () => {
  for (const e of ['ENOSPC', 'EIO', 'EACCES', 'EMFILE', 'EROFS', 'EDQUOT'])
    assert.equal(codeForErrno(e), `IO_${e}`);
  assert.equal(codeForErrno('EWEIRD'), 'IO_ERROR');
  assert.equal(codeForErrno(undefined), 'IO_ERROR');
});

test('a real ENOENT from node:fs becomes an IoError with step, path, errno and syscall', () => {
  let raw: unknown;
  try {
    openSync('/definitely/not/here', 'r');
  } catch (e) {
    raw = e;
  }
  const err = toIoError('open', '/definitely/not/here', raw);
  assert.ok(err instanceof IoError);
  assert.equal(err.code, 'IO_ENOENT');
  assert.equal(err.kind, 'unavailable');
  assert.equal(err.step, 'open');
  assert.equal(err.errno, 'ENOENT');
  assert.equal(err.syscall, 'open');
  assert.equal(typeof err.errnoNumber, 'number');
  assert.equal(err.cause, raw);
  assert.ok(isNotFound(err) && isNotFound(raw));
  assert.match(err.message, /^open \/definitely\/not\/here: ENOENT/);
});

test('kinds and retryability', () => {
  assert.equal(toIoError('open', '/x', { code: 'ENAMETOOLONG' }).kind, 'invalid');
  const full = toIoError('write', '/x', { code: 'ENOSPC' }) as IoError;
  assert.equal(full.retryable, true);
  assert.equal((toIoError('flush', '/x', { code: 'EIO' }) as IoError).retryable, false);
  assert.equal(
    (toIoError('flush', '/x', { code: 'ENOSPC' }) as IoError).retryable,
    false,
    'never retry a flush',
  );
  const ae = alreadyExistsError('/x');
  assert.ok(isAlreadyExists(ae));
  assert.equal(ae.kind, 'unavailable');
  const poisoned = new IoError('flush', '/j', 'poisoned', { code: 'JOURNAL_POISONED', kind: 'closed' });
  assert.equal(poisoned.closeReason, 'panic');
});

test('ShaleDBErrors pass through; non-errno errors keep their message', () => {
  const own = new ShaleDBError('data', 'INVALID_FORMAT', 'x');
  assert.equal(toIoError('read', '/x', own), own);
  const other = toIoError('read', '/x', new Error('boom'));
  assert.equal(other.code, 'IO_ERROR');
  assert.match(other.message, /boom/);
});
