/**
 * FileSystem: the injectable file layer under atomic publish, the batch lane and the journal. The real one is
 * NodeFileSystem (node:fs); tests use MemoryFileSystem (crashable: loses what was never made durable) and
 * FaultyFileSystem (makes chosen calls fail with ENOSPC, EIO, ...).
 *
 * Invariants: paths are absolute. Failures are thrown as errno-shaped errors (`code` such as 'ENOENT', plus
 * `syscall` and `path`), like Node's system errors; callers wrap them with the step into an IoError. The `...Sync`
 * calls behave exactly as their asynchronous twins but complete before returning: they are for small operations on
 * hot paths that are served from the page cache (an awaited call costs tens of microseconds). Writes go to
 * volatile memory (the page cache) until `FileHandle.sync` (file data) or `FileSystem.syncDir` (directory entries)
 * makes them durable: a crash may lose anything not made durable, and nothing that was.
 * Concurrency: every method may be called concurrently; writes to one handle at distinct offsets may interleave.
 */

/** How to open a file. */
export type OpenMode =
  /** Read only; the file must exist. */
  | 'read'
  /** Read and write; the file must exist. */
  | 'read-write'
  /** Read and write; create the file if absent. */
  | 'create'
  /** Read and write; create the file, failing with EEXIST if it exists (O_CREAT | O_EXCL). */
  | 'create-exclusive';

/** What a file flush makes durable: the data (and the size), or the data and all metadata. */
export type SyncKind = 'data' | 'full';

/** An open file. */
export interface FileHandle {
  /** The path it was opened with. */
  readonly path: string;
  /** Writes all of `data` at `position` (short writes are continued). */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Synchronous write of all of `data` at `position`: for small page-cache writes on hot paths. */
  writeSync(data: Uint8Array, position: number): void;
  /** Reads up to `into.length` bytes at `position`; returns how many were read (0 at end of file). */
  read(into: Uint8Array, position: number): Promise<number>;
  /** Synchronous {@link read}. */
  readSync(into: Uint8Array, position: number): number;
  /** Current size in bytes. */
  size(): Promise<number>;
  /** Metadata of the open file (fstat): it describes this file even after its name was replaced or removed. */
  statSync(): FileStat;
  /** Sets the size (cuts or zero-extends). */
  truncate(length: number): Promise<void>;
  /** Makes the file's data (and, for 'full', all its metadata) durable: fdatasync / fsync. */
  sync(kind: SyncKind): Promise<void>;
  /** Releases the handle. Closing does not make anything durable. */
  close(): Promise<void>;
  /** Synchronous {@link close}. */
  closeSync(): void;
}

/** What `stat` reports. */
export interface FileStat {
  readonly size: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  /** Last modification, Unix ms (fractional). */
  readonly mtimeMs: number;
  /** Last modification, Unix ns (as precise as the file system keeps it). */
  readonly mtimeNs: bigint;
  /** The inode number: one file's identity while it exists (numbers are reused once it is gone). */
  readonly ino: bigint;
  /** How many names the file has; 0 once every name was removed (the file lives on while open). */
  readonly nlink: number;
}

/** One directory entry, as {@link FileSystem.listDirSync} reports it (the type of the entry itself, not followed). */
export interface DirEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymbolicLink: boolean;
}

/** The file-system operations ShaleDB's IO layer needs. */
export interface FileSystem {
  /** A short name for messages ('node', 'memory', 'faulty(memory)'). */
  readonly name: string;
  /** What a flush of this kind really does here, e.g. 'fdatasync(2)', for observability. */
  primitive(kind: SyncKind): string;
  /** Opens a file (see {@link OpenMode}). */
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  /** Synchronous {@link open}. */
  openSync(path: string, mode: OpenMode): FileHandle;
  /** Atomically replaces `to` with `from` (rename(2)). */
  rename(from: string, to: string): Promise<void>;
  /** Synchronous {@link rename}. */
  renameSync(from: string, to: string): void;
  /** Creates `newPath` as another name of `existing` (link(2)); EEXIST if `newPath` exists. */
  link(existing: string, newPath: string): Promise<void>;
  /** Synchronous {@link link}. */
  linkSync(existing: string, newPath: string): void;
  /** Removes a file name (unlink(2)); ENOENT if missing. */
  unlink(path: string): Promise<void>;
  /** Synchronous {@link unlink}. */
  unlinkSync(path: string): void;
  /** Creates one directory level; EEXIST if it exists, ENOENT if the parent is missing. */
  mkdir(path: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  /** Names in a directory, sorted (by UTF-16 code unit, which is bytewise for ASCII names). */
  readdir(path: string): Promise<string[]>;
  /** Entries of a directory, in no particular order (readdir(3) with types). */
  listDirSync(path: string): DirEntry[];
  /** Metadata of a path (follows symlinks). */
  stat(path: string): Promise<FileStat>;
  /** Synchronous {@link stat}. */
  statSync(path: string): FileStat;
  /**
   * Sets a file's access and modification times to `mtimeUs` (Unix µs; utimes(2)). The file system may keep less
   * precision: read the result back with `statSync` when it matters. Like any metadata change it is volatile until
   * the file is flushed.
   */
  setTimesSync(path: string, mtimeUs: bigint): void;
  /** Makes the directory's entries (creations, renames, links, removals in it) durable: fsync of the directory. */
  syncDir(path: string): Promise<void>;
}

/** An errno-shaped error, as simulated file systems throw them (Node's own system errors look the same). */
export class FsErrnoError extends Error {
  readonly code: string;
  readonly syscall: string;
  readonly path: string;

  constructor(code: string, syscall: string, path: string, detail?: string) {
    super(`${code}: ${detail ?? 'simulated failure'}, ${syscall} '${path}'`);
    this.name = 'FsErrnoError';
    this.code = code;
    this.syscall = syscall;
    this.path = path;
  }
}

/** Reads a whole file through `fs`. */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Uint8Array> {
  const handle = await fs.open(path, 'read');
  try {
    const size = await handle.size();
    const out = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const n = await handle.read(out.subarray(off), off);
      if (n === 0) break;
      off += n;
    }
    return off === size ? out : out.subarray(0, off);
  } finally {
    await handle.close();
  }
}

/** Reads a whole file through `fs` synchronously (for small files). */
export function readWholeFileSync(fs: FileSystem, path: string): Uint8Array {
  const handle = fs.openSync(path, 'read');
  try {
    const size = handle.statSync().size;
    const out = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const n = handle.readSync(out.subarray(off), off);
      if (n === 0) break;
      off += n;
    }
    return off === size ? out : out.subarray(0, off);
  } finally {
    handle.closeSync();
  }
}

/** True if `path` exists (any kind). */
export async function pathExists(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return false;
    throw e;
  }
}
