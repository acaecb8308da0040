/**
 * SstPaths: an SST id listed by an external database resolves under that database's (normalized) root, the last
 * listing entry winning as in 0.12.1's map; other ids resolve under the own root; a path that cannot be a database
 * root is a data error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isShaleDBError } from '../util/errors.js';
import { Ulid, Uuid } from '../util/ids.js';
import { SeededRand } from '../util/random.js';
import { SstPaths } from './sst-paths.js';

test('external SST ids resolve under their database, others under the own root', () => {
  const r = new SeededRand(1);
  const [a, b, own] = [Ulid.generate(1000, r), Ulid.generate(2000, r), Ulid.generate(3000, r)];
  const cp = Uuid.v4(r);
  const p = new SstPaths('dbs/clone');
  assert.equal(p.compactedPath(a), `dbs/clone/compacted/${a.toString()}.sst`);
  p.setExternalDbs([
    { path: '/gp/', sourceCheckpointId: cp, sstIds: [a, b] },
    { path: 'dbs/parent', sourceCheckpointId: cp, finalCheckpointId: cp, sstIds: [b] },
  ]);
  assert.equal(p.compactedPath(a), `gp/compacted/${a.toString()}.sst`);
  assert.equal(p.compactedPath(b), `dbs/parent/compacted/${b.toString()}.sst`, 'the last entry wins');
  assert.equal(p.compactedPath(own), `dbs/clone/compacted/${own.toString()}.sst`);
  assert.equal(p.isExternal(b), true);
  assert.equal(p.isExternal(own), false);
  p.setExternalDbs([]);
  assert.equal(p.compactedPath(a), `dbs/clone/compacted/${a.toString()}.sst`);
  assert.throws(
    () => p.setExternalDbs([{ path: 'a/../b', sourceCheckpointId: cp, sstIds: [a] }]),
    (e: unknown) => isShaleDBError(e, 'data', 'INVALID_FORMAT'),
  );
});
