/**
 * Checkpoints: named or anonymous pins on one manifest version, stored as entries of the latest manifest exactly as
 * SlateDB 0.12.1 writes them (docs/checkpoints-and-readers.md). A checkpoint keeps its manifest, and every SST and
 * WAL SST that manifest references, safe from garbage collection until it is deleted or expires.
 *
 * This file holds the pure manifest changes (add, refresh, delete, list) and the detached operations, which work
 * on a database without opening a writer: each is an unfenced compare-and-swap on the latest manifest that carries
 * both epochs forward unchanged and retries on conflicts, as 0.12.1's admin calls do.
 *
 * Invariants: a new checkpoint's `manifestId` is the id of the manifest version that adds it (latest + 1), or the
 * source checkpoint's `manifestId` when `source` is given; times are u32 Unix seconds; expireTimeS 0 = no expiry;
 * `lifetime` omitted = no expiry; a missing source is a data error CHECKPOINT_MISSING, refreshing a missing
 * checkpoint a data error INVALID_DB_STATE (as 0.12.1), deleting a missing checkpoint writes nothing.
 * Concurrency: every operation re-applies its change to the newest manifest after a lost race.
 */

import type { Checkpoint, Manifest } from '../format/manifest.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { RetryingObjectStore } from '../object-store/retrying-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { normalizeRoot } from '../store/paths.js';
import { TransactionalObject } from '../store/transactional-object.js';
import { type Clock, systemClock } from '../util/clock.js';
import { parseDurationMs } from '../util/duration.js';
import { dataError, invalidError, toShaleDBError } from '../util/errors.js';
import { Uuid } from '../util/ids.js';
import { type Rand, systemRand } from '../util/random.js';
import { checkKnownKeys } from './options.js';

/** A checkpoint as the public API shows it. */
export interface CheckpointInfo {
  /** The checkpoint's UUID (8-4-4-4-12 hex). */
  readonly id: string;
  /** The manifest version it pins. */
  readonly manifestId: bigint;
  /** When it expires; undefined = never. */
  readonly expireTime: Date | undefined;
  readonly createTime: Date;
  readonly name: string | undefined;
}

/** What creating a checkpoint returns (0.12.1's CheckpointCreateResult). */
export interface CheckpointCreateResult {
  readonly id: string;
  readonly manifestId: bigint;
}

/** Options of a new checkpoint (0.12.1's CheckpointOptions). */
export interface CheckpointOptions {
  /** How long it lives ("1h", "10m", or ms); omitted = it never expires. */
  readonly lifetime?: string | number;
  /** Pin the same manifest as this existing checkpoint (its UUID). */
  readonly source?: string;
  /** A name to find it by (`listCheckpoints(name)`). */
  readonly name?: string;
}

/** Options of Db.createCheckpoint. */
export interface DbCheckpointOptions extends CheckpointOptions {
  /**
   * 'all' (default): flush the WAL and the memtable first, so the checkpoint holds every write made before the
   * call, in L0; 'durable': pin the current manifest now, which holds every write durable so far (in L0 or WAL).
   */
  readonly scope?: 'all' | 'durable';
}

const CHECKPOINT_KEYS = [
  'lifetime',
  'source',
  'name',
] as const satisfies readonly (keyof CheckpointOptions)[];
/** Every key of DbCheckpointOptions (unknown keys are refused, as for every options object). */
export const DB_CHECKPOINT_KEYS = [
  ...CHECKPOINT_KEYS,
  'scope',
] as const satisfies readonly (keyof DbCheckpointOptions)[];
/** Compile-time check that DB_CHECKPOINT_KEYS names every option (a new option must be added there). */
const checkpointKeysComplete: [
  Exclude<keyof DbCheckpointOptions, (typeof DB_CHECKPOINT_KEYS)[number]>,
] extends [never]
  ? true
  : never = true;
void checkpointKeysComplete;

/** Checkpoint options after validation. */
export interface ResolvedCheckpointOptions {
  readonly lifetimeMs: number | undefined;
  readonly source: Uuid | undefined;
  readonly name: string | undefined;
}

/**
 * Validates checkpoint options ('invalid' on bad input or a key not in `known`: CheckpointOptions' keys, or with
 * Db.createCheckpoint DB_CHECKPOINT_KEYS).
 */
export function resolveCheckpointOptions(
  o: CheckpointOptions | undefined,
  known: readonly string[] = CHECKPOINT_KEYS,
): ResolvedCheckpointOptions {
  if (o === undefined) return { lifetimeMs: undefined, source: undefined, name: undefined };
  if (typeof o !== 'object' || o === null)
    throw invalidError('INVALID_ARGUMENT', 'options must be an object');
  checkKnownKeys(o, known, 'checkpoint option');
  const lifetimeMs = o.lifetime === undefined ? undefined : parseDurationMs(o.lifetime, 'lifetime');
  if (o.source !== undefined && typeof o.source !== 'string')
    throw invalidError('INVALID_ARGUMENT', 'source must be a checkpoint UUID string');
  if (o.name !== undefined && typeof o.name !== 'string')
    throw invalidError('INVALID_ARGUMENT', 'name must be a string');
  return {
    lifetimeMs,
    source: o.source === undefined ? undefined : Uuid.parse(o.source),
    name: o.name,
  };
}

/** Validates Db.createCheckpoint's scope. */
export function checkScope(scope: unknown): 'all' | 'durable' {
  if (scope === undefined) return 'all';
  if (scope === 'all' || scope === 'durable') return scope;
  throw invalidError('INVALID_ARGUMENT', `scope must be 'all' or 'durable', got ${JSON.stringify(scope)}`);
}

/** u32 Unix seconds of `ms` (the truncating cast 0.12.1 stores). */
export function toU32Seconds(ms: number): number {
  return Math.floor(ms / 1000) >>> 0;
}

function sameId(a: Uuid, b: Uuid): boolean {
  return a.high === b.high && a.low === b.low;
}

/** The checkpoint with `id` in `m`, or undefined. */
export function findCheckpoint(m: Manifest, id: Uuid): Checkpoint | undefined {
  return m.checkpoints.find((c) => sameId(c.id, id));
}

/**
 * The checkpoint entry to add to manifest `currentId` (whose content is `m`): it pins `currentId + 1`, the version
 * that adds it, unless it copies a source checkpoint's manifest.
 */
export function newCheckpoint(
  m: Manifest,
  currentId: number,
  id: Uuid,
  nowMs: number,
  o: ResolvedCheckpointOptions,
): Checkpoint {
  let manifestId: number;
  if (o.source !== undefined) {
    const src = findCheckpoint(m, o.source);
    if (src === undefined) throw dataError('CHECKPOINT_MISSING', `checkpoint missing: ${o.source}`);
    manifestId = src.manifestId;
  } else {
    if (!m.initialized) throw dataError('INVALID_DB_STATE', 'the database is not initialized');
    manifestId = currentId + 1;
  }
  return {
    id,
    manifestId,
    expireTimeS: o.lifetimeMs === undefined ? 0 : toU32Seconds(nowMs + o.lifetimeMs),
    createTimeS: toU32Seconds(nowMs),
    name: o.name,
  };
}

/** `m` with `c` appended to its checkpoints. */
export function withCheckpoint(m: Manifest, c: Checkpoint): Manifest {
  return { ...m, checkpoints: [...m.checkpoints, c] };
}

/** `m` without checkpoint `id`, or undefined when it has none. */
export function withoutCheckpoint(m: Manifest, id: Uuid): Manifest | undefined {
  const kept = m.checkpoints.filter((c) => !sameId(c.id, id));
  return kept.length === m.checkpoints.length ? undefined : { ...m, checkpoints: kept };
}

/** `m` with checkpoint `id` set to expire at `expireTimeS` (0 = never); INVALID_DB_STATE when it is missing. */
export function withRefreshedCheckpoint(m: Manifest, id: Uuid, expireTimeS: number): Manifest {
  if (findCheckpoint(m, id) === undefined)
    throw dataError('INVALID_DB_STATE', `checkpoint missing: ${id.toString()}`);
  return {
    ...m,
    checkpoints: m.checkpoints.map((c) => (sameId(c.id, id) ? { ...c, expireTimeS } : c)),
  };
}

/** The public form of a checkpoint entry. */
export function toCheckpointInfo(c: Checkpoint): CheckpointInfo {
  return {
    id: c.id.toString(),
    manifestId: BigInt(c.manifestId),
    expireTime: c.expireTimeS === 0 ? undefined : new Date(c.expireTimeS * 1000),
    createTime: new Date(c.createTimeS * 1000),
    name: c.name,
  };
}

/** 0.12.1's list filter: undefined = all; '' = unnamed (or empty-named) ones; else that exact name. */
export function filterCheckpoints(cs: readonly Checkpoint[], name: string | undefined): Checkpoint[] {
  if (name === undefined) return [...cs];
  if (name === '') return cs.filter((c) => c.name === undefined || c.name === '');
  return cs.filter((c) => c.name === name);
}

/** Options of the detached checkpoint operations. */
export interface CheckpointAdminOptions {
  /** Retry transient object-store failures (default true). */
  readonly retry?: boolean;
  /** @internal Injected clock (tests). */
  readonly clock?: Clock;
  /** @internal Injected randomness (tests). */
  readonly rand?: Rand;
}

const ADMIN_KEYS = ['retry', 'clock', 'rand'] as const satisfies readonly (keyof CheckpointAdminOptions)[];
/** Compile-time check that ADMIN_KEYS names every option. */
const adminKeysComplete: [Exclude<keyof CheckpointAdminOptions, (typeof ADMIN_KEYS)[number]>] extends [never]
  ? true
  : never = true;
void adminKeysComplete;

async function withManifest<T>(
  path: string,
  storeArg: ObjectStore | string,
  options: CheckpointAdminOptions,
  f: (manifest: TransactionalObject<Manifest>, clock: Clock, rand: Rand) => Promise<T>,
): Promise<T> {
  try {
    if (typeof path !== 'string') throw invalidError('INVALID_ARGUMENT', 'path must be a string');
    if (typeof options !== 'object' || options === null)
      throw invalidError('INVALID_ARGUMENT', 'admin options must be an object');
    checkKnownKeys(options, ADMIN_KEYS, 'checkpoint admin option');
    const clock = options.clock ?? systemClock;
    const rand = options.rand ?? systemRand;
    let store: ObjectStore;
    let owned: ObjectStore | undefined;
    if (typeof storeArg === 'string') {
      store = owned = await resolveObjectStore(storeArg, { clock, rand });
    } else if (storeArg !== null && typeof storeArg === 'object' && typeof storeArg.put === 'function') {
      store = options.retry === false ? storeArg : new RetryingObjectStore(storeArg, { clock, rand });
    } else {
      throw invalidError('INVALID_ARGUMENT', 'store must be an ObjectStore or a URL string');
    }
    try {
      const root = normalizeRoot(path);
      const ms = manifestStore(store, root);
      const manifest = await TransactionalObject.tryLoad(ms);
      if (manifest === undefined)
        throw dataError('MANIFEST_MISSING', `${ms.dir}: no manifest (is this a database?)`);
      return await f(manifest, clock, rand);
    } finally {
      await owned?.close().catch(() => {});
    }
  } catch (e) {
    throw toShaleDBError(e);
  }
}

/** Adds a checkpoint to the latest manifest by unfenced CAS; returns the entry written. */
export async function addCheckpoint(
  manifest: TransactionalObject<Manifest>,
  o: ResolvedCheckpointOptions,
  clock: Clock,
  rand: Rand,
): Promise<Checkpoint> {
  const id = Uuid.v4(rand);
  let added: Checkpoint | undefined;
  await manifest.maybeApplyUpdate((current) => {
    added = newCheckpoint(current, manifest.id, id, clock.nowMs(), o);
    return withCheckpoint(current, added);
  });
  return added!;
}

/**
 * Creates a checkpoint of the database at `path` without opening a writer (0.12.1's
 * `Admin::create_detached_checkpoint`): it pins the latest manifest (or `source`'s) as of the call.
 */
export function createDetachedCheckpoint(
  path: string,
  store: ObjectStore | string,
  options?: CheckpointOptions,
  admin: CheckpointAdminOptions = {},
): Promise<CheckpointCreateResult> {
  return withManifest(path, store, admin, async (manifest, clock, rand) => {
    const o = resolveCheckpointOptions(options);
    if (manifest.value.walObjectStoreUri !== undefined) {
      throw invalidError('WAL_STORE_RECONFIGURATION', 'the database uses a separate WAL object store');
    }
    const c = await addCheckpoint(manifest, o, clock, rand);
    return { id: c.id.toString(), manifestId: BigInt(c.manifestId) };
  });
}

/** Sets checkpoint `id` to expire `lifetime` from now (omitted: never). Missing: data error INVALID_DB_STATE. */
export function refreshCheckpoint(
  path: string,
  store: ObjectStore | string,
  id: string,
  lifetime?: string | number,
  admin: CheckpointAdminOptions = {},
): Promise<void> {
  return withManifest(path, store, admin, async (manifest, clock) => {
    const uuid = Uuid.parse(id);
    const ms = lifetime === undefined ? undefined : parseDurationMs(lifetime, 'lifetime');
    await manifest.maybeApplyUpdate((current) =>
      withRefreshedCheckpoint(current, uuid, ms === undefined ? 0 : toU32Seconds(clock.nowMs() + ms)),
    );
  });
}

/** Deletes checkpoint `id` (nothing is written when it does not exist). */
export function deleteCheckpoint(
  path: string,
  store: ObjectStore | string,
  id: string,
  admin: CheckpointAdminOptions = {},
): Promise<void> {
  return withManifest(path, store, admin, async (manifest) => {
    const uuid = Uuid.parse(id);
    await manifest.maybeApplyUpdate((current) => withoutCheckpoint(current, uuid));
  });
}

/**
 * The checkpoints of the latest manifest: all of them, those named `name`, or with `name` '' the unnamed ones
 * (as 0.12.1's `Admin::list_checkpoints`).
 */
export function listCheckpoints(
  path: string,
  store: ObjectStore | string,
  name?: string,
  admin: CheckpointAdminOptions = {},
): Promise<CheckpointInfo[]> {
  return withManifest(path, store, admin, async (manifest) => {
    if (name !== undefined && typeof name !== 'string')
      throw invalidError('INVALID_ARGUMENT', 'name must be a string');
    return filterCheckpoints(manifest.value.checkpoints, name).map(toCheckpointInfo);
  });
}
