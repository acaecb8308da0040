/**
 * ShaleLevel: a ShaleDB database behind abstract-level's interface (`shaledb/level`), so code written for the
 * Level ecosystem (encodings, sublevels, chained batches, iterators with ranges, reverse, limit and seek, events,
 * hooks) runs on object storage. abstract-level does the public API, encodings and events; this file implements
 * its private `_` methods on a Db, with keys and values as Uint8Array views.
 *
 * Invariants: every read (get, iterator, clear) reads one consistent version chosen synchronously when it is
 * called (implicit snapshots); explicit snapshots are ShaleDB snapshots; batches are atomic WriteBatches. Level
 * allows the empty key and SlateDB does not, so every Level key is stored behind one byte, KEY_TAG (an
 * order-preserving map onto non-empty keys): a ShaleLevel database is read through ShaleLevel, and Db users of
 * the same database see the tagged keys. `gte`/`lte` win over `gt`/`lt` when both are given, as abstract-level
 * specifies.
 * Concurrency: as Db; abstract-level defers calls made while opening and closes iterators before the database.
 */
import { AbstractIterator, AbstractLevel, AbstractSnapshot as UntypedSnapshot } from 'abstract-level';
import { Db, type DbOpenOptions } from '../db/db.js';
import type { DbIterator } from '../db/db-iterator.js';
import type { ScanRange } from '../db/options.js';
import type { Snapshot } from '../db/snapshot.js';
import { WriteBatch } from '../db/write-batch.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { compareBytes } from '../util/bytes.js';

/** Options of {@link ShaleLevel}: abstract-level's database options plus where and how to open the Db. */
export interface ShaleLevelOptions<K, V> {
  /** The database path inside the store (default "db"). */
  readonly path?: string;
  /** Options for Db.open (settings, mergeOperator, ...). */
  readonly db?: DbOpenOptions;
  readonly keyEncoding?: string | object;
  readonly valueEncoding?: string | object;
  /** Typing only: the default key and value types. */
  readonly __types?: [K, V];
}

type Bytes = Uint8Array;
interface RangeOptions {
  gt?: Bytes;
  gte?: Bytes;
  lt?: Bytes;
  lte?: Bytes;
}
interface IteratorOptions extends RangeOptions {
  reverse: boolean;
  limit: number;
  keys?: boolean;
  values?: boolean;
  snapshot?: ShaleLevelSnapshot;
}
// abstract-level's declarations omit AbstractSnapshot's constructor (it takes `{ owner }`).
const AbstractSnapshot = UntypedSnapshot as unknown as new (
  options: object,
) => InstanceType<typeof UntypedSnapshot>;

type BatchOperation = { type: 'put'; key: Bytes; value: Bytes } | { type: 'del'; key: Bytes };

/** The byte in front of every stored key (see the header). */
export const KEY_TAG = 0x00;
const ALL: ScanRange = { gte: Uint8Array.of(KEY_TAG), lt: Uint8Array.of(KEY_TAG + 1) };

function tag(key: Bytes): Bytes {
  const out = new Uint8Array(key.length + 1);
  out[0] = KEY_TAG;
  out.set(key, 1);
  return out;
}

function untag(key: Bytes): Bytes {
  return key.subarray(1);
}

/** A ShaleDB database as an abstract-level database. */
export class ShaleLevel<K = string, V = string> extends AbstractLevel<Bytes, K, V> {
  readonly #store: ObjectStore | string | URL;
  readonly #path: string;
  readonly #dbOptions: DbOpenOptions | undefined;
  #db: Db | undefined;

  /**
   * `store` is an ObjectStore or a URL (`file:///abs/dir`, `s3://bucket/prefix`, ...); the database opens on
   * first use (or `open()`), as every abstract-level database does.
   */
  constructor(store: ObjectStore | string | URL, options: ShaleLevelOptions<K, V> = {}) {
    const { path, db, ...levelOptions } = options;
    super(
      {
        encodings: { view: true },
        implicitSnapshots: true,
        explicitSnapshots: true,
        has: true,
        seek: true,
        createIfMissing: false,
        errorIfExists: false,
        permanence: true,
      },
      levelOptions as never,
    );
    this.#store = store;
    this.#path = path ?? 'db';
    this.#dbOptions = db;
  }

  /** The open Db (for ShaleDB-only calls such as flush or status); throws when not open. */
  get db(): Db {
    if (this.#db === undefined) throw new Error('ShaleLevel is not open');
    return this.#db;
  }

  async _open(): Promise<void> {
    this.#db = await Db.open(this.#path, this.#store, this.#dbOptions);
  }

  async _close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    await db?.close();
  }

  async _get(key: Bytes, options: { snapshot?: ShaleLevelSnapshot }): Promise<Bytes | undefined> {
    if (options.snapshot !== undefined) return (await options.snapshot.snapshot).get(tag(key));
    return this.db.get(tag(key));
  }

  async _getMany(keys: Bytes[], options: { snapshot?: ShaleLevelSnapshot }): Promise<(Bytes | undefined)[]> {
    if (options.snapshot !== undefined) {
      const snap = await options.snapshot.snapshot;
      return Promise.all(keys.map((k) => snap.get(tag(k))));
    }
    return this.db.getMany(keys.map(tag));
  }

  async _has(key: Bytes, options: { snapshot?: ShaleLevelSnapshot }): Promise<boolean> {
    return (await this._get(key, options)) !== undefined;
  }

  async _hasMany(keys: Bytes[], options: { snapshot?: ShaleLevelSnapshot }): Promise<boolean[]> {
    return (await this._getMany(keys, options)).map((v) => v !== undefined);
  }

  async _put(key: Bytes, value: Bytes): Promise<void> {
    await this.db.put(tag(key), value);
  }

  async _del(key: Bytes): Promise<void> {
    await this.db.delete(tag(key));
  }

  async _batch(operations: BatchOperation[]): Promise<void> {
    const batch = new WriteBatch();
    for (const op of operations) {
      if (op.type === 'put') batch.put(tag(op.key), op.value);
      else batch.delete(tag(op.key));
    }
    await this.db.write(batch);
  }

  async _clear(options: IteratorOptions): Promise<void> {
    const snap = await (options.snapshot?.snapshot ?? this.db.snapshot());
    try {
      const range = toScanRange(options);
      if (range === undefined) return;
      const limit = options.limit >= 0 ? options.limit : undefined;
      const it = snap.scan(range, { order: options.reverse ? 'desc' : 'asc', limit });
      try {
        for (;;) {
          const kvs = await it.nextBatch(1024);
          if (kvs.length === 0) break;
          const batch = new WriteBatch();
          for (const kv of kvs) batch.delete(kv.key);
          await this.db.write(batch);
          if (kvs.length < 1024) break;
        }
      } finally {
        it.close();
      }
    } finally {
      if (options.snapshot === undefined) snap.close();
    }
  }

  _iterator(options: IteratorOptions): ShaleLevelIterator<K, V> {
    return new ShaleLevelIterator(this, options, options.snapshot?.snapshot ?? this.db.snapshot());
  }

  _snapshot(options: object): ShaleLevelSnapshot {
    return new ShaleLevelSnapshot(options, this.db.snapshot());
  }
}

/** An explicit snapshot: a ShaleDB snapshot taken synchronously (its seq is fixed when `db.snapshot()` is called). */
export class ShaleLevelSnapshot extends AbstractSnapshot {
  /** @internal */
  readonly snapshot: Promise<Snapshot>;

  /** @internal `options` carries abstract-level's owner database. */
  constructor(options: object, snapshot: Promise<Snapshot>) {
    super(options);
    this.snapshot = snapshot;
    snapshot.catch(() => {});
  }

  async _close(): Promise<void> {
    (await this.snapshot.catch(() => undefined))?.close();
  }
}

/**
 * The scan range (over tagged keys) of abstract-level range options, or undefined when it can hold no key.
 * `gte` wins over `gt` and `lte` over `lt`.
 */
function toScanRange(o: RangeOptions): ScanRange | undefined {
  const r: { gt?: Bytes; gte?: Bytes; lt?: Bytes; lte?: Bytes } = {};
  if (o.gte !== undefined) r.gte = tag(o.gte);
  else if (o.gt !== undefined) r.gt = tag(o.gt);
  else r.gte = ALL.gte as Bytes;
  if (o.lte !== undefined) r.lte = tag(o.lte);
  else if (o.lt !== undefined) r.lt = tag(o.lt);
  else r.lt = ALL.lt as Bytes;
  const start = (r.gt ?? r.gte)!;
  const end = (r.lt ?? r.lte)!;
  const c = compareBytes(start, end);
  if (c > 0 || (c === 0 && (r.gt !== undefined || r.lt !== undefined))) return undefined;
  return r;
}

/** An abstract-level iterator over a ShaleDB snapshot; seek restarts the scan from the target on that snapshot. */
export class ShaleLevelIterator<K, V> extends AbstractIterator<ShaleLevel<K, V>, K, V> {
  readonly #options: IteratorOptions;
  readonly #snapshot: Promise<Snapshot>;
  readonly #ownsSnapshot: boolean;
  #range: ScanRange | undefined;
  #it: DbIterator | undefined;
  #started = false;

  /** @internal */
  constructor(db: ShaleLevel<K, V>, options: IteratorOptions, snapshot: Promise<Snapshot>) {
    super(db, options as never);
    this.#options = options;
    this.#snapshot = snapshot;
    this.#ownsSnapshot = options.snapshot === undefined;
    snapshot.catch(() => {});
    this.#range = toScanRange(options);
  }

  async #iterator(): Promise<DbIterator | undefined> {
    if (!this.#started) {
      this.#started = true;
      if (this.#range !== undefined) {
        const snap = await this.#snapshot;
        const limit = this.#options.limit >= 0 ? this.#options.limit : undefined;
        this.#it = snap.scan(this.#range, { order: this.#options.reverse ? 'desc' : 'asc', limit });
      }
    }
    return this.#it;
  }

  async _next(): Promise<[Bytes, Bytes] | undefined> {
    const kv = await (await this.#iterator())?.next();
    return kv === undefined ? undefined : [untag(kv.key), kv.value];
  }

  async _nextv(size: number): Promise<[Bytes, Bytes][]> {
    const it = await this.#iterator();
    if (it === undefined) return [];
    return (await it.nextBatch(size)).map((kv) => [untag(kv.key), kv.value]);
  }

  async _all(): Promise<[Bytes, Bytes][]> {
    const out: [Bytes, Bytes][] = [];
    for (;;) {
      const batch = await this._nextv(1024);
      for (const e of batch) out.push(e);
      if (batch.length < 1024) return out;
    }
  }

  /** Restarts at the first key at or past `target` in iteration order, within the original range. */
  _seek(target: Bytes): void {
    this.#it?.close();
    this.#it = undefined;
    this.#started = false;
    const o = this.#options;
    const narrowed: RangeOptions = { gt: o.gt, gte: o.gte, lt: o.lt, lte: o.lte };
    if (o.reverse) {
      const end = o.lte ?? o.lt;
      if (end === undefined || compareBytes(target, end) < 0) {
        narrowed.lt = undefined;
        narrowed.lte = target;
      }
    } else {
      const start = o.gte ?? o.gt;
      if (start === undefined || compareBytes(target, start) > 0) {
        narrowed.gt = undefined;
        narrowed.gte = target;
      }
    }
    this.#range = toScanRange(narrowed);
  }

  async _close(): Promise<void> {
    this.#it?.close();
    this.#it = undefined;
    if (this.#ownsSnapshot) (await this.#snapshot.catch(() => undefined))?.close();
  }
}
