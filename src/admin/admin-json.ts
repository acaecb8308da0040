/**
 * The admin API's JSON serializers: pure functions that write what SlateDB 0.12.1's `slatedb` CLI prints for the
 * same command, byte for byte where ShaleDB holds the same information (docs/admin.md#json has the mapping):
 * serde's field names and order of `Manifest`, `ManifestCore`, `SsTableView`, `SsTableHandle`, `SsTableInfo`,
 * `SortedRun`, `Checkpoint`, `ExternalDb`, `Compactions`, `Compaction`, `CompactionSpec`, and the file listings.
 *
 * Serde's encodings, as serde_json writes them: ULIDs and UUIDs as strings, `Bytes` as arrays of numbers, enums
 * externally tagged (`{"Compacted":"01H…"}`, `{"Included":[…]}`, `"Unbounded"`, `"Snappy"`), `Option::None` as
 * null, times as RFC 3339 with `Z`, u64/i64 as exact integers.
 * Invariants: pure; derived fields are computed as 0.12.1 computes them on decode (a view's `effective_range`, a
 * V1 manifest's view ids, a compaction's `sources` and `destination`); fields 0.12.1 does not persist are written
 * as its decoder leaves them (`bytes_processed` 0).
 * Concurrency: pure.
 */

import type { CheckpointCreateResult, CheckpointInfo } from '../db/checkpoint.js';
import { type Compaction, type Compactions, compactionDestination } from '../format/compactions.js';
import type {
  BytesBound,
  BytesRange,
  Checkpoint,
  CompactedSsTable,
  ExternalDb,
  Manifest,
  SortedRun,
} from '../format/manifest.js';
import { SequenceTracker } from '../format/sequence-tracker.js';
import type { SsTableInfo } from '../format/sst-info.js';
import { compareBytes } from '../util/bytes.js';
import type { CompactionsVersionInfo, ManifestVersionInfo, VersionFileInfo } from './admin-types.js';
import { bytesJson, type JsonValue, serdeTime, stringifyJson } from './json-text.js';

const CODEC_NAMES = { snappy: 'Snappy', zlib: 'Zlib', lz4: 'Lz4', zstd: 'Zstd' } as const;
const STATUS_NAMES = {
  submitted: 'Submitted',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
} as const;

function optionalBytes(b: Uint8Array | undefined): JsonValue {
  return b === undefined ? null : bytesJson(b);
}

/** `SsTableInfo`. */
export function sstInfoJsonValue(info: SsTableInfo): JsonValue {
  return {
    first_entry: optionalBytes(info.firstEntry),
    last_entry: optionalBytes(info.lastEntry),
    index_offset: info.indexOffset,
    index_len: info.indexLen,
    filter_offset: info.filterOffset,
    filter_len: info.filterLen,
    compression_codec: info.compressionCodec === 'none' ? null : CODEC_NAMES[info.compressionCodec],
    sst_type: info.sstType === 'wal' ? 'Wal' : 'Compacted',
    stats_offset: info.statsOffset,
    stats_len: info.statsLen,
  };
}

/** `SsTableHandle` of a compacted SST: `{"id":{"Compacted":ulid},"format_version","info"}`. */
export function sstHandleJsonValue(sst: CompactedSsTable): JsonValue {
  return {
    id: { Compacted: sst.id.toString() },
    format_version: sst.formatVersion,
    info: sstInfoJsonValue(sst.info),
  };
}

type Bound = BytesBound;

function boundJson(b: Bound): JsonValue {
  if (b.type === 'unbounded') return 'Unbounded';
  return b.type === 'included' ? { Included: bytesJson(b.key) } : { Excluded: bytesJson(b.key) };
}

function rangeJson(r: BytesRange): JsonValue {
  return { start: boundJson(r.start), end: boundJson(r.end) };
}

/** 0.12.1's bound order (comparable_range.rs): `start` orders start bounds, otherwise end bounds. */
function compareBound(a: Bound, b: Bound, start: boolean): number {
  if (a.type === 'unbounded' || b.type === 'unbounded') {
    if (a.type === b.type) return 0;
    const aFirst = a.type === 'unbounded' ? start : !start;
    return aFirst ? -1 : 1;
  }
  const c = compareBytes(a.key, b.key);
  if (c !== 0 || a.type === b.type) return c;
  // Equal keys, one included and one excluded: an included start is lower, an included end is higher.
  const aIncluded = a.type === 'included';
  return aIncluded === start ? -1 : 1;
}

/** A view's effective range: its first..=last key, intersected with its visible range (0.12.1's decode). */
function effectiveRange(sst: CompactedSsTable): BytesRange {
  const first = sst.info.firstEntry;
  const last = sst.info.lastEntry;
  let start: Bound = first === undefined ? { type: 'unbounded' } : { type: 'included', key: first };
  let end: Bound = last === undefined ? { type: 'unbounded' } : { type: 'included', key: last };
  if (first === undefined) {
    // SsTableView::new's empty range (an SST without a first entry never reaches a manifest).
    const zero = new Uint8Array(1);
    return { start: { type: 'excluded', key: zero }, end: { type: 'excluded', key: zero } };
  }
  const v = sst.visibleRange;
  if (v !== undefined) {
    if (compareBound(v.start, start, true) > 0) start = v.start;
    if (compareBound(v.end, end, false) < 0) end = v.end;
  }
  return { start, end };
}

/** `SsTableView`: `{"id","sst","visible_range","effective_range"}` (view id = SST id unless V2 stored one). */
export function sstViewJsonValue(sst: CompactedSsTable): JsonValue {
  return {
    id: (sst.viewId ?? sst.id).toString(),
    sst: sstHandleJsonValue(sst),
    visible_range: sst.visibleRange === undefined ? null : rangeJson(sst.visibleRange),
    effective_range: rangeJson(effectiveRange(sst)),
  };
}

function sortedRunJson(sr: SortedRun): JsonValue {
  return { id: sr.id, sst_views: sr.ssts.map(sstViewJsonValue) };
}

function checkpointEntryJson(c: Checkpoint): JsonValue {
  return {
    id: c.id.toString(),
    manifest_id: c.manifestId,
    expire_time: c.expireTimeS === 0 ? null : serdeTime(c.expireTimeS * 1000),
    create_time: serdeTime(c.createTimeS * 1000),
    name: c.name ?? null,
  };
}

function externalDbJson(e: ExternalDb): JsonValue {
  return {
    path: e.path,
    source_checkpoint_id: e.sourceCheckpointId.toString(),
    final_checkpoint_id: e.finalCheckpointId === undefined ? null : e.finalCheckpointId.toString(),
    sst_ids: e.sstIds.map((id) => ({ Compacted: id.toString() })),
  };
}

/** The sequence tracker as serde writes it: its RFC-0012 re-encoding, as bytes. */
function trackerJson(blob: Uint8Array): JsonValue {
  return bytesJson(SequenceTracker.fromBytes(blob, 'manifest sequence tracker').toBytes());
}

/** `Manifest` (with its `ManifestCore`). */
export function manifestJsonValue(m: Manifest): JsonValue {
  const viewId = m.l0LastCompactedViewId ?? m.l0LastCompacted;
  return {
    external_dbs: m.externalDbs.map(externalDbJson),
    core: {
      initialized: m.initialized,
      last_compacted_l0_sst_view_id: viewId === undefined ? null : viewId.toString(),
      last_compacted_l0_sst_id: m.l0LastCompacted === undefined ? null : m.l0LastCompacted.toString(),
      l0: m.l0.map(sstViewJsonValue),
      compacted: m.compacted.map(sortedRunJson),
      next_wal_sst_id: m.walIdLastSeen + 1,
      replay_after_wal_id: m.replayAfterWalId,
      last_l0_clock_tick: m.lastL0ClockTick,
      last_l0_seq: m.lastL0Seq,
      recent_snapshot_min_seq: m.recentSnapshotMinSeq,
      sequence_tracker: trackerJson(m.sequenceTracker),
      checkpoints: m.checkpoints.map(checkpointEntryJson),
      wal_object_store_uri: m.walObjectStoreUri ?? null,
    },
    writer_epoch: m.writerEpoch,
    compactor_epoch: m.compactorEpoch,
  };
}

/** `slatedb read-manifest`: `[id, manifest]`. `space` indents (0 = compact, as the CLI prints). */
export function manifestToJson(v: ManifestVersionInfo, space = 0): string {
  return stringifyJson([v.id, manifestJsonValue(v.manifest)], space);
}

/** `slatedb list-manifests` / `list-compactions`: `[{"id","location","last_modified","size"}]`. */
export function versionFilesToJson(files: readonly VersionFileInfo[], space = 0): string {
  return stringifyJson(
    files.map((f) => ({
      id: f.id,
      location: f.location,
      last_modified: serdeTime(f.lastModified.getTime()),
      size: f.size,
    })),
    space,
  );
}

/** `Compaction`: `{"id","spec":{"sources","destination"},"bytes_processed","status","output_ssts"}`. */
export function compactionJsonValue(c: Compaction): JsonValue {
  const sources: JsonValue[] = [
    ...c.spec.l0ViewIds.map((id) => ({ SstView: id.toString() })),
    ...c.spec.sortedRuns.map((id) => ({ SortedRun: id })),
  ];
  return {
    id: c.id.toString(),
    spec: { sources, destination: compactionDestination(c.spec) },
    bytes_processed: 0,
    status: STATUS_NAMES[c.status],
    output_ssts: c.outputSsts.map(sstHandleJsonValue),
  };
}

/** `Compactions`: `{"compactor_epoch","core":{"recent_compactions":{ulid: compaction}}}`, ULIDs ascending. */
export function compactionsJsonValue(c: Compactions): JsonValue {
  const recent: Record<string, JsonValue> = {};
  for (const job of [...c.recentCompactions].sort((a, b) => a.id.compare(b.id))) {
    recent[job.id.toString()] = compactionJsonValue(job);
  }
  return { compactor_epoch: c.compactorEpoch, core: { recent_compactions: recent } };
}

/** `slatedb read-compactions`: `[id, compactions]`. */
export function compactionsToJson(v: CompactionsVersionInfo, space = 0): string {
  return stringifyJson([v.id, compactionsJsonValue(v.compactions)], space);
}

/** `slatedb read-compaction`: one `Compaction`. */
export function compactionToJson(c: Compaction, space = 0): string {
  return stringifyJson(compactionJsonValue(c), space);
}

/** `slatedb submit-compaction`: `[compaction…]`. */
export function compactionListToJson(cs: readonly Compaction[], space = 0): string {
  return stringifyJson(cs.map(compactionJsonValue), space);
}

/** `Checkpoint`: `{"id","manifest_id","expire_time","create_time","name"}`. */
export function checkpointJsonValue(c: CheckpointInfo): JsonValue {
  return {
    id: c.id,
    manifest_id: c.manifestId,
    expire_time: c.expireTime === undefined ? null : serdeTime(c.expireTime.getTime()),
    create_time: serdeTime(c.createTime.getTime()),
    name: c.name ?? null,
  };
}

/** One checkpoint as JSON. */
export function checkpointToJson(c: CheckpointInfo, space = 0): string {
  return stringifyJson(checkpointJsonValue(c), space);
}

/** `slatedb list-checkpoints`: `[checkpoint…]`. */
export function checkpointsToJson(cs: readonly CheckpointInfo[], space = 0): string {
  return stringifyJson(cs.map(checkpointJsonValue), space);
}

/**
 * A created checkpoint as JSON, `{"id","manifest_id"}` (the fields of 0.12.1's CheckpointCreateResult; its CLI
 * prints the Debug form instead: {@link checkpointCreateResultText}).
 */
export function checkpointCreateResultToJson(r: CheckpointCreateResult, space = 0): string {
  return stringifyJson({ id: r.id, manifest_id: r.manifestId }, space);
}

/** What `slatedb create-checkpoint` prints: `CheckpointCreateResult { id: <uuid>, manifest_id: <n> }`. */
export function checkpointCreateResultText(r: CheckpointCreateResult): string {
  return `CheckpointCreateResult { id: ${r.id}, manifest_id: ${r.manifestId} }`;
}
