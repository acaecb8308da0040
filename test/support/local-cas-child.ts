/**
 * Child process for the local store's cross-process tests (src/object-store/local-store.test.ts): increments a
 * counter object `increments` times with compare-and-swap loops (and overwrites/deletes a scratch object in
 * between, to exercise the lock from every operation), then prints `done <attempts>` on stdout.
 *
 * Usage: local-cas-child.ts <root dir> <increments> <id>
 */
import { LocalObjectStore } from '../../src/object-store/local-store.js';
import { isObjectStoreError } from '../../src/object-store/object-store.js';

const [root, incrementsText, id] = process.argv.slice(2);
if (root === undefined || incrementsText === undefined || id === undefined) {
  throw new Error('usage: local-cas-child.ts <root> <increments> <id>');
}
const store = new LocalObjectStore(root, { durability: 'none' });
let attempts = 0;
for (let done = 0; done < Number(incrementsText); ) {
  const g = await store.get('counter');
  const next = Number(Buffer.from(g.bytes).toString()) + 1;
  attempts++;
  try {
    await store.put('counter', Buffer.from(String(next)), { mode: { ifMatch: g.meta.etag! } });
    done++;
  } catch (e) {
    if (!isObjectStoreError(e, 'precondition-failed')) throw e;
  }
  await store.put(`scratch/${id}`, Buffer.from(String(done)));
  if (done % 3 === 0) await store.delete(`scratch/${id}`);
}
process.stdout.write(`done ${attempts}\n`);
