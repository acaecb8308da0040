/**
 * Listing for the local store: walks the directory tree under the store's root (following symlinks, as Rust's
 * LocalFileSystem does), keeps regular files whose decoded path starts with the prefix and sorts above
 * `startAfter`, skips staging, lock and trash files and names that are not canonically encoded (a raw '#' or
 * lower-case `%xx` written by another program: no object path maps to them), and yields them
 * in path order with the metadata Rust would report (etag `{inode:x}-{mtime_micros:x}-{size:x}`, mtime).
 *
 * Invariants: output is strictly increasing in code-point (= UTF-8 byte) order; directories that cannot hold a
 * matching path are not read; an entry that vanishes between the walk and its stat is left out, as is a missing
 * directory; any other failure (EIO, EACCES, ...) fails the listing with an ObjectStoreError rather than leaving
 * objects out silently.
 * All file access goes through the store's FileSystem (synchronous calls: directory reads and stats are served from
 * the page cache).
 * Concurrency: reads only; the walk yields to the event loop every WALK_YIELD_EVERY entries.
 */
import { join } from 'node:path';
import type { DirEntry, FileStat, FileSystem } from '../io/file-system.js';
import { errnoOf } from '../io/io-error.js';
import { yieldToEventLoop } from '../util/time-slice.js';
import { compareStrings } from './listing.js';
import { mapLocalError } from './local-errors.js';
import { decodeSegment, encodeSegment, isHiddenFileName } from './local-paths.js';
import type { ObjectMeta } from './object-store.js';

const WALK_YIELD_EVERY = 512;
/** Deepest directory nesting followed (guards against symlink cycles). */
const WALK_DEPTH_MAX = 64;

/** The etag Rust's LocalFileSystem reports for a file. */
export function localEtag(st: FileStat): string {
  return `${st.ino.toString(16)}-${(st.mtimeNs / 1000n).toString(16)}-${st.size.toString(16)}`;
}

/** Object metadata from a file's stat. */
export function localMeta(path: string, st: FileStat): ObjectMeta {
  return {
    path,
    size: st.size,
    lastModifiedMs: Number(st.mtimeNs / 1_000_000n),
    etag: localEtag(st),
  };
}

/** A path that vanished or is not a directory: nothing to list there. Anything else must not pass silently. */
function skippable(e: unknown, prefix: string): void {
  const errno = errnoOf(e);
  if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw mapLocalError(e, 'list', prefix);
}

interface Candidate {
  readonly path: string;
  readonly file: string;
}

/** Lists objects under `root` whose paths start with `prefix` and sort after `startAfter`. */
export async function* listLocal(
  fs: FileSystem,
  root: string,
  prefix: string,
  startAfter: string | undefined,
  signal: AbortSignal | undefined,
): AsyncIterable<ObjectMeta> {
  const slash = prefix.lastIndexOf('/');
  const dirPath = slash < 0 ? '' : prefix.slice(0, slash);
  const dirFile = dirPath === '' ? root : join(root, ...dirPath.split('/').map(encodeSegment));
  const found: Candidate[] = [];
  const budget = { entries: 0 };
  await walk(fs, dirFile, dirPath, prefix, startAfter, found, 0, budget, signal);
  found.sort((a, b) => compareStrings(a.path, b.path));
  let n = 0;
  for (const c of found) {
    signal?.throwIfAborted();
    let st: FileStat;
    try {
      st = fs.statSync(c.file);
    } catch (e) {
      skippable(e, prefix);
      continue;
    }
    if (!st.isFile) continue;
    yield localMeta(c.path, st);
    if (++n % WALK_YIELD_EVERY === 0) await yieldToEventLoop();
  }
}

async function walk(
  fs: FileSystem,
  dirFile: string,
  dirPath: string,
  prefix: string,
  startAfter: string | undefined,
  out: Candidate[],
  depth: number,
  budget: { entries: number },
  signal: AbortSignal | undefined,
): Promise<void> {
  if (depth > WALK_DEPTH_MAX) return;
  let entries: DirEntry[];
  try {
    entries = fs.listDirSync(dirFile);
  } catch (e) {
    skippable(e, prefix);
    return;
  }
  for (const entry of entries) {
    if (++budget.entries % WALK_YIELD_EVERY === 0) {
      signal?.throwIfAborted();
      await yieldToEventLoop();
    }
    const segment = decodeSegment(entry.name);
    // Only canonically encoded names are objects: anything else could not be read back under the decoded path.
    if (segment === undefined || segment === '' || encodeSegment(segment) !== entry.name) continue;
    const path = dirPath === '' ? segment : `${dirPath}/${segment}`;
    const file = join(dirFile, entry.name);
    let isDir = entry.isDirectory;
    if (entry.isSymbolicLink) {
      try {
        isDir = fs.statSync(file).isDirectory;
      } catch (e) {
        skippable(e, prefix);
        continue;
      }
    }
    if (isDir) {
      if (mayHold(`${path}/`, prefix, startAfter)) {
        await walk(fs, file, path, prefix, startAfter, out, depth + 1, budget, signal);
      }
    } else if (
      !isHiddenFileName(entry.name) &&
      path.startsWith(prefix) &&
      (startAfter === undefined || compareStrings(path, startAfter) > 0)
    ) {
      out.push({ path, file });
    }
  }
}

/** Whether a directory whose paths all start with `dirPrefix` can hold a listed path. */
function mayHold(dirPrefix: string, prefix: string, startAfter: string | undefined): boolean {
  if (!dirPrefix.startsWith(prefix) && !prefix.startsWith(dirPrefix)) return false;
  if (startAfter === undefined || startAfter.startsWith(dirPrefix)) return true;
  return compareStrings(dirPrefix, startAfter) > 0;
}
