/**
 * Transactional objects on an object store, as SlateDB 0.12.1's slatedb-txn-obj does them: a sequence of immutable
 * versions `<dir>/<id:020>.<suffix>` with contiguous ids from 1, each written with create-if-absent (the CAS);
 * `AlreadyExists` means another process wrote that version first. Manifests and compactions files use this.
 *
 * - SequencedStore: list, read, write one version; read the latest (LIST then GET, retried if the listed file
 *   vanished meanwhile).
 * - TransactionalObject: the latest known version; `update` writes id + 1; `maybeApplyUpdate` refreshes and retries
 *   on conflict.
 * - FenceableObject: adds an epoch (writer or compactor) bumped at init; a stored epoch above ours means we are
 *   fenced (closed/fenced error); below ours is a protocol violation (internal error; SlateDB panics).
 *
 * Invariants: a version is never overwritten; ids only grow; a fenced holder never writes again.
 * Concurrency: one holder object per task; every await is followed by re-reading state (the store may have moved).
 */

import { versionedName } from '../format/object-paths.js';
import { isObjectStoreError, type ObjectStore } from '../object-store/object-store.js';
import type { Clock } from '../util/clock.js';
import { closedError, dataError, internalError, unavailableError } from '../util/errors.js';

/** Encodes and decodes one version's bytes. */
export interface ObjectCodec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array, path: string): T;
  /**
   * Checks a value before it is written as version `id` (`previous`: the version it follows, when known); throws
   * to refuse the write. Runs before every write, so no store can write a value that breaks the protocol.
   */
  check?(value: T, id: number, previous: T | undefined): void;
}

/** Listing entry of a stored version. */
export interface VersionMeta {
  readonly id: number;
  readonly path: string;
  readonly lastModifiedMs: number;
  readonly size: number;
}

/** Thrown by `write` when the version already exists. */
export class VersionExistsError extends Error {
  constructor(readonly id: number) {
    super(`version ${id} already exists`);
    this.name = 'VersionExistsError';
  }
}

/** Versions of one object kind under `<dir>/`. */
export class SequencedStore<T> {
  readonly store: ObjectStore;
  readonly dir: string;
  readonly suffix: string;
  readonly #codec: ObjectCodec<T>;

  constructor(store: ObjectStore, dir: string, suffix: string, codec: ObjectCodec<T>) {
    this.store = store;
    this.dir = dir;
    this.suffix = suffix;
    this.#codec = codec;
  }

  /** The path of version `id`. */
  pathFor(id: number): string {
    return `${this.dir}/${versionedName(id, this.suffix)}`;
  }

  /** Parses a listed path; undefined for files that are not versions (skipped, as 0.12.1 does). */
  parseId(path: string): number | undefined {
    if (!path.startsWith(`${this.dir}/`)) return undefined;
    const name = path.slice(this.dir.length + 1);
    if (name.includes('/')) return undefined;
    const dot = name.indexOf('.');
    if (dot < 0 || name.slice(name.lastIndexOf('.') + 1) !== this.suffix) return undefined;
    const digits = name.slice(0, dot);
    if (!/^\d+$/.test(digits)) return undefined;
    const id = Number(digits);
    return Number.isSafeInteger(id) ? id : undefined;
  }

  /** Every version, ascending by id. */
  async list(): Promise<VersionMeta[]> {
    const out: VersionMeta[] = [];
    for await (const m of this.store.list(`${this.dir}/`)) {
      const id = this.parseId(m.path);
      if (id !== undefined) out.push({ id, path: m.path, lastModifiedMs: m.lastModifiedMs, size: m.size });
    }
    out.sort((a, b) => a.id - b.id);
    return out;
  }

  /** Reads version `id`, or undefined when it does not exist. */
  async tryRead(id: number): Promise<T | undefined> {
    const path = this.pathFor(id);
    try {
      const r = await this.store.get(path);
      return this.#codec.decode(r.bytes, path);
    } catch (e) {
      if (isObjectStoreError(e, 'not-found')) return undefined;
      throw e;
    }
  }

  /** Reads version `id`; a missing version is a data error. */
  async read(id: number): Promise<T> {
    const v = await this.tryRead(id);
    if (v === undefined) throw dataError('MANIFEST_MISSING', `${this.pathFor(id)} does not exist`);
    return v;
  }

  /** The latest version, or undefined when there is none. */
  async tryReadLatest(): Promise<{ id: number; value: T } | undefined> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const versions = await this.list();
      const last = versions[versions.length - 1];
      if (last === undefined) return undefined;
      const value = await this.tryRead(last.id);
      if (value !== undefined) return { id: last.id, value };
    }
    throw unavailableError('OBJECT_STORE_UNSTABLE', `${this.dir}: listed versions keep vanishing`);
  }

  /**
   * Writes version `id` with create-if-absent, after the codec's checks (`previous`: the version it follows, when
   * the caller knows it); throws VersionExistsError when it exists.
   */
  async write(id: number, value: T, previous?: T): Promise<void> {
    this.#codec.check?.(value, id, previous);
    try {
      await this.store.put(this.pathFor(id), this.#codec.encode(value), { mode: 'create' });
    } catch (e) {
      if (isObjectStoreError(e, 'already-exists')) throw new VersionExistsError(id);
      throw e;
    }
  }

  /** Deletes version `id` (GC). */
  async delete(id: number): Promise<void> {
    await this.store.delete(this.pathFor(id));
  }
}

/** The latest known version of a sequenced object, updated by CAS. */
export class TransactionalObject<T> {
  readonly store: SequencedStore<T>;
  #id: number;
  #value: T;

  private constructor(store: SequencedStore<T>, id: number, value: T) {
    this.store = store;
    this.#id = id;
    this.#value = value;
  }

  /** Creates version 1 (throws VersionExistsError if the object already exists). */
  static async create<T>(store: SequencedStore<T>, value: T): Promise<TransactionalObject<T>> {
    await store.write(1, value);
    return new TransactionalObject(store, 1, value);
  }

  /** Loads the latest version, or creates version 1 holding `initial`; tolerates a concurrent creator. */
  static async loadOrCreate<T>(store: SequencedStore<T>, initial: T): Promise<TransactionalObject<T>> {
    const loaded = await TransactionalObject.tryLoad(store);
    if (loaded !== undefined) return loaded;
    try {
      return await TransactionalObject.create(store, initial);
    } catch (e) {
      if (!(e instanceof VersionExistsError)) throw e;
      const again = await TransactionalObject.tryLoad(store);
      if (again === undefined) throw e;
      return again;
    }
  }

  /** Loads the latest version, or undefined when there is none. */
  static async tryLoad<T>(store: SequencedStore<T>): Promise<TransactionalObject<T> | undefined> {
    const latest = await store.tryReadLatest();
    return latest === undefined ? undefined : new TransactionalObject(store, latest.id, latest.value);
  }

  get id(): number {
    return this.#id;
  }

  get value(): T {
    return this.#value;
  }

  /** Re-reads the latest version. */
  async refresh(): Promise<T> {
    const latest = await this.store.tryReadLatest();
    if (latest === undefined) throw dataError('MANIFEST_MISSING', `${this.store.dir}: every version is gone`);
    if (latest.id < this.#id)
      throw dataError('INVALID_DB_STATE', `${this.store.dir}: version ${latest.id} < known ${this.#id}`);
    this.#id = latest.id;
    this.#value = latest.value;
    return latest.value;
  }

  /** Writes `value` as version id + 1; throws VersionExistsError if another process got there first. */
  async update(value: T): Promise<void> {
    const next = this.#id + 1;
    await this.store.write(next, value, this.#value);
    this.#id = next;
    this.#value = value;
  }

  /**
   * Applies `mutate` to the latest value and writes the result, refreshing and retrying on conflicts. `mutate`
   * returns undefined when no write is needed.
   */
  maybeApplyUpdate(mutate: (current: T) => T | undefined): Promise<void> {
    return applyUpdate(this, mutate);
  }
}

/** What the CAS retry loop needs of a holder. */
interface Holder<T> {
  readonly value: T;
  update(value: T): Promise<void>;
  refresh(): Promise<T>;
}

/**
 * The CAS retry loop of both holders: `before` (if any), then `mutate` the latest value and write it; on a
 * conflict refresh and go again. Returns when `mutate` says no write is needed or the write landed.
 */
async function applyUpdate<T>(
  holder: Holder<T>,
  mutate: (current: T) => T | undefined,
  before?: () => void,
): Promise<void> {
  for (;;) {
    before?.();
    const next = mutate(holder.value);
    if (next === undefined) return;
    try {
      await holder.update(next);
      return;
    } catch (e) {
      if (!(e instanceof VersionExistsError)) throw e;
      await holder.refresh();
    }
  }
}

/** Which epoch a fenceable holder owns. */
export interface EpochAccess<T> {
  readonly name: string;
  get(value: T): number;
  set(value: T, epoch: number): T;
}

/** A transactional object whose holder is fenced by an epoch. */
export class FenceableObject<T> {
  readonly #inner: TransactionalObject<T>;
  readonly #epoch: EpochAccess<T>;
  readonly localEpoch: number;

  private constructor(inner: TransactionalObject<T>, epoch: EpochAccess<T>, localEpoch: number) {
    this.#inner = inner;
    this.#epoch = epoch;
    this.localEpoch = localEpoch;
  }

  /** Bumps the stored epoch by one (CAS loop, bounded by `timeoutMs`) and becomes its holder. */
  static init<T>(
    inner: TransactionalObject<T>,
    access: EpochAccess<T>,
    clock: Clock,
    timeoutMs: number,
  ): Promise<FenceableObject<T>> {
    return FenceableObject.#claim(inner, access, (stored) => stored + 1, clock, timeoutMs);
  }

  /** Writes `epoch` (which must exceed the stored one, else fenced) and becomes its holder. */
  static initWithEpoch<T>(
    inner: TransactionalObject<T>,
    access: EpochAccess<T>,
    epoch: number,
    clock: Clock,
    timeoutMs: number,
  ): Promise<FenceableObject<T>> {
    return FenceableObject.#claim(inner, access, () => epoch, clock, timeoutMs);
  }

  /** The CAS loop of both inits: writes `epochFor(stored)`, refreshing on conflicts, until the deadline. */
  static async #claim<T>(
    inner: TransactionalObject<T>,
    access: EpochAccess<T>,
    epochFor: (stored: number) => number,
    clock: Clock,
    timeoutMs: number,
  ): Promise<FenceableObject<T>> {
    const deadline = clock.monotonicMs() + timeoutMs;
    for (;;) {
      const stored = access.get(inner.value);
      const epoch = epochFor(stored);
      if (epoch <= stored) {
        throw closedError('fenced', `${access.name} epoch ${epoch} is not above the stored ${stored}`);
      }
      try {
        await inner.update(access.set(inner.value, epoch));
        return new FenceableObject(inner, access, epoch);
      } catch (e) {
        if (!(e instanceof VersionExistsError)) throw e;
        if (clock.monotonicMs() > deadline) {
          throw unavailableError(
            'MANIFEST_UPDATE_TIMEOUT',
            `${access.name} epoch init timed out after ${timeoutMs} ms`,
          );
        }
        await inner.refresh();
      }
    }
  }

  get id(): number {
    return this.#inner.id;
  }

  get value(): T {
    return this.#inner.value;
  }

  get store(): SequencedStore<T> {
    return this.#inner.store;
  }

  #checkEpoch(): void {
    const stored = this.#epoch.get(this.#inner.value);
    if (stored > this.localEpoch) {
      throw closedError(
        'fenced',
        `a newer ${this.#epoch.name} (epoch ${stored}) has fenced this one (${this.localEpoch})`,
      );
    }
    if (stored < this.localEpoch) {
      throw internalError(
        'EPOCH_REGRESSED',
        `stored ${this.#epoch.name} epoch ${stored} is below ours (${this.localEpoch})`,
      );
    }
  }

  /** Re-reads the latest version; fails if fenced. */
  async refresh(): Promise<T> {
    await this.#inner.refresh();
    this.#checkEpoch();
    return this.#inner.value;
  }

  /** Writes the next version; fails if fenced; VersionExistsError on conflict. */
  async update(value: T): Promise<void> {
    this.#checkEpoch();
    if (this.#epoch.get(value) !== this.localEpoch) {
      throw internalError('EPOCH_MISMATCH', `update would change the ${this.#epoch.name} epoch`);
    }
    await this.#inner.update(value);
  }

  /** Like TransactionalObject.maybeApplyUpdate, with the epoch checked before every write and after refresh. */
  maybeApplyUpdate(mutate: (current: T) => T | undefined): Promise<void> {
    return applyUpdate(this, mutate, () => this.#checkEpoch());
  }
}
