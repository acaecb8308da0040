/**
 * Temp files for publishing: exclusive creation of `<final>#<digits>` beside the final path (fresh digits on
 * EEXIST, at most TEMP_CREATE_ATTEMPTS_MAX tries; `mkdir -p` on ENOENT when allowed), full writes, and removal.
 *
 * Invariants: a TempFile's path is a temp name (temp-name.ts) in the final path's directory; creation either
 * returns an open handle on a new empty file or throws an IoError at step 'create-temp' (or 'mkdir'/'fsync-dir').
 * Concurrency: any number of temp files may be created at once, for the same or different final paths.
 */
import { basename, dirname, isAbsolute } from 'node:path';
import { invalidError } from '../util/errors.js';
import type { Rand } from '../util/random.js';
import { ensureDirectory, removeQuietly } from './directories.js';
import type { ResolvedDurability } from './durability.js';
import type { FileHandle, FileSystem } from './file-system.js';
import { errnoOf, IoError, toIoError } from './io-error.js';
import { isTempFileName, tempPathFor } from './temp-name.js';

/** How many temp names are tried before giving up with an EEXIST IoError. */
export const TEMP_CREATE_ATTEMPTS_MAX = 8;

/** An open temp file. */
export interface TempFile {
  readonly path: string;
  readonly handle: FileHandle;
}

/** Throws an 'invalid' error unless `finalPath` is an absolute path whose temp name SlateDB would not list. */
export function validateFinalPath(finalPath: string, what: string): void {
  if (typeof finalPath !== 'string' || !isAbsolute(finalPath) || finalPath.endsWith('/')) {
    throw invalidError(
      'INVALID_ARGUMENT',
      `${what}: not an absolute file path: ${JSON.stringify(finalPath)}`,
    );
  }
  const name = basename(finalPath);
  if (name.includes('#')) {
    const why = isTempFileName(name)
      ? 'is a temp-file name'
      : "contains '#', so its temp name would be listed";
    throw invalidError('INVALID_ARGUMENT', `${what}: ${finalPath}: the file name ${why}`);
  }
}

/** Creates a fresh temp file for `finalPath`, making the parent directories (durably) if `createParents`. */
export async function createTempFile(
  fs: FileSystem,
  finalPath: string,
  rand: Rand,
  createParents: boolean,
  method: ResolvedDurability,
): Promise<TempFile> {
  let madeParents = false;
  let attempts = 0;
  while (attempts < TEMP_CREATE_ATTEMPTS_MAX) {
    const path = tempPathFor(finalPath, rand);
    try {
      return { path, handle: await fs.open(path, 'create-exclusive') };
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === 'EEXIST') {
        attempts++;
      } else if (errno === 'ENOENT' && createParents && !madeParents) {
        await ensureDirectory(fs, dirname(finalPath), method);
        madeParents = true;
      } else {
        throw toIoError('create-temp', path, e);
      }
    }
  }
  throw new IoError('create-temp', finalPath, `no free temp name in ${attempts} attempts`, {
    errno: 'EEXIST',
  });
}

/** Writes `chunk` at `pos` of the temp file; IoError at step 'write'. */
export async function writeTemp(temp: TempFile, chunk: Uint8Array, pos: number): Promise<void> {
  try {
    await temp.handle.write(chunk, pos);
  } catch (e) {
    throw toIoError('write', temp.path, e);
  }
}

/** Closes the temp file; IoError at step 'close'. */
export async function closeTemp(temp: TempFile): Promise<void> {
  try {
    await temp.handle.close();
  } catch (e) {
    throw toIoError('close', temp.path, e);
  }
}

/** Failure path: closes (if still open) and removes the temp file; never throws. */
export async function discardTemp(fs: FileSystem, temp: TempFile): Promise<void> {
  try {
    await temp.handle.close();
  } catch {
    // Already closed, or closing failed: the unlink is what matters.
  }
  await removeQuietly(fs, temp.path);
}

/**
 * Removes temp files (ours or a Rust LocalFileSystem's) in `dir` last modified before `olderThanMs` (Unix ms):
 * leftovers of writers that crashed. Pick a cutoff well before any live write could have started. Returns how
 * many were removed. Does not fsync the directory (leftovers coming back after a crash are harmless).
 */
export async function sweepTempFiles(fs: FileSystem, dir: string, olderThanMs: number): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    throw toIoError('readdir', dir, e);
  }
  let removed = 0;
  for (const name of names) {
    if (!isTempFileName(name)) continue;
    const path = `${dir.endsWith('/') ? dir : `${dir}/`}${name}`;
    try {
      const st = await fs.stat(path);
      if (!st.isFile || st.mtimeMs >= olderThanMs) continue;
    } catch {
      continue;
    }
    if (await removeQuietly(fs, path)) removed++;
  }
  return removed;
}
