/**
 * The shape of a database's LSM tree for `shaledb inspect` and `shaledb stats` (and the text of `read-manifest`):
 * the L0 SSTs and sorted runs a manifest references, with object sizes from one listing of `compacted/`, their key
 * ranges, the checkpoints, and per-directory object counts and bytes.
 *
 * Invariants: read-only (one manifest read, one LIST per directory); an SST the manifest names but the listing
 * lacks has size null (reported, never guessed); keys are printed in the caller's encoding.
 * Concurrency: a snapshot of the moment of the listing; safe beside any writer, compactor or collector.
 */

import { checkpointJsonValue } from '../admin/admin-json.js';
import { toCheckpointInfo } from '../db/checkpoint.js';
import type { CompactedSsTable, Manifest } from '../format/manifest.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { compactedDir, compactionsDir, manifestDir, walDir } from '../store/paths.js';
import { type ByteEncoding, encodeBytes, humanBytes } from './text.js';

/** One SST in the shape. */
export interface SstShape {
  readonly id: string;
  /** Object size in bytes; null when the object is missing from the listing. */
  readonly size: number | null;
  readonly first_key: string | null;
  readonly last_key: string | null;
}

/** One sorted run. */
export interface SortedRunShape {
  readonly id: number;
  readonly size: number;
  readonly first_key: string | null;
  readonly last_key: string | null;
  readonly ssts: readonly SstShape[];
}

/** What `inspect --json` prints. */
export interface LsmShape {
  readonly manifest_id: number;
  readonly writer_epoch: number;
  readonly compactor_epoch: number;
  readonly replay_after_wal_id: number;
  readonly next_wal_sst_id: number;
  readonly last_l0_seq: number;
  readonly key_encoding: ByteEncoding;
  readonly l0: readonly SstShape[];
  readonly sorted_runs: readonly SortedRunShape[];
  readonly checkpoints: readonly Record<string, unknown>[];
}

/** Objects of one directory. */
export interface DirStats {
  readonly objects: number;
  readonly bytes: number;
}

/** What `stats --json` prints. */
export interface DbStats {
  readonly manifest_id: number;
  readonly writer_epoch: number;
  readonly compactor_epoch: number;
  readonly last_l0_seq: number;
  readonly l0_ssts: number;
  readonly l0_bytes: number;
  readonly sorted_runs: number;
  readonly sorted_run_ssts: number;
  readonly sorted_run_bytes: number;
  readonly checkpoints: number;
  /** WAL SSTs at or after the replay point (not yet in L0). */
  readonly wal_ssts_to_replay: number;
  /** Compacted SSTs in the store that the latest manifest does not reference (checkpoints', or garbage). */
  readonly unreferenced_ssts: number;
  readonly unreferenced_bytes: number;
  readonly directories: Readonly<Record<'manifest' | 'wal' | 'compacted' | 'compactions', DirStats>>;
  readonly total_bytes: number;
}

async function sizesUnder(store: ObjectStore, dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const m of store.list(`${dir}/`)) out.set(m.path.slice(dir.length + 1), m.size);
  return out;
}

const keyOf = (k: Uint8Array | undefined, e: ByteEncoding) => (k === undefined ? null : encodeBytes(k, e));

function sstShape(s: CompactedSsTable, sizes: Map<string, number>, e: ByteEncoding): SstShape {
  const id = s.id.toString();
  return {
    id,
    size: sizes.get(`${id}.sst`) ?? null,
    first_key: keyOf(s.info.firstEntry, e),
    last_key: keyOf(s.info.lastEntry, e),
  };
}

/** The LSM shape of manifest `id`, with sizes from the current `compacted/` listing. */
export async function lsmShape(
  store: ObjectStore,
  root: string,
  id: number,
  m: Manifest,
  e: ByteEncoding,
): Promise<LsmShape> {
  const sizes = await sizesUnder(store, compactedDir(root));
  return {
    manifest_id: id,
    writer_epoch: m.writerEpoch,
    compactor_epoch: m.compactorEpoch,
    replay_after_wal_id: m.replayAfterWalId,
    next_wal_sst_id: m.walIdLastSeen + 1,
    last_l0_seq: m.lastL0Seq,
    key_encoding: e,
    l0: m.l0.map((s) => sstShape(s, sizes, e)),
    sorted_runs: m.compacted.map((sr) => {
      const ssts = sr.ssts.map((s) => sstShape(s, sizes, e));
      return {
        id: sr.id,
        size: ssts.reduce((a, s) => a + (s.size ?? 0), 0),
        first_key: ssts[0]?.first_key ?? null,
        last_key: ssts[ssts.length - 1]?.last_key ?? null,
        ssts,
      };
    }),
    checkpoints: m.checkpoints.map(
      (c) => checkpointJsonValue(toCheckpointInfo(c)) as Record<string, unknown>,
    ),
  };
}

/** Counts and sizes of a database's objects, against manifest `id`. */
export async function dbStats(store: ObjectStore, root: string, id: number, m: Manifest): Promise<DbStats> {
  const [man, wal, compacted, compactions] = await Promise.all([
    sizesUnder(store, manifestDir(root)),
    sizesUnder(store, walDir(root)),
    sizesUnder(store, compactedDir(root)),
    sizesUnder(store, compactionsDir(root)),
  ]);
  const dir = (s: Map<string, number>): DirStats => ({
    objects: s.size,
    bytes: [...s.values()].reduce((a, b) => a + b, 0),
  });
  const size = (s: CompactedSsTable) => compacted.get(`${s.id.toString()}.sst`) ?? 0;
  const referenced = new Set<string>();
  for (const s of m.l0) referenced.add(`${s.id.toString()}.sst`);
  for (const sr of m.compacted) for (const s of sr.ssts) referenced.add(`${s.id.toString()}.sst`);
  let unreferenced = 0;
  let unreferencedBytes = 0;
  for (const [name, bytes] of compacted) {
    if (!referenced.has(name)) {
      unreferenced++;
      unreferencedBytes += bytes;
    }
  }
  let toReplay = 0;
  for (const name of wal.keys()) {
    const n = Number(name.replace(/\.sst$/, ''));
    if (Number.isSafeInteger(n) && n > m.replayAfterWalId) toReplay++;
  }
  const directories = {
    manifest: dir(man),
    wal: dir(wal),
    compacted: dir(compacted),
    compactions: dir(compactions),
  };
  return {
    manifest_id: id,
    writer_epoch: m.writerEpoch,
    compactor_epoch: m.compactorEpoch,
    last_l0_seq: m.lastL0Seq,
    l0_ssts: m.l0.length,
    l0_bytes: m.l0.reduce((a, s) => a + size(s), 0),
    sorted_runs: m.compacted.length,
    sorted_run_ssts: m.compacted.reduce((a, sr) => a + sr.ssts.length, 0),
    sorted_run_bytes: m.compacted.reduce((a, sr) => a + sr.ssts.reduce((b, s) => b + size(s), 0), 0),
    checkpoints: m.checkpoints.length,
    wal_ssts_to_replay: toReplay,
    unreferenced_ssts: unreferenced,
    unreferenced_bytes: unreferencedBytes,
    directories,
    total_bytes: Object.values(directories).reduce((a, d) => a + d.bytes, 0),
  };
}

const range = (a: string | null, b: string | null) => (a === null ? '(empty)' : `${a} .. ${b ?? '?'}`);
const sizeText = (n: number | null) => (n === null ? 'missing' : humanBytes(n));

/** `inspect` as text. */
export function formatShape(s: LsmShape): string {
  const out = [
    `manifest ${s.manifest_id}: writer epoch ${s.writer_epoch}, compactor epoch ${s.compactor_epoch}, last L0 seq ${s.last_l0_seq}`,
    `WAL: replay after ${s.replay_after_wal_id}, next WAL SST ${s.next_wal_sst_id}`,
    `L0: ${s.l0.length} SSTs, ${humanBytes(s.l0.reduce((a, x) => a + (x.size ?? 0), 0))} (newest first)`,
  ];
  for (const x of s.l0)
    out.push(`  ${x.id}  ${sizeText(x.size).padStart(10)}  ${range(x.first_key, x.last_key)}`);
  out.push(`sorted runs: ${s.sorted_runs.length}`);
  for (const sr of s.sorted_runs) {
    out.push(
      `  SR ${sr.id}: ${sr.ssts.length} SSTs, ${humanBytes(sr.size)}, keys ${range(sr.first_key, sr.last_key)}`,
    );
    for (const x of sr.ssts)
      out.push(`    ${x.id}  ${sizeText(x.size).padStart(10)}  ${range(x.first_key, x.last_key)}`);
  }
  out.push(`checkpoints: ${s.checkpoints.length}`);
  for (const c of s.checkpoints) out.push(`  ${checkpointLine(c)}`);
  return `${out.join('\n')}\n`;
}

/** One checkpoint (its JSON form) as a line of text. */
export function checkpointLine(c: Record<string, unknown>): string {
  const expires = c['expire_time'] === null ? 'never expires' : `expires ${String(c['expire_time'])}`;
  const name = c['name'] === null ? '' : ` name ${JSON.stringify(c['name'])}`;
  return `${String(c['id'])}  manifest ${String(c['manifest_id'])}  created ${String(c['create_time'])}  ${expires}${name}`;
}

/** `stats` as text. */
export function formatStats(s: DbStats): string {
  const d = s.directories;
  const line = (name: string, x: DirStats) =>
    `  ${name.padEnd(12)} ${String(x.objects).padStart(6)} objects  ${humanBytes(x.bytes)}`;
  return `${[
    `manifest ${s.manifest_id}: writer epoch ${s.writer_epoch}, compactor epoch ${s.compactor_epoch}, last L0 seq ${s.last_l0_seq}`,
    `L0: ${s.l0_ssts} SSTs, ${humanBytes(s.l0_bytes)}`,
    `sorted runs: ${s.sorted_runs} (${s.sorted_run_ssts} SSTs, ${humanBytes(s.sorted_run_bytes)})`,
    `checkpoints: ${s.checkpoints}`,
    `WAL SSTs to replay: ${s.wal_ssts_to_replay}`,
    `unreferenced compacted SSTs: ${s.unreferenced_ssts} (${humanBytes(s.unreferenced_bytes)})`,
    'objects:',
    line('manifest/', d.manifest),
    line('wal/', d.wal),
    line('compacted/', d.compacted),
    line('compactions/', d.compactions),
    `  total ${humanBytes(s.total_bytes)}`,
  ].join('\n')}\n`;
}

/** A manifest as text (`read-manifest`). */
export function describeManifest(id: number, m: Manifest): string[] {
  const out = [
    `manifest ${id}`,
    `  initialized: ${m.initialized}`,
    `  writer epoch: ${m.writerEpoch}, compactor epoch: ${m.compactorEpoch}`,
    `  replay after WAL: ${m.replayAfterWalId}, next WAL SST: ${m.walIdLastSeen + 1}`,
    `  last L0 seq: ${m.lastL0Seq}, last L0 clock tick: ${m.lastL0ClockTick}, recent snapshot min seq: ${m.recentSnapshotMinSeq}`,
    `  last compacted L0: ${m.l0LastCompacted?.toString() ?? '(none)'}`,
    `  L0 SSTs: ${m.l0.length}`,
  ];
  for (const s of m.l0)
    out.push(
      `    ${s.id.toString()}  ${range(keyOf(s.info.firstEntry, 'escape'), keyOf(s.info.lastEntry, 'escape'))}`,
    );
  out.push(`  sorted runs: ${m.compacted.length}`);
  for (const sr of m.compacted) out.push(`    SR ${sr.id}: ${sr.ssts.length} SSTs`);
  out.push(`  checkpoints: ${m.checkpoints.length}`);
  for (const c of m.checkpoints)
    out.push(`    ${checkpointLine(checkpointJsonValue(toCheckpointInfo(c)) as Record<string, unknown>)}`);
  if (m.externalDbs.length > 0) out.push(`  external dbs: ${m.externalDbs.map((x) => x.path).join(', ')}`);
  if (m.walObjectStoreUri !== undefined)
    out.push(`  separate WAL object store: ${JSON.stringify(m.walObjectStoreUri)}`);
  return out;
}
