/**
 * CliAdmin: the administration operations the `shaledb` commands call (the shape of SlateDB 0.12.1's `Admin`, which
 * slatedb-cli drives), behind one interface so each command is a thin layer of argument parsing and printing.
 * `openCliAdmin` builds it on the database's manifest and compactions stores and the detached checkpoint calls.
 *
 * Invariants: read calls never write; checkpoint calls are unfenced compare-and-swaps on the latest manifest (they
 * never fence a writer or compactor); ranges are half-open [start, end) as slatedb-cli's `--start`/`--end`.
 * Concurrency: safe beside writers, readers, compactors and collectors of the same database.
 */
import {
  type CheckpointCreateResult,
  type CheckpointInfo,
  createDetachedCheckpoint,
  deleteCheckpoint,
  listCheckpoints,
  refreshCheckpoint,
} from '../db/checkpoint.js';
import type { Compactions } from '../format/compactions.js';
import type { Manifest } from '../format/manifest.js';
import { SequenceTracker } from '../format/sequence-tracker.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { compactionsStore } from '../store/compactions-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { normalizeRoot } from '../store/paths.js';
import type { VersionMeta } from '../store/transactional-object.js';

/** A listed manifest or compactions file. */
export type FileMeta = VersionMeta;

/** The operations the command line needs. */
export interface CliAdmin {
  /** The database root inside the store (normalized). */
  readonly root: string;
  readManifest(id?: number): Promise<{ id: number; manifest: Manifest } | undefined>;
  listManifests(start?: number, end?: number): Promise<FileMeta[]>;
  readCompactions(id?: number): Promise<{ id: number; compactions: Compactions } | undefined>;
  listCompactions(start?: number, end?: number): Promise<FileMeta[]>;
  listCheckpoints(name?: string): Promise<CheckpointInfo[]>;
  createDetachedCheckpoint(o: {
    lifetimeMs?: number;
    source?: string;
    name?: string;
  }): Promise<CheckpointCreateResult>;
  refreshCheckpoint(id: string, lifetimeMs?: number): Promise<void>;
  deleteCheckpoint(id: string): Promise<void>;
  getTimestampForSequence(seq: bigint, roundUp: boolean): Promise<Date | undefined>;
  getSequenceForTimestamp(tsS: bigint, roundUp: boolean): Promise<bigint | undefined>;
}

const inRange = (start: number | undefined, end: number | undefined) => (f: FileMeta) =>
  (start === undefined || f.id >= start) && (end === undefined || f.id < end);

/** Binary search as Rust's slice::binary_search, then 0.12.1's rounding. */
function find(
  keys: readonly bigint[],
  values: readonly bigint[],
  k: bigint,
  up: boolean,
): bigint | undefined {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = keys[mid]!;
    if (v === k) return values[mid];
    if (v < k) lo = mid + 1;
    else hi = mid;
  }
  if (up) return lo < keys.length ? values[lo] : undefined;
  return lo > 0 ? values[lo - 1] : undefined;
}

/** The admin operations on the database at `path` in `store`. */
export function openCliAdmin(path: string, store: ObjectStore): CliAdmin {
  const root = normalizeRoot(path);
  const manifests = manifestStore(store, root);
  const compactions = compactionsStore(store, root);
  const tracker = async (): Promise<SequenceTracker | undefined> => {
    const latest = await manifests.tryReadLatest();
    return latest === undefined
      ? undefined
      : SequenceTracker.fromBytes(latest.value.sequenceTracker, manifests.pathFor(latest.id));
  };
  const opts = { retry: false } as const;
  return {
    root,
    async readManifest(id) {
      if (id === undefined) {
        const l = await manifests.tryReadLatest();
        return l === undefined ? undefined : { id: l.id, manifest: l.value };
      }
      const m = await manifests.tryRead(id);
      return m === undefined ? undefined : { id, manifest: m };
    },
    async listManifests(start, end) {
      return (await manifests.list()).filter(inRange(start, end));
    },
    async readCompactions(id) {
      if (id === undefined) {
        const l = await compactions.tryReadLatest();
        return l === undefined ? undefined : { id: l.id, compactions: l.value };
      }
      const c = await compactions.tryRead(id);
      return c === undefined ? undefined : { id, compactions: c };
    },
    async listCompactions(start, end) {
      return (await compactions.list()).filter(inRange(start, end));
    },
    listCheckpoints: (name) => listCheckpoints(root, store, name, opts),
    createDetachedCheckpoint: (o) =>
      createDetachedCheckpoint(
        root,
        store,
        {
          ...(o.lifetimeMs === undefined ? {} : { lifetime: o.lifetimeMs }),
          ...(o.source === undefined ? {} : { source: o.source }),
          ...(o.name === undefined ? {} : { name: o.name }),
        },
        opts,
      ),
    refreshCheckpoint: (id, lifetimeMs) => refreshCheckpoint(root, store, id, lifetimeMs, opts),
    deleteCheckpoint: (id) => deleteCheckpoint(root, store, id, opts),
    async getTimestampForSequence(seq, roundUp) {
      const t = await tracker();
      const s = t === undefined ? undefined : find(t.seqs, t.timestampsS, seq, roundUp);
      return s === undefined ? undefined : new Date(Number(s) * 1000);
    },
    async getSequenceForTimestamp(tsS, roundUp) {
      const t = await tracker();
      return t === undefined ? undefined : find(t.timestampsS, t.seqs, tsS, roundUp);
    },
  };
}
