/**
 * Checkpoint expiry: before each collection task, checkpoints whose expire time has come are removed from the
 * latest manifest by an unfenced compare-and-swap, as SlateDB 0.12.1's collector does (docs/gc.md#checkpoints).
 *
 * Invariants: a checkpoint is expired iff `expireTimeS != 0` and `expireTimeS * 1000 <= now` (0 never expires);
 * the manifest written differs from the latest only in its checkpoint list, so the writer and compactor epochs
 * are carried forward unchanged (never lowered: SlateDB panics on a lower epoch); nothing is written when no
 * checkpoint expired; conflicts are retried against the refreshed latest version.
 * Concurrency: safe beside writers, compactors, readers and other collectors: every attempt re-applies the filter
 * to the newest version, and a lost CAS race is retried.
 */

import type { Checkpoint, Manifest } from '../format/manifest.js';
import { TransactionalObject } from '../store/transactional-object.js';
import { assert } from '../util/assert.js';
import { dataError } from '../util/errors.js';
import type { GcStore, ManifestVersion } from './gc-store.js';

/** True when the checkpoint's expire time is at or before `nowMs`. */
export function isCheckpointExpired(c: Checkpoint, nowMs: number): boolean {
  return c.expireTimeS !== 0 && c.expireTimeS * 1000 <= nowMs;
}

/** The manifest without its expired checkpoints, or undefined when none expired. */
export function withoutExpiredCheckpoints(m: Manifest, nowMs: number): Manifest | undefined {
  const kept = m.checkpoints.filter((c) => !isCheckpointExpired(c, nowMs));
  if (kept.length === m.checkpoints.length) return undefined;
  return { ...m, checkpoints: kept };
}

/**
 * The epoch rule for writes that do not own an epoch: both epochs must be exactly those of the version being
 * replaced. Why: the writer and compactor treat a lower stored epoch as a protocol violation (SlateDB panics).
 */
export function epochsCarriedForward(before: Manifest, after: Manifest): void {
  assert(after.writerEpoch === before.writerEpoch, 'GC must not change the writer epoch');
  assert(after.compactorEpoch === before.compactorEpoch, 'GC must not change the compactor epoch');
}

/** What checkpoint expiry did (or would do). */
export interface ExpiryOutcome {
  /** Checkpoints removed (dry run: that would be removed). */
  readonly removed: number;
  /**
   * The latest manifest as the following task should see it. In a dry run with expired checkpoints this is the
   * version that would have been written (id + 1, not stored); otherwise undefined (read the store).
   */
  readonly virtualLatest: ManifestVersion | undefined;
}

/**
 * Removes expired checkpoints from the latest manifest (or, with `dryRun`, computes the manifest that would be
 * written). A database without a manifest is a data error.
 */
export async function expireCheckpoints(
  gcStore: GcStore,
  nowMs: number,
  dryRun: boolean,
): Promise<ExpiryOutcome> {
  const stored = await TransactionalObject.tryLoad(gcStore.manifests);
  if (stored === undefined) {
    throw dataError('MANIFEST_MISSING', `${gcStore.manifests.dir}: no manifest (is this a database?)`);
  }
  if (dryRun) {
    const next = withoutExpiredCheckpoints(stored.value, nowMs);
    if (next === undefined) return { removed: 0, virtualLatest: undefined };
    return {
      removed: stored.value.checkpoints.length - next.checkpoints.length,
      virtualLatest: { id: stored.id + 1, manifest: next },
    };
  }
  let removed = 0;
  await stored.maybeApplyUpdate((current) => {
    const next = withoutExpiredCheckpoints(current, nowMs);
    removed = next === undefined ? 0 : current.checkpoints.length - next.checkpoints.length;
    if (next !== undefined) epochsCarriedForward(current, next);
    return next;
  });
  return { removed, virtualLatest: undefined };
}
