/**
 * Manifest: the typed in-memory model of a SlateDB 0.12.1 manifest, with SlateDB's field names in camelCase
 * (docs/format.md#manifest).
 *
 * Invariants: `l0` is newest first; `compacted` sorted runs are in descending id order, each run's SSTs in key
 * order; u64 counters are safe integers; `lastL0ClockTick` is an i64 (i64::MIN for a new database);
 * `sequenceTracker` holds the RFC-0012 bytes (see sequence-tracker.ts); a CompactedSsTable's `formatVersion` is
 * the SST format its blocks use (1 when the stored field is absent).
 * Concurrency: immutable values; build a new manifest for every change.
 */
import type { Ulid, Uuid } from '../util/ids.js';
import { EMPTY_SEQUENCE_TRACKER } from './sequence-tracker.js';
import type { SsTableInfo } from './sst-info.js';
import { SST_FORMAT_V1 } from './versions.js';

/** One end of a key range. */
export type BytesBound =
  | { readonly type: 'unbounded' }
  | { readonly type: 'included' | 'excluded'; readonly key: Uint8Array };

/** A key range restricting what part of an SST is visible (set only by clone projections). */
export interface BytesRange {
  readonly start: BytesBound;
  readonly end: BytesBound;
}

/** An L0 or sorted-run SST as the manifest records it. */
export interface CompactedSsTable {
  /** The SST's ULID (its object is `compacted/{id}.sst`). */
  readonly id: Ulid;
  readonly info: SsTableInfo;
  readonly visibleRange?: BytesRange | undefined;
  /** SST format version of the blocks (2 for everything 0.12.1 writes; 1 when the field was absent). */
  readonly formatVersion: number;
  /** Manifest V2 only: the view's own id, when it differs from the SST id. */
  readonly viewId?: Ulid | undefined;
}

/** A sorted run: SSTs with disjoint key ranges, in key order. */
export interface SortedRun {
  readonly id: number;
  readonly ssts: readonly CompactedSsTable[];
}

/** A checkpoint pinning manifest `manifestId` (and everything it references) against GC. */
export interface Checkpoint {
  readonly id: Uuid;
  readonly manifestId: number;
  /** Unix seconds (u32); 0 = never expires. */
  readonly expireTimeS: number;
  /** Unix seconds (u32). */
  readonly createTimeS: number;
  readonly name?: string | undefined;
}

/** Another database whose SSTs this one (a clone) references. */
export interface ExternalDb {
  readonly path: string;
  readonly sourceCheckpointId: Uuid;
  readonly finalCheckpointId?: Uuid | undefined;
  readonly sstIds: readonly Ulid[];
}

/** The database state a manifest records. */
export interface Manifest {
  readonly externalDbs: readonly ExternalDb[];
  readonly initialized: boolean;
  readonly writerEpoch: number;
  readonly compactorEpoch: number;
  readonly replayAfterWalId: number;
  /** = next WAL id - 1. */
  readonly walIdLastSeen: number;
  /** SST id of the newest L0 consumed by the last L0 compaction. */
  readonly l0LastCompacted: Ulid | undefined;
  /** Manifest V2 only: the view id stored in place of `l0LastCompacted` (0.12.1 leaves that unset then). */
  readonly l0LastCompactedViewId?: Ulid | undefined;
  /** Newest first. */
  readonly l0: readonly CompactedSsTable[];
  /** Descending sorted-run id. */
  readonly compacted: readonly SortedRun[];
  readonly lastL0ClockTick: bigint;
  readonly checkpoints: readonly Checkpoint[];
  readonly lastL0Seq: number;
  /** Set (0.12.1 writes the empty string) when a separate WAL object store is configured. */
  readonly walObjectStoreUri: string | undefined;
  readonly recentSnapshotMinSeq: number;
  /** RFC-0012 bytes. */
  readonly sequenceTracker: Uint8Array;
}

/** i64::MIN: the clock tick of a database that has flushed nothing. */
export const I64_MIN = -(2n ** 63n);

/** The state of a freshly created database (what manifest 1 holds). */
export function newManifest(): Manifest {
  return {
    externalDbs: [],
    initialized: true,
    writerEpoch: 0,
    compactorEpoch: 0,
    replayAfterWalId: 0,
    walIdLastSeen: 0,
    l0LastCompacted: undefined,
    l0: [],
    compacted: [],
    lastL0ClockTick: I64_MIN,
    checkpoints: [],
    lastL0Seq: 0,
    walObjectStoreUri: undefined,
    recentSnapshotMinSeq: 0,
    sequenceTracker: EMPTY_SEQUENCE_TRACKER,
  };
}

/** The next WAL id the manifest implies. */
export function nextWalId(m: Manifest): number {
  return m.walIdLastSeen + 1;
}

/** SST format version of a manifest entry (1 when unrecorded). */
export function sstFormatVersion(sst: CompactedSsTable): number {
  return sst.formatVersion ?? SST_FORMAT_V1;
}

/** Every SST id the manifest references (L0 and sorted runs). */
export function referencedSstIds(m: Manifest): Ulid[] {
  const out: Ulid[] = m.l0.map((s) => s.id);
  for (const sr of m.compacted) for (const s of sr.ssts) out.push(s.id);
  return out;
}
