/**
 * GcTask: what every resource's collection step shares: its inputs (the store, the time, the minimum age, dry
 * run or not), its plan (what it chose to delete) and the dry-run view of the latest manifest.
 *
 * Invariants: a plan only names objects the rules allow deleting at `nowMs`; planning never writes. In a dry run,
 * the latest manifest is seen as the version checkpoint expiry would have written (expired checkpoints dropped,
 * id + 1), so a dry run reports exactly what a real pass at the same instant would delete.
 * Concurrency: plans are computed from reads that may race with other processes; each rule allows for that.
 */
import type { Manifest } from '../format/manifest.js';
import { withoutExpiredCheckpoints } from './checkpoint-expiry.js';
import type { GcStore, ManifestVersion } from './gc-store.js';

/** What a task needs. */
export interface GcTaskInput {
  readonly gcStore: GcStore;
  /** Wall-clock Unix ms the rules are judged at. */
  readonly nowMs: number;
  /** Objects younger than this (by last-modified time, or ULID time for compacted SSTs) are kept. */
  readonly minAgeMs: number;
  readonly dryRun: boolean;
}

/** What a task chose to delete. */
export interface GcPlan {
  /** Objects of the resource's kind that were listed. */
  readonly listed: number;
  /** Paths to delete, in listing order. */
  readonly paths: string[];
  /** For compacted SSTs: the ULID-time cutoff used. */
  readonly cutoffMs?: number;
}

/** True when an object last modified at `lastModifiedMs` is older than the minimum age (strictly, as 0.12.1). */
export function olderThanMinAge(input: GcTaskInput, lastModifiedMs: number): boolean {
  return input.nowMs - lastModifiedMs > input.minAgeMs;
}

/**
 * The latest manifest as this task must judge it: the stored one, or in a dry run the version checkpoint
 * expiry would have written in its place.
 */
export function judgedLatest(input: GcTaskInput, stored: ManifestVersion): ManifestVersion {
  if (!input.dryRun) return stored;
  const next = withoutExpiredCheckpoints(stored.manifest, input.nowMs);
  return next === undefined ? stored : { id: stored.id + 1, manifest: next };
}

/** True when `manifest` needs WAL SST `walId`: replayAfterWalId < walId < next WAL id (0.12.1's rule). */
export function manifestReferencesWal(manifest: Manifest, walId: number): boolean {
  return walId > manifest.replayAfterWalId && walId < manifest.walIdLastSeen + 1;
}
