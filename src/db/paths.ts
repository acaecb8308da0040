/**
 * Object paths of a database, as SlateDB 0.12.1 lays them out under its root (spec §1): manifest/{id:020}.manifest,
 * compactions/{id:020}.compactions, wal/{id:020}.sst and compacted/{ULID}.sst (file names: format/object-paths.ts).
 *
 * Invariants: the root is normalized like object_store's Path (no leading, trailing or doubled '/'); an empty root
 * puts the directories at the top of the store.
 * Concurrency: pure.
 */

import type { Manifest } from '../format/manifest.js';
import { decodeManifest, encodeManifest } from '../format/manifest-codec.js';
import { invalidError } from '../util/errors.js';
import type { ObjectCodec } from './transactional-object.js';

/** Normalizes a database path into a root prefix without leading or trailing '/'. */
export function normalizeRoot(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  for (const p of parts) {
    if (p === '.' || p === '..')
      throw invalidError('INVALID_ARGUMENT', `database path may not contain "${p}"`);
  }
  return parts.join('/');
}

function under(root: string, rel: string): string {
  return root === '' ? rel : `${root}/${rel}`;
}

export function manifestDir(root: string): string {
  return under(root, 'manifest');
}

export function compactionsDir(root: string): string {
  return under(root, 'compactions');
}

export function walDir(root: string): string {
  return under(root, 'wal');
}

export function compactedDir(root: string): string {
  return under(root, 'compacted');
}

/** Manifest bytes <-> Manifest. */
export const manifestCodec: ObjectCodec<Manifest> = {
  encode: (m) => encodeManifest(m),
  decode: (bytes, path) => decodeManifest(bytes, path),
};
