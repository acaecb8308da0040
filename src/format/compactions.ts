/**
 * Compactions file: the compactor's durable state (`compactions/{id:020}.compactions`), its typed model and a
 * codec byte-identical to SlateDB 0.12.1 (docs/format.md#compactions).
 *
 * Format: u16 BE version = 1 ‖ flatbuffer `CompactionsV1 { compactor_epoch, recent_compactions: [Compaction] }`;
 * `Compaction { id: Ulid, spec (union: TieredCompactionSpec), status: i8, output_ssts }`; no checksum.
 * Invariants: `l0ViewIds` hold L0 SST ULIDs newest first (with V1 manifests view id = SST id); `sortedRuns` are
 * newest (highest id) first; empty lists are omitted on write, as 0.12.1 omits them. The destination is not
 * stored: {@link compactionDestination} derives it as 0.12.1 does. An unknown status decodes as 'submitted'
 * (0.12.1's rule); an unknown spec type is a data error.
 * Concurrency: immutable values; pure codec functions.
 */
import { readU16BE } from '../util/bytes.js';
import { dataError } from '../util/errors.js';
import type { Ulid } from '../util/ids.js';
import { FbReader, type FbTable } from './flatbuffer-reader.js';
import {
  createOffsetVector,
  createU32Vector,
  createUlid,
  finishBytes,
  newBuilder,
  u64,
} from './flatbuffer-writer.js';
import type { CompactedSsTable } from './manifest.js';
import { addCompactedSsTables, readCompactedSsTable, readUlid } from './manifest-parts-codec.js';
import { COMPACTIONS_FORMAT_V1 } from './versions.js';

/** Lifecycle of a compaction. */
export type CompactionStatus = 'submitted' | 'running' | 'completed' | 'failed';

const STATUSES: readonly CompactionStatus[] = ['submitted', 'running', 'completed', 'failed'];

/** What a tiered compaction consumes. */
export interface CompactionSpec {
  /** L0 sources (view ids = SST ULIDs under V1 manifests), newest first. */
  readonly l0ViewIds: readonly Ulid[];
  /** Sorted-run sources, highest id first. */
  readonly sortedRuns: readonly number[];
}

/** One compaction job. */
export interface Compaction {
  /** ULID stamped with the job's start time. */
  readonly id: Ulid;
  readonly spec: CompactionSpec;
  readonly status: CompactionStatus;
  /** Outputs reported so far (0.12.1 never records the last one here; the manifest is authoritative). */
  readonly outputSsts: readonly CompactedSsTable[];
}

/** The compactions file's content. */
export interface Compactions {
  readonly compactorEpoch: number;
  readonly recentCompactions: readonly Compaction[];
}

/** The destination 0.12.1 derives on decode: the lowest source sorted run, or 0 without one. */
export function compactionDestination(spec: CompactionSpec): number {
  return spec.sortedRuns.length === 0 ? 0 : Math.min(...spec.sortedRuns);
}

/** True for submitted and running compactions. */
export function isActiveCompaction(c: Compaction): boolean {
  return c.status === 'submitted' || c.status === 'running';
}

/** Encodes a compactions file (version 1). */
export function encodeCompactions(c: Compactions): Uint8Array {
  const b = newBuilder(512);
  const items = c.recentCompactions.map((job) => {
    const id = createUlid(b, job.id);
    const views =
      job.spec.l0ViewIds.length === 0
        ? 0
        : createOffsetVector(
            b,
            job.spec.l0ViewIds.map((v) => createUlid(b, v)),
          );
    const runs = job.spec.sortedRuns.length === 0 ? 0 : createU32Vector(b, job.spec.sortedRuns);
    b.startObject(3);
    if (views !== 0) b.addFieldOffset(2, views, 0);
    if (runs !== 0) b.addFieldOffset(1, runs, 0);
    const spec = b.endObject();
    const outputs = job.outputSsts.length === 0 ? 0 : addCompactedSsTables(b, job.outputSsts);
    b.startObject(5);
    if (outputs !== 0) b.addFieldOffset(4, outputs, 0);
    b.addFieldOffset(2, spec, 0);
    b.addFieldOffset(0, id, 0);
    b.addFieldInt8(3, STATUSES.indexOf(job.status), 0);
    b.addFieldInt8(1, 1, 0); // spec_type = TieredCompactionSpec
    return b.endObject();
  });
  const vec = createOffsetVector(b, items);
  b.startObject(2);
  b.addFieldInt64(0, u64(c.compactorEpoch), 0n);
  b.addFieldOffset(1, vec, 0);
  return finishBytes(b, b.endObject(), COMPACTIONS_FORMAT_V1);
}

function readCompaction(t: FbTable): Compaction {
  const specType = t.u8(1);
  if (specType !== 1) t.r.fail(`unknown compaction spec type ${specType}`);
  const spec = t.requiredTable(2, 'spec');
  const status = t.i8(3);
  return {
    id: readUlid(t.requiredTable(0, 'id')),
    spec: {
      // 0.12.1 falls back to the deprecated `ssts` list when `l0_view_ids` is absent.
      l0ViewIds: spec.tables(2, readUlid) ?? spec.tables(0, readUlid) ?? [],
      sortedRuns: spec.u32s(1) ?? [],
    },
    status: STATUSES[status] ?? 'submitted',
    outputSsts: t.tables(4, readCompactedSsTable) ?? [],
  };
}

/** Decodes a compactions file. `what` names it in errors. */
export function decodeCompactions(bytes: Uint8Array, what = 'compactions'): Compactions {
  if (bytes.length < 2) throw dataError('INVALID_FORMAT', `${what}: ${bytes.length} bytes is too short`);
  const version = readU16BE(bytes, 0);
  if (version !== COMPACTIONS_FORMAT_V1) {
    throw dataError('INVALID_FORMAT', `${what}: unsupported compactions version ${version}`);
  }
  const t = new FbReader(bytes.subarray(2), what).root();
  return {
    compactorEpoch: t.u64(0),
    recentCompactions: t.requiredTables(1, 'recent_compactions', readCompaction),
  };
}
