/**
 * The standalone compactor process: started with `shaledb compactor --store file://... --path db`, it compacts a
 * database's L0s into a sorted run, the writer reads the same data afterwards, and SIGTERM stops it cleanly (exit 0).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '../../../test/support/io-temp-dir.js';
import { compactionDone } from '../../../test/support/slatedb-db-check.js';
import { Db } from '../../db/db.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

test('shaledb compactor compacts and stops cleanly on SIGTERM', async () => {
  await withTempDir(async (dir) => {
    const settings = {
      flushInterval: '10ms',
      compactorOptions: null,
      garbageCollectorOptions: null,
    } as const;
    const db = await Db.open('db', `file://${dir}`, { settings });
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 50; j++) await db.put(`k${i}-${j}`, `v${i}-${j}`, { awaitDurable: false });
      await db.flush({ type: 'memtable' });
    }
    await db.close();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        MAIN,
        'compactor',
        '--store',
        `file://${dir}`,
        '--path',
        'db',
        '--poll-interval',
        '50ms',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 400 && !compactionDone(dir); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(compactionDone(dir), `no compaction happened:\n${out}`);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    assert.match(out, /compactor running on file:\/\//);
    assert.match(out, /compaction .* done/);
    assert.match(out, /stopped cleanly \(1 compactions completed\)/);
    const again = await Db.open('db', `file://${dir}`, { settings });
    assert.equal(again.status().l0Count, 0);
    for (let i = 0; i < 5; i++)
      assert.equal(Buffer.from((await again.get(`k${i}-7`))!).toString(), `v${i}-7`);
    await again.close();
  });
});
