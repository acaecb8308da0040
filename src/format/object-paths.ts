/**
 * Object paths: where each kind of object lives under a database root, and parsing ids back out of listings
 * (docs/format.md#object-layout).
 *
 * Format: `manifest/{id:020}.manifest`, `compactions/{id:020}.compactions`, `wal/{id:020}.sst`,
 * `compacted/{ULID}.sst`; ids are u64 in decimal, zero-padded to 20 digits.
 * Invariants: parsers follow 0.12.1's listing rules: the text before the first '.' must be the id; manifest and
 * compactions names must also have the right extension; anything else is not ours and yields undefined (0.12.1
 * skips such files). Ids above 2^53 - 1 are rejected as not ours.
 * Concurrency: pure functions.
 */
import { assert } from '../util/assert.js';
import { Ulid } from '../util/ids.js';

export const MANIFEST_DIR = 'manifest';
export const COMPACTIONS_DIR = 'compactions';
export const WAL_DIR = 'wal';
export const COMPACTED_DIR = 'compacted';

function join(root: string, dir: string, name: string): string {
  return root === '' ? `${dir}/${name}` : `${root.replace(/\/+$/, '')}/${dir}/${name}`;
}

/** The 20-digit zero-padded decimal form of a u64 id. */
export function formatId(id: number): string {
  assert(Number.isSafeInteger(id) && id >= 0, () => `not a u64 id: ${id}`);
  return String(id).padStart(20, '0');
}

/** `{id:020}.{extension}`: the name of version `id` of a versioned object (manifest, compactions). */
export function versionedName(id: number, extension: string): string {
  return `${formatId(id)}.${extension}`;
}

/** `{root}/manifest/{id:020}.manifest` (root '' = the store's root). */
export function manifestPath(root: string, id: number): string {
  return join(root, MANIFEST_DIR, versionedName(id, 'manifest'));
}

/** `{root}/compactions/{id:020}.compactions`. */
export function compactionsPath(root: string, id: number): string {
  return join(root, COMPACTIONS_DIR, versionedName(id, 'compactions'));
}

/** `{root}/wal/{id:020}.sst`. */
export function walSstPath(root: string, id: number): string {
  return join(root, WAL_DIR, `${formatId(id)}.sst`);
}

/** `{root}/compacted/{ULID}.sst`. */
export function compactedSstPath(root: string, id: Ulid): string {
  return join(root, COMPACTED_DIR, `${id.toString()}.sst`);
}

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

function parseU64(text: string): number | undefined {
  if (!/^[0-9]{1,20}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseNumbered(path: string, extension: string | undefined): number | undefined {
  const name = baseName(path);
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  if (extension !== undefined && name.slice(name.lastIndexOf('.') + 1) !== extension) return undefined;
  return parseU64(name.slice(0, dot));
}

/** The id of a listed manifest path, or undefined when it is not a manifest. */
export function parseManifestId(path: string): number | undefined {
  return parseNumbered(path, 'manifest');
}

/** The id of a listed compactions path, or undefined. */
export function parseCompactionsId(path: string): number | undefined {
  return parseNumbered(path, 'compactions');
}

/** The id of a listed WAL path (the text before the first '.'), or undefined. */
export function parseWalId(path: string): number | undefined {
  return parseNumbered(path, undefined);
}

/** The ULID of a listed compacted SST path, or undefined. */
export function parseCompactedSstId(path: string): Ulid | undefined {
  const name = baseName(path);
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  return Ulid.tryParse(name.slice(0, dot));
}
