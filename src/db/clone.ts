/**
 * Database clones: `createClone` makes a new database at one path that starts as another database's state at a
 * checkpoint, sharing that database's SSTs instead of copying them, exactly as SlateDB 0.12.1's
 * `Admin::create_clone(clone_path, parent_path, checkpoint?)` (clone.rs) does (docs/clones.md):
 *
 * 1. the parent checkpoint: the given one (CHECKPOINT_MISSING when the parent's latest manifest lacks it), or a
 *    new one on the parent's latest manifest that expires after 300 s;
 * 2. clone manifest 1: the parent's manifest at that checkpoint with `initialized = false`, no checkpoints, and
 *    external-database entries for the parent (and the parent's own parents) (store/clone-manifest.ts);
 * 3. on every external database, a checkpoint with the entry's final id, no expiry, pinning the same manifest as
 *    the entry's source checkpoint, unless it is there already;
 * 4. the parent's WAL SSTs after `replayAfterWalId` (up to its last seen id) copied to the clone's `wal/`;
 * 5. the clone's manifest rewritten with `initialized = true`.
 *
 * Invariants: a re-run is idempotent and validated: an initialized clone of the same parent (and checkpoint, when
 * given) whose final checkpoints all exist is left untouched; a half-made one is finished; a clone of another
 * parent or checkpoint, or a database that is not a clone, is an 'invalid' CLONE_PARENT_MISMATCH; a final
 * checkpoint that has disappeared is a 'data' CLONE_FINAL_CHECKPOINT_MISSING. Manifests are written without
 * fencing (plain compare-and-swap, epochs carried unchanged), as 0.12.1's admin calls do. Parent and clone live in
 * the same object store.
 * Concurrency: every manifest change is re-applied to the newest version after a lost race; a concurrent creator of
 * clone manifest 1 is tolerated (its manifest is then validated as a re-run's).
 */
import type { Manifest } from '../format/manifest.js';
import { walSstPath } from '../format/object-paths.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { RetryingObjectStore } from '../object-store/retrying-store.js';
import { checkClonedFrom, clonedManifest } from '../store/clone-manifest.js';
import { manifestStore } from '../store/manifest-store.js';
import { normalizeRoot } from '../store/paths.js';
import {
  type SequencedStore,
  TransactionalObject,
  VersionExistsError,
} from '../store/transactional-object.js';
import { type Clock, systemClock } from '../util/clock.js';
import { dataError, invalidError, toShaleDBError } from '../util/errors.js';
import { Uuid } from '../util/ids.js';
import { type Rand, systemRand } from '../util/random.js';
import { addCheckpoint, findCheckpoint, newCheckpoint, withCheckpoint } from './checkpoint.js';
import { checkKnownKeys } from './options.js';

/** Lifetime of the parent checkpoint createClone makes when none is given (0.12.1: 300 s). */
export const CLONE_PARENT_CHECKPOINT_LIFETIME_MS = 300_000;

/** Options of {@link createClone}. */
export interface CloneOptions {
  /**
   * UUID of an existing checkpoint of the parent to clone from. Omitted: the parent's latest state, pinned by a new
   * checkpoint that expires after 300 s (the clone's own final checkpoint on the parent outlives it).
   */
  readonly parentCheckpoint?: string;
  /** Retry transient object-store failures (default true). */
  readonly retry?: boolean;
  /** @internal Injected clock (tests). */
  readonly clock?: Clock;
  /** @internal Injected randomness (tests). */
  readonly rand?: Rand;
}

const CLONE_KEYS = [
  'parentCheckpoint',
  'retry',
  'clock',
  'rand',
] as const satisfies readonly (keyof CloneOptions)[];
/** Compile-time check that CLONE_KEYS names every option. */
const cloneKeysComplete: [Exclude<keyof CloneOptions, (typeof CLONE_KEYS)[number]>] extends [never]
  ? true
  : never = true;
void cloneKeysComplete;

/** What one clone creation works with. */
interface CloneContext {
  readonly store: ObjectStore;
  readonly cloneRoot: string;
  readonly parentRoot: string;
  readonly checkpointId: Uuid | undefined;
  readonly clone: SequencedStore<Manifest>;
  readonly parent: SequencedStore<Manifest>;
  readonly clock: Clock;
  readonly rand: Rand;
}

/**
 * Creates (or finishes, or confirms) the clone at `clonePath` of the database at `parentPath`, both in `store` (an
 * ObjectStore or a URL string), as SlateDB 0.12.1's `Admin::create_clone` does: the clone starts as the parent's
 * state at `options.parentCheckpoint` (or now) and reads the SSTs it shares with the parent from the parent's path;
 * its own writes, flushes and compactions go under `clonePath` only. Neither database needs to be closed.
 *
 * Errors: identical paths, a clone path holding another parent's (or checkpoint's) clone or a database that is not a
 * clone: 'invalid' (CLONE_PATHS_IDENTICAL, CLONE_PARENT_MISMATCH); no database at `parentPath`: 'data'
 * MANIFEST_MISSING; an unknown `parentCheckpoint`: 'data' CHECKPOINT_MISSING; a parent (or grandparent) that is
 * itself a half-made clone: 'data' INVALID_DB_STATE; a final checkpoint removed from a parent since:
 * 'data' CLONE_FINAL_CHECKPOINT_MISSING.
 */
export async function createClone(
  clonePath: string,
  parentPath: string,
  store: ObjectStore | string,
  options: CloneOptions = {},
): Promise<void> {
  try {
    if (typeof clonePath !== 'string') throw invalidError('INVALID_ARGUMENT', 'clonePath must be a string');
    if (typeof parentPath !== 'string') throw invalidError('INVALID_ARGUMENT', 'parentPath must be a string');
    if (typeof options !== 'object' || options === null)
      throw invalidError('INVALID_ARGUMENT', 'options must be an object');
    checkKnownKeys(options, CLONE_KEYS, 'clone option');
    if (options.parentCheckpoint !== undefined && typeof options.parentCheckpoint !== 'string')
      throw invalidError('INVALID_ARGUMENT', 'parentCheckpoint must be a checkpoint UUID string');
    const cloneRoot = normalizeRoot(clonePath);
    const parentRoot = normalizeRoot(parentPath);
    if (cloneRoot === parentRoot) {
      throw invalidError(
        'CLONE_PATHS_IDENTICAL',
        `the clone path must differ from the parent path (both are ${JSON.stringify(parentRoot)})`,
      );
    }
    const checkpointId =
      options.parentCheckpoint === undefined ? undefined : Uuid.parse(options.parentCheckpoint);
    const clock = options.clock ?? systemClock;
    const rand = options.rand ?? systemRand;
    let s: ObjectStore;
    let owned: ObjectStore | undefined;
    if (typeof store === 'string') {
      s = owned = await resolveObjectStore(store, { clock, rand });
    } else if (store !== null && typeof store === 'object' && typeof store.put === 'function') {
      s = options.retry === false ? store : new RetryingObjectStore(store, { clock, rand });
    } else {
      throw invalidError('INVALID_ARGUMENT', 'store must be an ObjectStore or a URL string');
    }
    try {
      await cloneWith({
        store: s,
        cloneRoot,
        parentRoot,
        checkpointId,
        clone: manifestStore(s, cloneRoot),
        parent: manifestStore(s, parentRoot),
        clock,
        rand,
      });
    } finally {
      await owned?.close().catch(() => {});
    }
  } catch (e) {
    throw toShaleDBError(e);
  }
}

async function cloneWith(c: CloneContext): Promise<void> {
  const clone = await cloneManifest(c);
  if (clone.value.initialized) return;
  await copyWalSsts(c, clone.value);
  await clone.maybeApplyUpdate((m) => (m.initialized ? undefined : { ...m, initialized: true }));
}

/** The clone's manifest: validated when it exists, else created; then every final checkpoint is ensured. */
async function cloneManifest(c: CloneContext): Promise<TransactionalObject<Manifest>> {
  let clone = await TransactionalObject.tryLoad(c.clone);
  if (clone !== undefined) {
    checkClonedFrom(clone.value, c.parentRoot, c.checkpointId);
    if (clone.value.initialized) {
      await checkFinalCheckpoints(c, clone.value);
      return clone;
    }
  } else {
    const parent = await loadInitialized(c.parent);
    const checkpoint =
      c.checkpointId === undefined
        ? await addCheckpoint(
            parent,
            { lifetimeMs: CLONE_PARENT_CHECKPOINT_LIFETIME_MS, source: undefined, name: undefined },
            c.clock,
            c.rand,
          )
        : findCheckpoint(parent.value, c.checkpointId);
    if (checkpoint === undefined)
      throw dataError('CHECKPOINT_MISSING', `checkpoint missing: ${c.checkpointId!.toString()}`);
    const atCheckpoint =
      checkpoint.manifestId === parent.id ? parent.value : await c.parent.read(checkpoint.manifestId);
    if (atCheckpoint.walObjectStoreUri !== undefined) {
      throw invalidError(
        'WAL_STORE_RECONFIGURATION',
        'the parent uses a separate WAL object store, which ShaleDB does not support',
      );
    }
    try {
      clone = await TransactionalObject.create(
        c.clone,
        clonedManifest(atCheckpoint, c.parentRoot, checkpoint.id, c.rand),
      );
    } catch (e) {
      if (!(e instanceof VersionExistsError)) throw e;
      // Another creator wrote manifest 1 first: treat it as a re-run's.
      return cloneManifest(c);
    }
  }
  for (const db of clone.value.externalDbs) {
    const finalId = db.finalCheckpointId;
    if (finalId === undefined) continue;
    const ext = await loadInitialized(externalStore(c, db.path));
    await ext.maybeApplyUpdate((m) =>
      findCheckpoint(m, finalId) !== undefined
        ? undefined
        : withCheckpoint(
            m,
            newCheckpoint(m, ext.id, finalId, c.clock.nowMs(), {
              lifetimeMs: undefined,
              source: db.sourceCheckpointId,
              name: undefined,
            }),
          ),
    );
  }
  return clone;
}

/** The manifest store of external database `path` (the parent's own when it is the parent). */
function externalStore(c: CloneContext, path: string): SequencedStore<Manifest> {
  const root = normalizeRoot(path);
  return root === c.parentRoot ? c.parent : manifestStore(c.store, root);
}

/** The latest manifest of an initialized database (MANIFEST_MISSING / INVALID_DB_STATE otherwise). */
async function loadInitialized(ms: SequencedStore<Manifest>): Promise<TransactionalObject<Manifest>> {
  const m = await TransactionalObject.tryLoad(ms);
  if (m === undefined) throw dataError('MANIFEST_MISSING', `${ms.dir}: no manifest (is this a database?)`);
  if (!m.value.initialized)
    throw dataError('INVALID_DB_STATE', `${ms.dir}: the database is a clone whose creation has not finished`);
  return m;
}

/** Every external database of an initialized clone still holds its final checkpoint. */
async function checkFinalCheckpoints(c: CloneContext, clone: Manifest): Promise<void> {
  for (const db of clone.externalDbs) {
    const finalId = db.finalCheckpointId;
    if (finalId === undefined) continue;
    const ms = externalStore(c, db.path);
    const latest = await ms.tryReadLatest();
    if (latest === undefined) throw dataError('MANIFEST_MISSING', `${ms.dir}: no manifest`);
    if (findCheckpoint(latest.value, finalId) === undefined) {
      throw dataError(
        'CLONE_FINAL_CHECKPOINT_MISSING',
        `the final checkpoint ${finalId.toString()} of the clone no longer exists in ${JSON.stringify(db.path)}`,
      );
    }
  }
}

/** Copies the parent's WAL SSTs the clone's manifest still needs (ids after replayAfterWalId) to the clone. */
async function copyWalSsts(c: CloneContext, clone: Manifest): Promise<void> {
  for (let id = clone.replayAfterWalId + 1; id <= clone.walIdLastSeen; id++) {
    const got = await c.store.get(walSstPath(c.parentRoot, id));
    await c.store.put(walSstPath(c.cloneRoot, id), got.bytes);
  }
}
