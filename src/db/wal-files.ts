/**
 * The WAL reading primitives shared by WalReader and its follower: the public row shape of a WAL row, WAL id
 * checks, listing WAL ids in a range, and reading one WAL file whole through the table store
 * (docs/wal-reader.md).
 *
 * Invariants: rows are read through TableStore.readWal, so every block is checksum-verified; a missing file is a
 * 'data' WAL_FILE_NOT_FOUND error, also when it disappears between its open and a block read; public rows are the
 * caller's own copies; nothing here writes to the store.
 * Concurrency: stateless functions over an immutable WalSource.
 */

import { parseWalId, walSstPath } from '../format/object-paths.js';
import type { RowEntry as StoredRow } from '../format/row.js';
import { isObjectStoreError, type ObjectStore } from '../object-store/object-store.js';
import { walDir } from '../store/paths.js';
import { TableStore } from '../store/table-store.js';
import { copyBytes } from '../util/bytes.js';
import { dataError, invalidError, isShaleDBError, toShaleDBError } from '../util/errors.js';

/** One row of a WAL file, as written (0.12.1's `RowEntry`). */
export interface RowEntry {
  readonly kind: 'value' | 'tombstone' | 'merge';
  readonly key: Uint8Array;
  /** The value or merge operand; undefined for a tombstone. */
  readonly value: Uint8Array | undefined;
  readonly seq: bigint;
  /** Creation time, Unix ms, when recorded. */
  readonly createTs: number | undefined;
  /** Expiry time, Unix ms, when the row has a TTL. */
  readonly expireTs: number | undefined;
}

/** Where a database's WAL files are. */
export interface WalSource {
  readonly store: ObjectStore;
  /** Normalized database root. */
  readonly root: string;
  readonly tables: TableStore;
}

/** A WalSource for the database at normalized `root` in `store`. */
export function walSource(store: ObjectStore, root: string): WalSource {
  // Only readWal is used, which reads without the block cache: the table settings do not matter here.
  const tables = new TableStore(store, root, {
    codec: null,
    blockSize: 4096,
    minFilterKeys: 0,
    filterBitsPerKey: 10,
    blockCacheBytes: 0,
  });
  return { store, root, tables };
}

/** Stored row -> the caller's own public row. */
export function toPublicRow(r: StoredRow): RowEntry {
  return {
    kind: r.kind,
    key: copyBytes(r.key),
    value: r.kind === 'tombstone' ? undefined : copyBytes(r.value),
    seq: BigInt(r.seq),
    createTs: r.createTs,
    expireTs: r.expireTs,
  };
}

/** A WAL id given as bigint or number -> a safe non-negative integer, else 'invalid'. */
export function checkWalId(id: unknown, name: string): number {
  const n = typeof id === 'bigint' ? Number(id) : id;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw invalidError('INVALID_ARGUMENT', `${name} must be a non-negative integer WAL id`);
  return n;
}

/** True for the error a missing WAL file gives. */
export function isWalNotFound(e: unknown): boolean {
  return isShaleDBError(e, 'data', 'WAL_FILE_NOT_FOUND');
}

function notFound(path: string, cause: unknown) {
  return dataError(
    'WAL_FILE_NOT_FOUND',
    `WAL file ${path} does not exist (never written, or collected)`,
    cause,
  );
}

/** Every row of WAL file `id`, checksum-verified, in write order (a writer fence has none). */
export async function readWalRows(src: WalSource, id: number): Promise<StoredRow[]> {
  const path = walSstPath(src.root, id);
  let rows: StoredRow[] | undefined;
  try {
    rows = await src.tables.readWal(id);
  } catch (e) {
    if (isObjectStoreError(e, 'not-found')) throw notFound(path, e);
    throw toShaleDBError(e);
  }
  if (rows === undefined) throw notFound(path, undefined);
  return rows;
}

/** Object metadata of WAL file `id`. */
export async function walFileMeta(
  src: WalSource,
  id: number,
): Promise<{ lastModifiedMs: number; sizeBytes: number; location: string }> {
  const path = walSstPath(src.root, id);
  try {
    const m = await src.store.head(path);
    return { lastModifiedMs: m.lastModifiedMs, sizeBytes: m.size, location: m.path };
  } catch (e) {
    if (isObjectStoreError(e, 'not-found')) throw notFound(path, e);
    throw toShaleDBError(e);
  }
}

/** WAL ids in [start, end), ascending; the LIST starts just before `start`. */
export async function listWalIds(
  src: WalSource,
  start: number | undefined,
  end: number | undefined,
  signal?: AbortSignal,
): Promise<number[]> {
  const startAfter = start !== undefined && start > 0 ? walSstPath(src.root, start - 1) : undefined;
  const ids: number[] = [];
  for await (const m of src.store.list(`${walDir(src.root)}/`, { startAfter, signal })) {
    const id = parseWalId(m.path);
    if (id === undefined) continue;
    if (start !== undefined && id < start) continue;
    if (end !== undefined && id >= end) continue;
    ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}
