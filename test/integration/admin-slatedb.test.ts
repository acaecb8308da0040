/**
 * The admin API on a database SlateDB 0.12.1 (@slatedb/uniffi) wrote, on one `file://` directory: SlateDB writes
 * memtables, flushes them, compacts the L0s with its own compactor, and holds a managed reader (with its
 * checkpoint); then the admin API
 * - reads and lists manifests and compactions files consistent with the store and with each other (the latest
 *   manifest holds the sorted run the last completed compaction wrote), and the JSON serializers agree;
 * - lists SlateDB's checkpoint (10-minute lifetime) and creates one SlateDB's pinned reader reads exactly as the
 *   latest state;
 * - converts seq <-> time with the tracker SlateDB wrote: every sample is one of SlateDB's writes, stamped within a
 *   second of its create_ts, and both directions round as 0.12.1 does;
 * - runs one GC pass with minimum age 0 for every resource: old manifests, WAL SSTs and compacted L0s go, and
 *   SlateDB still reads the same rows, latest and through both checkpoints.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAdmin } from '../../src/admin/admin.js';
import { compactionsToJson, manifestToJson } from '../../src/admin/admin-json.js';
import { compactionDestination } from '../../src/format/compactions.js';
import { SequenceTracker } from '../../src/format/sequence-tracker.js';
import { Ulid } from '../../src/util/ids.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { requireOracle } from '../support/slatedb-oracle.js';
import { OracleReader } from '../support/slatedb-reader.js';
import { RemoteOracle } from '../support/slatedb-remote.js';
import { INTEROP_WAIT, waitFor } from '../support/wait.js';

const put = (k: string, v: string) => ({ type: 'put' as const, key: Buffer.from(k), value: Buffer.from(v) });

function files(dir: string, sub: string): string[] {
  try {
    return readdirSync(join(dir, 'db', sub)).sort();
  } catch {
    return [];
  }
}

test('admin API on a SlateDB-written database: manifests, compactions, checkpoints, seq<->ts, one GC pass', async () => {
  const m = await requireOracle();
  await withTempDir(async (dir) => {
    const url = `file://${dir}`;
    // SlateDB writes four memtables (unique keys: every write stays visible), compacts them (four L0s are its
    // threshold), then writes two more L0s.
    const writes = new Map<number, number>(); // seq -> create_ts
    const slate = await RemoteOracle.open({ dir, mergeOperator: null, compactor: { pollInterval: '100ms' } });
    const admin = await openAdmin('db', url);
    try {
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j < 5; j++) {
          const h = await slate.write([put(`m${i}-k${j}`, `v${i}.${j}`)]);
          writes.set(h.seq, h.createTs);
        }
        await slate.flushMemtable();
        if (i === 3) {
          await waitFor(
            async () => ((await admin.readManifest())?.manifest.compacted.length ?? 0) > 0,
            'SlateDB to compact the L0s',
            INTEROP_WAIT,
          );
        }
      }
      const h = await slate.write([put('tail', 'in-the-wal')]);
      writes.set(h.seq, h.createTs);
    } finally {
      await slate.close('shutdown');
    }
    const expected = await RemoteOracle.readAll(dir, 'db');
    assert.equal(expected.size, 31);
    // readAll's reader ran in a child that was killed: its checkpoint may remain.
    const before = await admin.listCheckpoints();
    const slateReader = await OracleReader.open(m, dir, { concat: false });
    try {
      // Manifests: the listing is the store's manifest/ directory; the latest is the last of it.
      const listed = await admin.listManifests();
      assert.deepEqual(
        listed.map((f) => f.location),
        files(dir, 'manifest'),
      );
      const latest = (await admin.readManifest())!;
      assert.equal(latest.id, listed[listed.length - 1]!.id);
      const mf = latest.manifest;
      assert.ok(mf.compacted.length >= 1, 'a sorted run');
      assert.ok(mf.writerEpoch >= 1 && mf.compactorEpoch >= 1);
      assert.equal((await admin.readManifest(listed[0]!.id))?.id, listed[0]!.id);
      assert.equal(await admin.readManifest(latest.id + 1n), undefined);
      const json = JSON.parse(manifestToJson(latest));
      assert.equal(json[0], Number(latest.id));
      assert.equal(json[1].core.next_wal_sst_id, mf.walIdLastSeen + 1);
      assert.deepEqual(
        json[1].core.compacted.map((sr: { id: number }) => sr.id),
        mf.compacted.map((sr) => sr.id),
      );
      assert.deepEqual(
        json[1].core.l0.map((v: { sst: { id: { Compacted: string } } }) => v.sst.id.Compacted),
        mf.l0.map((s) => s.id.toString()),
      );

      // Compactions: the last completed compaction wrote a sorted run the latest manifest holds.
      const compactionFiles = await admin.listCompactions();
      assert.deepEqual(
        compactionFiles.map((f) => f.location),
        files(dir, 'compactions'),
      );
      const cs = (await admin.readCompactions())!;
      assert.equal(cs.id, compactionFiles[compactionFiles.length - 1]!.id);
      assert.equal(cs.compactions.compactorEpoch, mf.compactorEpoch);
      const done = cs.compactions.recentCompactions.filter((c) => c.status === 'completed');
      assert.ok(done.length >= 1);
      const runIds = mf.compacted.map((sr) => sr.id);
      for (const c of done) assert.ok(runIds.includes(compactionDestination(c.spec)));
      assert.equal((await admin.readCompaction(done[0]!.id.toString()))?.status, 'completed');
      const cjson = JSON.parse(compactionsToJson(cs));
      assert.equal(cjson[1].core.recent_compactions[done[0]!.id.toString()].status, 'Completed');

      // Checkpoints: SlateDB's reader made one; the admin makes one SlateDB reads as the latest state.
      const cps = (await admin.listCheckpoints()).filter((c) => !before.some((b) => b.id === c.id));
      assert.equal(cps.length, 1);
      assert.equal(cps[0]!.expireTime!.getTime() - cps[0]!.createTime.getTime(), 600_000);
      assert.ok(await admin.readManifest(cps[0]!.manifestId));
      const all = await admin.listCheckpoints();
      const mine = await admin.createDetachedCheckpoint({ name: 'admin', lifetime: '1h' });
      assert.equal(mine.manifestId, latest.id + 1n);
      assert.deepEqual(await RemoteOracle.readAll(dir, 'db', mine.id), expected);
      assert.deepEqual(
        (await admin.listCheckpoints('admin')).map((c) => c.id),
        [mine.id],
      );

      // seq <-> ts with SlateDB's tracker.
      const tracker = SequenceTracker.fromBytes(
        (await admin.readManifest())!.manifest.sequenceTracker,
        'test',
      );
      assert.ok(tracker.seqs.length >= 1);
      for (let i = 0; i < tracker.seqs.length; i++) {
        const seq = tracker.seqs[i]!;
        const createTs = writes.get(Number(seq));
        assert.ok(createTs !== undefined, `tracker seq ${seq} is one of SlateDB's writes`);
        const ts = await admin.getTimestampForSequence(seq);
        assert.equal(ts?.getTime(), Number(tracker.timestampsS[i]!) * 1000);
        assert.ok(Math.abs(ts!.getTime() - createTs) < 2000, `sample ${seq} stamped near its write`);
        // The sample's time maps back to the last sample stamped that second.
        const back = await admin.getSequenceForTimestamp(ts!);
        const same = tracker.seqs.filter((_, j) => tracker.timestampsS[j] === tracker.timestampsS[i]);
        assert.equal(back, same[same.length - 1]);
      }
      const first = tracker.seqs[0]!;
      const last = tracker.seqs[tracker.seqs.length - 1]!;
      if (first > 0n) assert.equal(await admin.getTimestampForSequence(first - 1n, 'down'), undefined);
      assert.ok(await admin.getTimestampForSequence(last + 1000n, 'down'));
      assert.equal(await admin.getTimestampForSequence(last + 1000n, 'up'), undefined);

      // One GC pass, every resource, minimum age 0: SlateDB still reads everything, latest and pinned.
      const walBefore = files(dir, 'wal').length;
      const compactedBefore = files(dir, 'compacted').length;
      const report = await admin.runGcOnce({
        manifest: { minAge: 0 },
        wal: { minAge: 0 },
        compacted: { minAge: 0 },
        compactions: { minAge: 0 },
      });
      assert.deepEqual(
        report.resources.filter((r) => r.error !== undefined || r.failed.length > 0),
        [],
      );
      const deleted = Object.fromEntries(report.resources.map((r) => [r.resource, r.deleted.length]));
      assert.ok(deleted['manifest']! > 0 && deleted['wal']! > 0, JSON.stringify(deleted));
      assert.ok(files(dir, 'wal').length < walBefore);
      // What stays in compacted/ is referenced by a live manifest (the latest or a checkpoint's) or is too new.
      const live = new Set<string>();
      const latestAfter = (await admin.readManifest())!;
      for (const id of [latestAfter.id, ...(await admin.listCheckpoints()).map((c) => c.manifestId)]) {
        const mm = (await admin.readManifest(id))!.manifest;
        for (const sst of [...mm.l0, ...mm.compacted.flatMap((sr) => sr.ssts)]) live.add(`${sst.id}.sst`);
      }
      const cutoff = report.resources.find((r) => r.resource === 'compacted')!.cutoffMs!;
      for (const f of files(dir, 'compacted')) {
        assert.ok(
          live.has(f) || Ulid.parse(f.slice(0, 26)).timestampMs >= cutoff,
          `${f} should have been collected`,
        );
      }
      for (const f of live) assert.ok(files(dir, 'compacted').includes(f), `${f} is live`);
      // SlateDB's compactor pinned the pre-compaction manifest with a checkpoint of its own; without it, the
      // compacted L0s go too.
      for (const c of before) await admin.deleteCheckpoint(c.id);
      const again = await admin.runGcOnce({ compacted: { minAge: 0 } });
      assert.ok(again.resources[0]!.deleted.length > 0);
      assert.ok(files(dir, 'compacted').length < compactedBefore);
      const kept = (await admin.listManifests()).map((f) => f.id);
      for (const c of await admin.listCheckpoints()) assert.ok(kept.includes(c.manifestId), `${c.id} kept`);
      assert.deepEqual(await RemoteOracle.readAll(dir, 'db'), expected);
      assert.deepEqual(await RemoteOracle.readAll(dir, 'db', mine.id), expected);
      assert.equal((await slateReader.scan()).length, expected.size);
      await admin.deleteCheckpoint(mine.id);
      assert.deepEqual(
        (await admin.listCheckpoints()).map((c) => c.id),
        all.filter((c) => !before.some((b) => b.id === c.id) && c.id !== mine.id).map((c) => c.id),
      );
    } finally {
      await admin.close();
      await slateReader.close();
    }
  });
});
