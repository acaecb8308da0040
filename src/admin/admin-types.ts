/**
 * The values the admin API returns and takes (docs/admin.md): stored versions of the manifest and compactions file
 * with their ids, listings of those versions, id ranges, rounding of seq ↔ time lookups, and progress reports.
 *
 * Invariants: ids and seqs are bigints (u64 in SlateDB 0.12.1); a range is half-open [start, end), as the
 * `slatedb` CLI builds it; times are Dates (millisecond precision).
 * Concurrency: plain immutable values.
 */
import type { Compactions } from '../format/compactions.js';
import type { Manifest } from '../format/manifest.js';

/** One stored manifest version (what 0.12.1's `read_manifest` returns as `(id, manifest)`). */
export interface ManifestVersionInfo {
  readonly id: bigint;
  readonly manifest: Manifest;
}

/** One stored compactions file version (0.12.1's `read_compactions`: `(id, compactions)`). */
export interface CompactionsVersionInfo {
  readonly id: bigint;
  readonly compactions: Compactions;
}

/** A listed manifest or compactions file (0.12.1's ManifestFileMetadata / CompactionsFileMetadata). */
export interface VersionFileInfo {
  readonly id: bigint;
  /** The file name inside `manifest/` or `compactions/`, e.g. "00000000000000000003.manifest". */
  readonly location: string;
  readonly lastModified: Date;
  readonly size: number;
}

/** Ids from `start` (inclusive, default 0) to `end` (exclusive, default unbounded). */
export interface IdRange {
  readonly start?: number | bigint;
  readonly end?: number | bigint;
}

/** How a seq ↔ time lookup rounds when no sample matches exactly (default 'down', as the `slatedb` CLI). */
export type Rounding = 'up' | 'down';

/** Progress of long admin work: `done` of `total` units (objects) in `phase`. */
export interface AdminProgress {
  readonly phase: string;
  readonly done: number;
  /** Undefined while the total is not known yet. */
  readonly total: number | undefined;
}

/** A progress callback; it must not throw (a thrown error is ignored). */
export type ProgressCallback = (p: AdminProgress) => void;
