/**
 * Temp names for atomic publish: `<final>#<14 random decimal digits>` in the final file's own directory.
 *
 * The form is Rust object_store's LocalFileSystem staging form (`<final>#<n>`): its LIST skips any file whose
 * name, split at the first '#', has a non-empty all-digit suffix, so SlateDB never takes a temp file for data.
 * Fourteen digits (the first non-zero) make collisions between processes negligible; exclusive create catches the rest.
 *
 * Invariants: `isTempFileName(basename(tempPathFor(p)))` holds whenever the final name has no '#'.
 * Concurrency: pure, given the Rand.
 */
import { basename } from 'node:path';
import type { Rand } from '../util/random.js';

/** How many random digits a temp name carries. */
export const TEMP_DIGITS = 14;

/** A fresh temp path beside `finalPath`. */
export function tempPathFor(finalPath: string, rand: Rand): string {
  const first = 1 + rand.nextInt(9);
  const hi = rand.nextInt(1_000_000).toString().padStart(6, '0');
  const lo = rand.nextInt(10_000_000).toString().padStart(7, '0');
  return `${finalPath}#${first}${hi}${lo}`;
}

/**
 * True when SlateDB's LocalFileSystem would treat this file name as a staging file and skip it in listings:
 * the text after the first '#' is non-empty and all ASCII digits.
 */
export function isTempFileName(name: string): boolean {
  const hash = name.indexOf('#');
  if (hash < 0 || hash === name.length - 1) return false;
  for (let i = hash + 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** True when `path`'s last component is a temp file name. */
export function isTempPath(path: string): boolean {
  return isTempFileName(basename(path));
}
