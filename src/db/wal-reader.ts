/**
 * WalReader: read-only access to a database's WAL SSTs, as SlateDB 0.12.1's `WalReader`/`WalFile`: list the WAL
 * files (ascending id), read each one's rows exactly as written (write order, tombstones and merge operands kept),
 * read their object metadata, and follow the WAL live (wal-follow.ts). A change-data-capture feed.
 * See docs/wal-reader.md.
 *
 * Invariants: the reader never writes, so it never fences a writer and needs neither a manifest nor an open Db;
 * every row it returns was checksum-verified (corruption is a 'data' error, never a wrong row) and is the caller's
 * own copy; a missing WAL file is a 'data' WAL_FILE_NOT_FOUND error (0.12.1: a data error caused by NotFound); a
 * writer fence (an empty SST in the WAL directory) is listed and reads as no rows.
 * Concurrency: any number of concurrent calls; a WalFileIterator is used by one caller at a time.
 */

import { walSstPath } from '../format/object-paths.js';
import type { RowEntry as StoredRow } from '../format/row.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { normalizeRoot } from '../store/paths.js';
import { invalidError, toShaleDBError } from '../util/errors.js';
import {
  checkWalId,
  listWalIds,
  type RowEntry,
  readWalRows,
  toPublicRow,
  type WalSource,
  walFileMeta,
  walSource,
} from './wal-files.js';
import { type FollowOptions, WalFollower } from './wal-follow.js';

/** Object metadata of one WAL file (0.12.1's `WalFileMetadata`). */
export interface WalFileMetadata {
  /** Last write to object storage, Unix ms. */
  readonly lastModifiedMs: number;
  readonly sizeBytes: number;
  /** The object's path in the store. */
  readonly location: string;
}

/** Iterates one WAL file's rows in the order they were written (0.12.1's `WalFileIterator`). */
export class WalFileIterator implements AsyncIterable<RowEntry> {
  readonly #rows: readonly StoredRow[];
  #pos = 0;

  /** @internal Use WalFile.iterator. */
  constructor(rows: readonly StoredRow[]) {
    this.#rows = rows;
  }

  /** The next row, or undefined at the end. */
  async next(): Promise<RowEntry | undefined> {
    const r = this.#rows[this.#pos];
    if (r === undefined) return undefined;
    this.#pos++;
    return toPublicRow(r);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RowEntry> {
    for (let r = await this.next(); r !== undefined; r = await this.next()) yield r;
  }
}

/** One WAL file (0.12.1's `WalFile`): `{id:020}.sst` under the database's `wal/` directory. */
export class WalFile {
  /** The WAL id (the file name without `.sst`). */
  readonly id: bigint;
  readonly #src: WalSource;
  readonly #id: number;

  /** @internal Use WalReader.list or WalReader.get. */
  constructor(src: WalSource, id: number) {
    this.#src = src;
    this.#id = id;
    this.id = BigInt(id);
  }

  /** The object's path in the store. */
  get location(): string {
    return walSstPath(this.#src.root, this.#id);
  }

  /** The id after this one. */
  nextId(): bigint {
    return this.id + 1n;
  }

  /** A handle for the next WAL id; does not check that it exists. */
  nextFile(): WalFile {
    return new WalFile(this.#src, this.#id + 1);
  }

  /** Object metadata; 'data' WAL_FILE_NOT_FOUND when the file does not exist. */
  metadata(): Promise<WalFileMetadata> {
    return walFileMeta(this.#src, this.#id);
  }

  /**
   * An iterator over the file's rows in write order. The whole file is read and verified first (a WAL SST is at
   * most about `l0SstSizeBytes`), so a file collected while it is read fails here, never halfway through.
   * 'data' WAL_FILE_NOT_FOUND when the file does not exist.
   */
  async iterator(): Promise<WalFileIterator> {
    return new WalFileIterator(await readWalRows(this.#src, this.#id));
  }
}

/** Reads the WAL files of the database at a path (0.12.1's `WalReader`). Needs no writer and fences nobody. */
export class WalReader {
  readonly #src: WalSource;
  #owned: ObjectStore | undefined;

  /**
   * A reader of the database at `path` in `store` (with a separate WAL object store, pass that store). A path
   * that holds no database lists no files.
   */
  constructor(path: string, store: ObjectStore) {
    try {
      const root = normalizeRoot(path);
      if (store === null || typeof store !== 'object' || typeof store.list !== 'function')
        throw invalidError('INVALID_ARGUMENT', 'WalReader takes an ObjectStore (WalReader.open takes a URL)');
      this.#src = walSource(store, root);
      this.#owned = undefined;
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /**
   * A reader on an ObjectStore or a store URL, as a string or a `URL` (`file:///dir`, `s3://bucket/prefix`, ...).
   * close() it.
   */
  static async open(path: string, store: ObjectStore | string | URL): Promise<WalReader> {
    try {
      if (typeof store !== 'string' && !(store instanceof URL)) return new WalReader(path, store);
      const resolved = await resolveObjectStore(store);
      const r = new WalReader(path, resolved);
      r.#owned = resolved;
      return r;
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** @internal */
  get source(): WalSource {
    return this.#src;
  }

  /**
   * WAL files with `startId <= id < endId` (either bound may be omitted), ascending by id, as 0.12.1's
   * `list(start_id, end_id)`. One LIST of the WAL directory from `startId` on; with long retention, list once
   * and then poll `get(lastId + 1)`, or use `follow`.
   */
  async list(startId?: bigint | number, endId?: bigint | number): Promise<WalFile[]> {
    try {
      const start = startId === undefined ? undefined : checkWalId(startId, 'startId');
      const end = endId === undefined ? undefined : checkWalId(endId, 'endId');
      const ids = await listWalIds(this.#src, start, end);
      return ids.map((id) => new WalFile(this.#src, id));
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** A handle for WAL id `id`; does not check that it exists. */
  get(id: bigint | number): WalFile {
    try {
      return new WalFile(this.#src, checkWalId(id, 'id'));
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /**
   * A live tail of the WAL: every row of every WAL file from `startId` on, waiting for new files as the writer
   * writes them. Iterate it with for-await; close() or the signal ends it. See {@link WalFollower}.
   */
  follow(options?: FollowOptions): WalFollower {
    try {
      return new WalFollower(this.#src, options);
    } catch (e) {
      throw toShaleDBError(e);
    }
  }

  /** Closes the store when this reader opened it from a URL; otherwise nothing to do. */
  async close(): Promise<void> {
    await this.#owned?.close();
  }
}

/** Opens a WAL reader on `store` (an ObjectStore or a URL); same as {@link WalReader.open}. */
export function openWalReader(path: string, store: ObjectStore | string | URL): Promise<WalReader> {
  return WalReader.open(path, store);
}
