/**
 * Checkpoint expiry before each task (0.12.1 `remove_expired_checkpoints`): expired means expireTimeS != 0 and
 * expireTimeS <= now; the write is an unfenced CAS that carries both epochs forward unchanged, retried against
 * the newer version when another process wins the race; nothing is written when nothing expired or in a dry run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GcFixture, T0 } from '../../test/support/gc-fixture.js';
import type { Manifest } from '../format/manifest.js';
import { newManifest } from '../format/manifest.js';
import { encodeManifest } from '../format/manifest-codec.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { expireCheckpoints, isCheckpointExpired } from './checkpoint-expiry.js';

const NOW_S = T0 / 1000;

test('expired means expire_time <= now; 0 never expires', () => {
  const f = new GcFixture();
  const c = (expireTimeS: number) => ({ ...f.checkpoint(1), expireTimeS });
  assert.equal(isCheckpointExpired(c(NOW_S), T0), true);
  assert.equal(isCheckpointExpired(c(NOW_S), T0 - 1), false);
  assert.equal(isCheckpointExpired(c(NOW_S - 1), T0), true);
  assert.equal(isCheckpointExpired(c(0), Number.MAX_SAFE_INTEGER), false);
});

test('removes expired checkpoints with one CAS write that keeps both epochs and everything else', async () => {
  const f = new GcFixture();
  const keep = [f.checkpoint(1, 0), f.checkpoint(1, NOW_S + 1)];
  const expired = [f.checkpoint(1, NOW_S), f.checkpoint(1, NOW_S - 600)];
  await f.writeManifest({ writerEpoch: 7, compactorEpoch: 3, replayAfterWalId: 4, walIdLastSeen: 9 });
  const before: Manifest = {
    ...newManifest(),
    writerEpoch: 7,
    compactorEpoch: 3,
    replayAfterWalId: 4,
    walIdLastSeen: 9,
    checkpoints: [keep[0]!, expired[0]!, keep[1]!, expired[1]!],
  };
  await f.gcStore.manifests.write(2, before);
  const out = await expireCheckpoints(f.gcStore, f.clock.nowMs(), false);
  assert.equal(out.removed, 2);
  const latest = await f.gcStore.readLatestManifest();
  assert.equal(latest.id, 3);
  // Byte-identical to the old version minus the expired checkpoints.
  assert.deepEqual(encodeManifest(latest.manifest), encodeManifest({ ...before, checkpoints: keep }));
});

test('nothing expired: nothing is written', async () => {
  const f = new GcFixture();
  await f.writeManifest({ checkpoints: [f.checkpoint(1, NOW_S + 1), f.checkpoint(1, 0)] });
  assert.equal((await expireCheckpoints(f.gcStore, f.clock.nowMs(), false)).removed, 0);
  assert.equal((await f.paths('manifest')).length, 1);
});

test('dry run: reports and shows the would-be manifest, writes nothing', async () => {
  const f = new GcFixture();
  await f.writeManifest({ checkpoints: [f.checkpoint(1, NOW_S), f.checkpoint(1, 0)] });
  const out = await expireCheckpoints(f.gcStore, f.clock.nowMs(), true);
  assert.equal(out.removed, 1);
  assert.equal(out.virtualLatest?.id, 2);
  assert.equal(out.virtualLatest?.manifest.checkpoints.length, 1);
  assert.equal((await f.paths('manifest')).length, 1);
});

test('a lost CAS race is retried on the newer version, whose epochs and checkpoints are kept', async () => {
  let raced = false;
  let f: GcFixture | undefined;
  const racing = (s: ObjectStore): ObjectStore => ({
    description: s.description,
    put: async (p, b, o) => {
      if (!raced && p.endsWith('00000000000000000002.manifest')) {
        raced = true;
        // A writer bumps its epoch and a reader adds a checkpoint, just before the collector's write lands.
        const m1 = await f!.gcStore.manifests.read(1);
        await f!.gcStore.manifests.write(2, {
          ...m1,
          writerEpoch: m1.writerEpoch + 1,
          checkpoints: [...m1.checkpoints, f!.checkpoint(2, NOW_S + 600)],
        });
      }
      return s.put(p, b, o);
    },
    putStream: (p, c, o) => s.putStream(p, c, o),
    get: (p, o) => s.get(p, o),
    head: (p, o) => s.head(p, o),
    list: (p, o) => s.list(p, o),
    delete: (p, o) => s.delete(p, o),
    close: () => s.close(),
  });
  f = new GcFixture({ wrap: racing });
  await f.writeManifest({ writerEpoch: 2, compactorEpoch: 5, checkpoints: [f.checkpoint(1, NOW_S - 1)] });
  const gc = f.collector(300_000);
  const report = await gc.runResource('manifest');
  assert.equal(report.error, undefined);
  assert.equal(report.expiredCheckpoints, 1);
  assert.ok(raced);
  const latest = await f.gcStore.readLatestManifest();
  assert.equal(latest.id, 3);
  assert.equal(latest.manifest.writerEpoch, 3);
  assert.equal(latest.manifest.compactorEpoch, 5);
  assert.deepEqual(
    latest.manifest.checkpoints.map((c) => c.manifestId),
    [2],
  );
});

test('expiry happens before every task, so a manifest pinned only by an expired checkpoint goes in the same pass', async () => {
  const f = new GcFixture();
  await f.writeManifest();
  await f.writeManifest({ checkpoints: [f.checkpoint(1, NOW_S + 60)] });
  await f.advance(120_000);
  const report = await f.collector(0).runResource('manifest');
  assert.equal(report.expiredCheckpoints, 1);
  // m3 (no checkpoints) was written by expiry; m1 and m2 go.
  assert.deepEqual(report.deleted.length, 2);
  assert.deepEqual(await f.paths('manifest'), ['db/manifest/00000000000000000003.manifest']);
});
