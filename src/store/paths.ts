/**
 * The directories of a database, as SlateDB 0.12.1 lays them out under its root (spec §1): manifest/, compactions/,
 * wal/ and compacted/ (names inside them: format/object-paths.ts, the one place object names are written).
 *
 * Invariants: the root is normalized like object_store's Path (no leading, trailing or doubled '/'); an empty root
 * puts the directories at the top of the store.
 * Concurrency: pure.
 */

import { COMPACTED_DIR, COMPACTIONS_DIR, MANIFEST_DIR, WAL_DIR } from '../format/object-paths.js';
import { invalidError } from '../util/errors.js';

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
  return under(root, MANIFEST_DIR);
}

export function compactionsDir(root: string): string {
  return under(root, COMPACTIONS_DIR);
}

export function walDir(root: string): string {
  return under(root, WAL_DIR);
}

export function compactedDir(root: string): string {
  return under(root, COMPACTED_DIR);
}
