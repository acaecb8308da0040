/**
 * LocalObjectStore under simulated power loss (the crashable MemoryFileSystem of src/io): a fixed sequence of
 * writes of every kind — put-if-absent, put-if-match (compare-and-swap), overwrite, streamed put, delete — runs
 * with a crash injected before each of its file-system calls in turn, in 'strict' and 'torn' mode. After the
 * reboot a fresh store on the surviving image must show, for every object, either its old version or its new one
 * whole (never a torn or partial file, never a staging name), keep every acknowledged write, and still accept
 * conditional writes against the etags it reports (no lock left behind blocks them for good).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CrashMode, MemoryFileSystem } from '../io/memory-file-system.js';
import { isTempFileName } from '../io/temp-name.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { SeededRand, testSeed } from '../util/random.js';
import { LocalObjectStore } from './local-store.js';
import { isObjectStoreError, type ObjectStore } from './object-store.js';

const ROOT = '/data/store';

/** Distinct, recognisable contents (several KiB, so a torn file would show). */
function version(name: string, n: number): Uint8Array {
  return utf8(`${name}@${n}:${`${name}-${n}-`.repeat(300)}`);
}

function storeOn(fs: MemoryFileSystem, seed: number): LocalObjectStore {
  return new LocalObjectStore(ROOT, { fs, lockStaleMs: 20, lockWaitMs: 5_000, rand: new SeededRand(seed) });
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The state before the crash: every object at version 0, made durable. */
async function prepare(store: ObjectStore): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  for (const name of ['cas', 'over', 'gone', 'stream']) {
    const { etag } = await store.put(`d/${name}`, version(name, 0));
    assert.ok(etag !== undefined);
    etags.set(name, etag);
  }
  return etags;
}

/** The writes under test, in order; records what was acknowledged. Stops at the first failure (the crash). */
async function writes(store: ObjectStore, etags: Map<string, string>, acked: Set<string>): Promise<void> {
  await store.put('d/new', version('new', 1), { mode: 'create' });
  acked.add('new');
  await store.put('d/cas', version('cas', 1), { mode: { ifMatch: etags.get('cas')! } });
  acked.add('cas');
  await store.put('d/over', version('over', 1));
  acked.add('over');
  await store.delete('d/gone');
  acked.add('gone');
  await store.putStream('d/stream', chunksOf(version('stream', 1), 1000));
  acked.add('stream');
  await store.put('e/f/deep', version('deep', 1), { mode: 'create' });
  acked.add('deep');
}

async function countOps(): Promise<number> {
  const fs = new MemoryFileSystem();
  const store = storeOn(fs, 1);
  const etags = await prepare(store);
  const before = fs.stats.ops;
  await writes(store, etags, new Set());
  return fs.stats.ops - before;
}

async function readOrUndefined(store: ObjectStore, path: string): Promise<string | undefined> {
  try {
    return fromUtf8((await store.get(path)).bytes);
  } catch (e) {
    if (isObjectStoreError(e) && e.reason === 'not-found') return undefined;
    throw e;
  }
}

test('a crash at any point of any write leaves each object whole, old or new, and keeps what was acknowledged', async () => {
  const ops = await countOps();
  assert.ok(ops > 20, `the writes made only ${ops} file-system calls`);
  const base = testSeed();
  console.log(`seed ${base}; ${ops} crash points per mode`);
  const outcomes = new Map<string, Set<string>>();
  for (const mode of ['strict', 'torn'] as CrashMode[]) {
    for (let point = 1; point <= ops + 1; point++) {
      const seed = (base + point * 2 + (mode === 'torn' ? 1 : 0)) >>> 0;
      const rand = new SeededRand(seed);
      const fs = new MemoryFileSystem();
      const etags = await prepare(storeOn(fs, seed));
      const acked = new Set<string>();
      fs.crashAfter(point, { mode, rand });
      await writes(storeOn(fs, seed + 1), etags, acked).catch((e: unknown) => {
        assert.ok(isObjectStoreError(e), `a crashed write fails as an ObjectStoreError: ${String(e)}`);
      });
      fs.crash({ mode, rand });
      fs.restart();
      const ctx = `${mode} crash before call ${point} (seed ${seed})`;
      const store = storeOn(fs, seed + 2);
      const expect: Array<[name: string, path: string, old: string | undefined, next: string | undefined]> = [
        ['new', 'd/new', undefined, fromUtf8(version('new', 1))],
        ['cas', 'd/cas', fromUtf8(version('cas', 0)), fromUtf8(version('cas', 1))],
        ['over', 'd/over', fromUtf8(version('over', 0)), fromUtf8(version('over', 1))],
        ['gone', 'd/gone', fromUtf8(version('gone', 0)), undefined],
        ['stream', 'd/stream', fromUtf8(version('stream', 0)), fromUtf8(version('stream', 1))],
        ['deep', 'e/f/deep', undefined, fromUtf8(version('deep', 1))],
      ];
      for (const [name, path, old, next] of expect) {
        const now = await readOrUndefined(store, path);
        if (acked.has(name)) assert.equal(now, next, `${ctx}: acknowledged write of ${path} lost`);
        else assert.ok(now === old || now === next, `${ctx}: ${path} is neither its old nor its new version`);
        const seen = outcomes.get(name) ?? new Set<string>();
        seen.add(now === next ? 'new' : 'old');
        outcomes.set(name, seen);
      }
      // Listings show exactly the objects that are there, in order, and no staging or lock name.
      const listed: string[] = [];
      for await (const m of store.list('')) {
        listed.push(m.path);
        assert.ok(!isTempFileName(m.path.slice(m.path.lastIndexOf('/') + 1)), `${ctx}: listed ${m.path}`);
        assert.equal(m.size, (await store.get(m.path)).bytes.length, ctx);
      }
      assert.deepEqual(listed, [...listed].sort(), ctx);
      // Conditional writes still work against what survived, with the etags the store reports now.
      const casEtag = (await store.head('d/cas')).etag;
      assert.ok(casEtag !== undefined, ctx);
      await store.put('d/cas', version('cas', 2), { mode: { ifMatch: casEtag } });
      await assert.rejects(store.put('d/cas', version('cas', 3), { mode: { ifMatch: casEtag } }), (e) =>
        isObjectStoreError(e, 'precondition-failed'),
      );
      assert.equal(await readOrUndefined(store, 'd/cas'), fromUtf8(version('cas', 2)), ctx);
      const created = await store.put('d/new', version('new', 9), { mode: 'create' }).then(
        () => true,
        (e: unknown) => {
          assert.ok(isObjectStoreError(e, 'already-exists'), `${ctx}: ${String(e)}`);
          return false;
        },
      );
      assert.equal(created, !listed.includes('d/new'), ctx);
      await store.close();
    }
  }
  // The crash points cover both outcomes of every write.
  for (const [name, seen] of outcomes) assert.deepEqual([...seen].sort(), ['new', 'old'], name);
});
