/**
 * The quickstart runs end to end in a fresh directory and reports what it read back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withTempDir } from '../../test/support/io-temp-dir.js';
import { quickstart } from './quickstart.js';

test('quickstart writes, reads, scans, flushes and reopens', async () => {
  await withTempDir(async (dir) => {
    const lines: string[] = [];
    await quickstart(dir, (l) => lines.push(l));
    const out = lines.join('\n');
    assert.match(out, /get greeting {3}= hello, object storage/);
    assert.match(out, /get log {8}= first;second;/);
    assert.match(out, /get user:0007 {2}= \(none\)/);
    assert.match(out, /scan user:0005\.\.user:0010 -> user:0005, user:0006, user:0008, user:0009/);
    assert.match(out, /scanPrefix user: -> 999 keys/);
    assert.match(out, /reopened in .* greeting = hello, object storage/);
  });
});
