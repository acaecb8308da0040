/**
 * The child process of the disk cache's SIGKILL suite (src/object-store/disk-cache/cache-crash-kill.test.ts): opens a
 * CachedObjectStore with a small size bound on `<cacheDir>` over a LocalObjectStore on `<storeDir>`, and reads random
 * ranges of its objects from several concurrent readers (constant saves and evictions) until killed. It checks every
 * read against the store itself, reporting `{"t":"bad"}` if one ever differs.
 *
 * Invariants: reports `{"t":"ready"}` once the cache is open, then `{"t":"n", n}` every 50 checked reads.
 * Concurrency: four readers in one process.
 */
import { CachedObjectStore } from '../../src/object-store/disk-cache/cached-store.js';
import { LocalObjectStore } from '../../src/object-store/local-store.js';
import { SeededRand } from '../../src/util/random.js';

const [storeDir, cacheDir, seedText] = process.argv.slice(2);
if (storeDir === undefined || cacheDir === undefined || seedText === undefined) {
  throw new Error('usage: cache-crash-child.ts <storeDir> <cacheDir> <seed>');
}
const rand = new SeededRand(Number(seedText));
const inner = new LocalObjectStore(storeDir, { durability: 'none' });
const cached = await CachedObjectStore.open(inner, {
  rootFolder: cacheDir,
  partSizeBytes: 4096,
  maxCacheSizeBytes: 48 * 1024,
});
const paths: string[] = [];
for await (const m of inner.list('')) paths.push(m.path);
process.stdout.write(`${JSON.stringify({ t: 'ready' })}\n`);
let n = 0;
async function reader(): Promise<never> {
  for (;;) {
    const path = paths[rand.nextInt(paths.length)]!;
    const size = (await inner.head(path)).size;
    const offset = rand.nextInt(size);
    const length = rand.nextInt(size - offset) + 1;
    const got = await cached.get(path, { range: { offset, length } });
    const want = await inner.get(path, { range: { offset, length } });
    if (Buffer.compare(Buffer.from(got.bytes), Buffer.from(want.bytes)) !== 0) {
      process.stdout.write(`${JSON.stringify({ t: 'bad', path, offset, length })}\n`);
    }
    if (++n % 50 === 0) process.stdout.write(`${JSON.stringify({ t: 'n', n })}\n`);
  }
}
await Promise.all([reader(), reader(), reader(), reader()]);
