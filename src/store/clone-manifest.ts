/**
 * The manifest of a new clone exactly as SlateDB 0.12.1's `Manifest::cloned` builds it, and the check a re-run of
 * clone creation makes (0.12.1's `validate_attached_to_external_db`, made stricter: see checkClonedFrom)
 * (docs/clones.md).
 *
 * Invariants of `clonedManifest` (0.12.1 field by field):
 * - the core is the parent's manifest at the source checkpoint with `initialized = false` and no checkpoints;
 *   everything else (L0, sorted runs, `l0LastCompacted`, WAL ids, clock tick, last L0 seq, snapshot seq, sequence
 *   tracker, WAL store URI) is copied unchanged, and so are both epochs;
 * - `externalDbs` = each of the parent's own external databases (same path, source checkpoint and SST ids, a new
 *   final checkpoint id each, in order), then the parent itself: its normalized path, the source checkpoint, a new
 *   final checkpoint id, and the ids of the SSTs the parent owns (sorted runs in manifest order, then L0 newest
 *   first; SSTs the parent itself shares with an external database are left out). Final ids are drawn in that
 *   order.
 * Concurrency: pure functions.
 */
import type { ExternalDb, Manifest } from '../format/manifest.js';
import { invalidError } from '../util/errors.js';
import { type Ulid, Uuid } from '../util/ids.js';
import type { Rand } from '../util/random.js';

/** The SST ids `m` owns: every SST of its sorted runs, then of L0, minus those listed by its external databases. */
export function ownedSstIds(m: Manifest): Ulid[] {
  const external = new Set<string>();
  for (const db of m.externalDbs) for (const id of db.sstIds) external.add(id.toString());
  const out: Ulid[] = [];
  for (const run of m.compacted) for (const s of run.ssts) if (!external.has(s.id.toString())) out.push(s.id);
  for (const s of m.l0) if (!external.has(s.id.toString())) out.push(s.id);
  return out;
}

/**
 * Manifest 1 of a clone of the database at `parentRoot` (normalized), made from `parentAtCheckpoint` (the parent's
 * manifest pinned by checkpoint `sourceCheckpointId`).
 */
export function clonedManifest(
  parentAtCheckpoint: Manifest,
  parentRoot: string,
  sourceCheckpointId: Uuid,
  rand: Rand,
): Manifest {
  const externalDbs: ExternalDb[] = parentAtCheckpoint.externalDbs.map((db) => ({
    path: db.path,
    sourceCheckpointId: db.sourceCheckpointId,
    finalCheckpointId: Uuid.v4(rand),
    sstIds: [...db.sstIds],
  }));
  externalDbs.push({
    path: parentRoot,
    sourceCheckpointId,
    finalCheckpointId: Uuid.v4(rand),
    sstIds: ownedSstIds(parentAtCheckpoint),
  });
  return { ...parentAtCheckpoint, externalDbs, initialized: false, checkpoints: [] };
}

/**
 * Checks that `clone` (an existing manifest at the clone's path) was cloned from the database at `parentRoot`, and,
 * when `checkpointId` is given, from that checkpoint; an 'invalid' CLONE_PARENT_MISMATCH error otherwise (also when
 * it is not a clone at all). 0.12.1 (`CloneExternalDbMissing` / `CloneIncorrectExternalDbCheckpoint`, both 'data'
 * errors there) accepts any external database, so a re-run naming a clone's grandparent passes its check and then
 * copies the grandparent's WAL SSTs; ShaleDB checks the parent entry (the last one, as `clonedManifest` and 0.12.1's
 * `Manifest::cloned` write it).
 */
export function checkClonedFrom(clone: Manifest, parentRoot: string, checkpointId: Uuid | undefined): void {
  const parent = clone.externalDbs[clone.externalDbs.length - 1];
  if (parent === undefined) {
    throw invalidError(
      'CLONE_PARENT_MISMATCH',
      'the clone path already holds a database that is not a clone (it has no external databases)',
    );
  }
  if (
    parent.path !== parentRoot ||
    (checkpointId !== undefined && !parent.sourceCheckpointId.equals(checkpointId))
  ) {
    const at = checkpointId === undefined ? '' : ` at checkpoint ${checkpointId.toString()}`;
    throw invalidError(
      'CLONE_PARENT_MISMATCH',
      `the clone path already holds a clone of ${JSON.stringify(parent.path)} at checkpoint ` +
        `${parent.sourceCheckpointId.toString()}, not of ${JSON.stringify(parentRoot)}${at}`,
    );
  }
}
