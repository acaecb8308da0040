/**
 * LocalObjectStore: the contract suite on a temporary directory, plus what is particular to the local store: the
 * Rust LocalFileSystem layout (percent-encoded names, etag and mtime from the file, hidden staging names), the
 * cross-process compare-and-swap lock (child processes racing on one counter lose no update), and stale-lock
 * recovery (a dead holder's lock is broken at once, an old lock after `lockStaleMs`, a live one is waited for).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeObjectStoreContract } from '../../test/support/object-store-contract.js';
import { bytesOf, collect, rejectsWith, textOf } from '../../test/support/object-store-contract-basic.js';
import { nodeFileSystem } from '../io/node-file-system.js';
import { isShaleDBError } from '../util/errors.js';
import { localEtag } from './local-listing.js';
import { lockPathOf } from './local-paths.js';
import { LocalObjectStore } from './local-store.js';

const base = fs.mkdtempSync(join(tmpdir(), 'shaledb-local-store-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));
let counter = 0;
function freshRoot(): string {
  return join(base, `root-${++counter}`);
}

describeObjectStoreContract('local', {
  makeStore: async () => new LocalObjectStore(freshRoot()),
  supports: { objectAndPrefixKeys: false },
});

describe('local store layout (Rust LocalFileSystem compatible)', () => {
  it('objects are files at percent-encoded paths; etag and last-modified come from the file', async () => {
    const root = freshRoot();
    const s = new LocalObjectStore(root);
    await s.put('manifest/00000000000000000001.manifest', bytesOf('m1'));
    await s.put('odd/a#b%c ü', bytesOf('x'));
    const file = join(root, 'manifest/00000000000000000001.manifest');
    assert.equal(fs.readFileSync(file, 'utf8'), 'm1');
    assert.equal(fs.readFileSync(join(root, 'odd', 'a%23b%25c %C3%BC'), 'utf8'), 'x');
    const st = fs.statSync(file, { bigint: true });
    const h = await s.head('manifest/00000000000000000001.manifest');
    assert.equal(
      h.etag,
      `${st.ino.toString(16)}-${(st.mtimeNs / 1000n).toString(16)}-${st.size.toString(16)}`,
    );
    assert.equal(h.etag, localEtag(nodeFileSystem.statSync(file)));
    assert.equal(h.lastModifiedMs, Number(st.mtimeNs / 1_000_000n));
    assert.deepEqual(fs.readdirSync(join(root, 'manifest')), ['00000000000000000001.manifest']);
  });

  it('staging, lock and trash names and non-canonical names are not listed', async () => {
    const root = freshRoot();
    const s = new LocalObjectStore(root);
    await s.put('d/real', bytesOf('r'));
    for (const name of ['real#1', 'real#0', 'real#012345678', 'other#98765432109876']) {
      fs.writeFileSync(join(root, 'd', name), 'hidden');
    }
    fs.writeFileSync(join(root, 'd', 'name#tag'), 'not canonical: no object path maps here');
    fs.writeFileSync(join(root, 'd', 'x%c3%bc'), 'not canonical either (lower-case hex)');
    fs.writeFileSync(join(root, 'd', 'x%C3%BC'), 'canonical');
    fs.mkdirSync(join(root, 'd', 'sub'));
    assert.deepEqual(
      (await collect(s.list('d/'))).map((m) => m.path),
      ['d/real', 'd/xü'],
    );
    assert.equal(textOf((await s.get('d/xü')).bytes), 'canonical');
    await rejectsWith(s.get('d/sub'), 'not-found');
    await rejectsWith(s.get('d/real/under-a-file'), 'not-found');
    await rejectsWith(s.head('d/real/under-a-file'), 'not-found');
  });

  it('sweepStagingFiles removes old staging and lock leftovers, and nothing else', async () => {
    const root = freshRoot();
    const s = new LocalObjectStore(root, { lockStaleMs: 1_000 });
    await s.put('a/b/obj', bytesOf('keep'));
    const old = new Date(Date.now() - 60_000);
    for (const name of ['a/b/obj#12345678901234', 'a/b/obj#0', 'a/x#1']) {
      fs.writeFileSync(join(root, name), 'leftover');
      fs.utimesSync(join(root, name), old, old);
    }
    fs.writeFileSync(join(root, 'a/b/fresh#98765432109876'), 'a write in progress');
    await assert.rejects(s.sweepStagingFiles(10), (e) => isShaleDBError(e, 'invalid'));
    assert.equal(await s.sweepStagingFiles(30_000), 3);
    assert.deepEqual(fs.readdirSync(join(root, 'a/b')).sort(), ['fresh#98765432109876', 'obj']);
    assert.equal(textOf((await s.get('a/b/obj')).bytes), 'keep');
  });

  it('successive versions never share an etag, even with reused inodes and equal sizes', async () => {
    const s = new LocalObjectStore(freshRoot(), { durability: 'none' });
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const r = await s.put('v', bytesOf('same'));
      assert.ok(!seen.has(r.etag!), `etag ${r.etag} repeated at version ${i}`);
      seen.add(r.etag!);
      assert.equal((await s.head('v')).etag, r.etag);
    }
  });
});

describe('local store compare-and-swap lock', () => {
  const child = fileURLToPath(new URL('../../test/support/local-cas-child.ts', import.meta.url));

  function runChild(root: string, increments: number, id: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', child, root, String(increments), String(id)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => {
        out += d;
      });
      p.stderr.on('data', (d) => {
        err += d;
      });
      p.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`child ${id} exited ${code}: ${err}`)),
      );
    });
  }

  it('processes racing compare-and-swap increments on one object lose no update', async () => {
    const root = freshRoot();
    const s = new LocalObjectStore(root, { durability: 'none' });
    await s.put('counter', bytesOf('0'));
    const processes = 4;
    const increments = 25;
    const outs = await Promise.all(
      Array.from({ length: processes }, (_, i) => runChild(root, increments, i)),
    );
    for (const o of outs) assert.match(o, /^done \d+/);
    assert.equal(textOf((await s.get('counter')).bytes), String(processes * increments));
    const leftovers = fs.readdirSync(root).filter((n) => n.includes('#'));
    assert.deepEqual(leftovers, [], 'no lock, staging or trash file is left behind');
  });

  it('a lock left by a dead process is broken at once', async () => {
    const root = freshRoot();
    const s = new LocalObjectStore(root, { lockStaleMs: 60_000, lockWaitMs: 2_000 });
    const r = await s.put('k', bytesOf('v1'));
    const dead = await deadPid();
    const lock = lockPathOf(join(root, 'k'));
    fs.writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), token: 'gone', acquiredAtMs: 0 }));
    await s.put('k', bytesOf('v2'), { mode: { ifMatch: r.etag! } });
    assert.equal(textOf((await s.get('k')).bytes), 'v2');
    assert.ok(!fs.existsSync(lock));
  });

  it('a live holder is waited for, and an old lock is broken after lockStaleMs', async () => {
    const root = freshRoot();
    const s = new LocalObjectStore(root, { lockStaleMs: 400, lockWaitMs: 150 });
    await s.put('k', bytesOf('v1'));
    const lock = lockPathOf(join(root, 'k'));
    fs.writeFileSync(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), token: 'held', acquiredAtMs: 0 }),
    );
    await rejectsWith(s.put('k', bytesOf('blocked')), 'transient');
    await rejectsWith(s.delete('k'), 'transient');
    assert.equal(textOf((await s.get('k')).bytes), 'v1');
    const patient = new LocalObjectStore(root, { lockStaleMs: 400, lockWaitMs: 5_000 });
    await patient.put('k', bytesOf('v2'));
    assert.equal(textOf((await s.get('k')).bytes), 'v2');
    assert.ok(!fs.existsSync(lock));
  });

  it('a create needs no lock: it succeeds while another key is locked and fails on an existing object', async () => {
    const root = freshRoot();
    const s = new LocalObjectStore(root, { lockWaitMs: 100 });
    await s.put('k', bytesOf('v1'));
    fs.writeFileSync(
      lockPathOf(join(root, 'k')),
      JSON.stringify({ pid: process.pid, host: hostname(), token: 't' }),
    );
    await rejectsWith(s.put('k', bytesOf('v2'), { mode: 'create' }), 'already-exists');
    await s.put('other', bytesOf('o'), { mode: 'create' });
    assert.equal(textOf((await s.get('other')).bytes), 'o');
  });
});

/** A pid that is not running (a child that has exited). */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['-e', '0']);
    p.on('exit', () => resolve(p.pid!));
  });
}

describe('local store read descriptor cache', () => {
  it('never serves a replaced or deleted object', async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'shaledb-fdcache-'));
    try {
      const store = new LocalObjectStore(dir);
      await store.put('a/x', bytesOf('one'));
      assert.equal(textOf((await store.get('a/x')).bytes), 'one');
      await store.put('a/x', bytesOf('two!'));
      assert.equal(textOf((await store.get('a/x')).bytes), 'two!');
      // Replaced behind the store's back (as another process would), with the same size.
      const file = join(dir, 'a', 'x');
      fs.writeFileSync(`${file}#77`, 'six!');
      fs.renameSync(`${file}#77`, file);
      assert.equal(textOf((await store.get('a/x')).bytes), 'six!');
      fs.unlinkSync(file);
      await assert.rejects(store.get('a/x'), (e) => isShaleDBError(e, 'unavailable', 'OBJECT_NOT_FOUND'));
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('local store synchronous reads', () => {
  it('tryGetSync serves small ranges like get, declines large ones, and fails like get', async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'shaledb-syncread-'));
    try {
      const store = new LocalObjectStore(dir, { syncReadBytesMax: 8 });
      await store.put('a/x', bytesOf('0123456789abcdef'));
      const whole = await store.get('a/x', { range: { offset: 2, length: 5 } });
      const sync = store.tryGetSync('a/x', { offset: 2, length: 5 })!;
      assert.equal(textOf(sync.bytes), '23456');
      assert.equal(sync.offset, 2);
      assert.deepEqual(sync.meta, whole.meta);
      assert.equal(textOf(store.tryGetSync('a/x', { suffix: 3 })!.bytes), 'def');
      // Longer than syncReadBytesMax: left to get (which reads it on the thread pool).
      assert.equal(store.tryGetSync('a/x'), undefined);
      assert.equal(textOf((await store.get('a/x')).bytes), '0123456789abcdef');
      assert.throws(
        () => store.tryGetSync('a/missing', { offset: 0, length: 1 }),
        (e) => isShaleDBError(e, 'unavailable', 'OBJECT_NOT_FOUND'),
      );
      // Past the end: clamped to nothing, as get does.
      assert.equal(store.tryGetSync('a/x', { offset: 99, length: 1 })!.bytes.length, 0);
      assert.equal((await store.get('a/x', { range: { offset: 99, length: 1 } })).bytes.length, 0);
      assert.throws(
        () => store.tryGetSync('../escape', { offset: 0, length: 1 }),
        (e) => isShaleDBError(e),
      );
      // A replaced object is read anew, never from the stale descriptor.
      await store.put('a/x', bytesOf('ZYXWVUTSRQPONMLK'));
      assert.equal(textOf(store.tryGetSync('a/x', { offset: 0, length: 3 })!.bytes), 'ZYX');
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
