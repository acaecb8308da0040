/**
 * Durable directory creation (`mkdir -p` whose new entries survive power loss) and the directory-walk helpers
 * the publish, batch and journal code share.
 *
 * Invariants: after `ensureDirectory(fs, d, m)` resolves with m != 'none', `d` and every ancestor it created are
 * directories, and each created (or raced-into-existence) level's entry in its parent has been fsynced.
 * Concurrency: safe to run concurrently with itself on overlapping paths (EEXIST from a racing creator is fine).
 */
import { dirname } from 'node:path';
import type { ResolvedDurability } from './durability.js';
import type { FileSystem } from './file-system.js';
import { errnoOf, IoError, isNotFound, toIoError } from './io-error.js';

/** Deepest directory chain `ensureDirectory` will create in one call. */
export const DIRECTORY_DEPTH_MAX = 256;

/** Creates `dir` and any missing ancestors; with a durable method, fsyncs the parent of each new level. */
export async function ensureDirectory(
  fs: FileSystem,
  dir: string,
  method: ResolvedDurability,
): Promise<void> {
  const missing = await missingAncestors(fs, dir);
  for (let i = missing.length - 1; i >= 0; i--) {
    const d = missing[i]!;
    try {
      await fs.mkdir(d);
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') throw toIoError('mkdir', d, e);
    }
    if (method !== 'none') await syncDirStep(fs, dirname(d));
  }
}

/** `dir` and its ancestors that do not exist yet, deepest first. */
async function missingAncestors(fs: FileSystem, dir: string): Promise<string[]> {
  const missing: string[] = [];
  let d = dir;
  for (let depth = 0; depth < DIRECTORY_DEPTH_MAX; depth++) {
    const found = await isDirectory(fs, d);
    if (found) return missing;
    missing.push(d);
    const parent = dirname(d);
    if (parent === d) return missing;
    d = parent;
  }
  throw new IoError('mkdir', dir, `more than ${DIRECTORY_DEPTH_MAX} missing directory levels`);
}

/** True if `d` is a directory, false if it does not exist; ENOTDIR if it is something else. */
async function isDirectory(fs: FileSystem, d: string): Promise<boolean> {
  let st: Awaited<ReturnType<FileSystem['stat']>>;
  try {
    st = await fs.stat(d);
  } catch (e) {
    if (isNotFound(e)) return false;
    throw toIoError('stat', d, e);
  }
  if (!st.isDirectory) throw new IoError('mkdir', d, 'exists and is not a directory', { errno: 'ENOTDIR' });
  return true;
}

/** fsync of a directory, as an IoError with step 'fsync-dir' on failure. */
export async function syncDirStep(fs: FileSystem, dir: string): Promise<void> {
  try {
    await fs.syncDir(dir);
  } catch (e) {
    throw toIoError('fsync-dir', dir, e);
  }
}

/** Best-effort unlink for cleanup paths: never throws. Returns true if the name is gone afterwards. */
export async function removeQuietly(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (e) {
    return isNotFound(e);
  }
}
