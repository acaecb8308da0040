/**
 * MemoryFileSystem: an in-memory FileSystem that records every write and flush and can crash, losing what was
 * never made durable. It is how the power-loss suites check that nothing acknowledged is ever lost.
 *
 * Fault model (what a crash keeps):
 * - File data: exactly what the last `sync` of that file made durable ('data' and 'full' are alike here: both
 *   cover the size). In 'torn' mode each later write or truncate may also survive, whole, cut short, or not at
 *   all, independently and in any combination (write-back order is not program order).
 * - Directory entries: exactly what the last `syncDir` of that directory made durable. In 'torn' mode a prefix
 *   of the later entry changes in that directory also survives (metadata is journaled in order). A rename within
 *   one directory is one atomic change; a rename across directories is a change in each.
 * - A file or directory survives only if reachable from the root through surviving entries.
 * - Metadata: a file keeps its inode number; its mtime is the one it had at its last flush (any kind).
 * After `crash()` every call fails with EIO until `restart()` installs the surviving image (the reboot); handles
 * opened before the crash stay dead. `crashAfter(n)` crashes just before the n-th counted call from now.
 * Not modelled: disk-full (use FaultyFileSystem), permissions, symlinks, sector-level corruption of synced data.
 * The `...Sync` calls are the same operations as their asynchronous twins (which delegate to them).
 *
 * Invariants: the volatile view always equals durable state plus the pending changes in order.
 * Concurrency: single event loop; each call completes atomically, and flushes yield a few microtask turns so
 * concurrent callers interleave.
 */
import { posix } from 'node:path';
import { copyBytes } from '../util/bytes.js';
import { type Clock, systemClock } from '../util/clock.js';
import type { Rand } from '../util/random.js';
import {
  type DirEntry,
  type FileHandle,
  type FileStat,
  type FileSystem,
  FsErrnoError,
  type OpenMode,
  type SyncKind,
} from './file-system.js';
import { CrashImager, type CrashMode } from './memory-crash-image.js';
import { applyChange, MemDir, MemFile, type MemNode, msToNs, nsToMs } from './memory-fs-nodes.js';

export type { CrashMode } from './memory-crash-image.js';

/** Options for {@link MemoryFileSystem.crash}. */
export interface CrashOptions {
  /** Default 'strict'. */
  readonly mode?: CrashMode;
  /** Needed for 'torn' mode. */
  readonly rand?: Rand;
}

/** Counters of what was done (for tests that check fsync sharing). */
export interface MemoryFsStats {
  /** Calls counted toward `crashAfter` (every call that changes or flushes something, plus opens). */
  ops: number;
  writes: number;
  bytesWritten: number;
  fileSyncs: number;
  dirSyncs: number;
}

/** The crashable in-memory file system (see the file header for its fault model). */
export class MemoryFileSystem implements FileSystem {
  readonly name = 'memory';
  readonly stats: MemoryFsStats = { ops: 0, writes: 0, bytesWritten: 0, fileSyncs: 0, dirSyncs: 0 };
  readonly #clock: Clock;
  #root: MemDir;
  #generation = 0;
  #nextIno = 1n;
  #crashed: MemDir | undefined;
  #crashAt: { readonly op: number; readonly options: CrashOptions } | undefined;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
    this.#root = new MemDir(this.#nextIno++, this.nowNs());
  }

  primitive(kind: SyncKind): string {
    return kind === 'data' ? 'memory fdatasync' : 'memory fsync';
  }

  /** True between `crash()` and `restart()`. */
  get crashed(): boolean {
    return this.#crashed !== undefined;
  }

  /** Crashes now: computes what survives and fails every later call until `restart()`. */
  crash(options: CrashOptions = {}): void {
    if (this.#crashed !== undefined) return;
    const imager = new CrashImager(options.mode ?? 'strict', options.rand);
    this.#crashAt = undefined;
    this.#crashed = imager.dir(this.#root);
    this.#generation++;
  }

  /** Crashes just before the `n`-th counted call from now (n >= 1). */
  crashAfter(n: number, options: CrashOptions = {}): void {
    this.#crashAt = { op: this.stats.ops + n, options };
  }

  /** The reboot: installs the surviving image. Handles from before the crash stay dead. */
  restart(): void {
    if (this.#crashed === undefined) return;
    this.#root = this.#crashed;
    this.#crashed = undefined;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    return this.openSync(path, mode);
  }

  openSync(path: string, mode: OpenMode): FileHandle {
    this.#count('open', path);
    const { dir, name, node } = this.#lookup(path, 'open');
    let file: MemFile;
    if (node === undefined) {
      if (mode === 'read' || mode === 'read-write') throw new FsErrnoError('ENOENT', 'open', path);
      file = new MemFile(this.#nextIno++, this.nowNs());
      dir.change([[name, file]], this.nowNs());
    } else {
      if (mode === 'create-exclusive') throw new FsErrnoError('EEXIST', 'open', path);
      if (node.kind === 'dir') throw new FsErrnoError('EISDIR', 'open', path);
      file = node;
    }
    return new MemHandle(this, path, file, this.#generation, mode !== 'read');
  }

  async rename(from: string, to: string): Promise<void> {
    this.renameSync(from, to);
  }

  renameSync(from: string, to: string): void {
    this.#count('rename', from);
    const src = this.#lookup(from, 'rename');
    const dst = this.#lookup(to, 'rename');
    if (src.node === undefined) throw new FsErrnoError('ENOENT', 'rename', from);
    if (dst.node === src.node) return;
    if (dst.node?.kind === 'dir') throw new FsErrnoError('EISDIR', 'rename', to);
    if (src.node.kind === 'dir' && dst.node !== undefined) throw new FsErrnoError('ENOTDIR', 'rename', to);
    const now = this.nowNs();
    if (src.dir === dst.dir) {
      src.dir.change(
        [
          [src.name, undefined],
          [dst.name, src.node],
        ],
        now,
      );
    } else {
      dst.dir.change([[dst.name, src.node]], now);
      src.dir.change([[src.name, undefined]], now);
    }
  }

  async link(existing: string, newPath: string): Promise<void> {
    this.linkSync(existing, newPath);
  }

  linkSync(existing: string, newPath: string): void {
    this.#count('link', newPath);
    const src = this.#lookup(existing, 'link');
    const dst = this.#lookup(newPath, 'link');
    if (src.node === undefined) throw new FsErrnoError('ENOENT', 'link', existing);
    if (src.node.kind === 'dir') throw new FsErrnoError('EPERM', 'link', existing);
    if (dst.node !== undefined) throw new FsErrnoError('EEXIST', 'link', newPath);
    dst.dir.change([[dst.name, src.node]], this.nowNs());
  }

  async unlink(path: string): Promise<void> {
    this.unlinkSync(path);
  }

  unlinkSync(path: string): void {
    this.#count('unlink', path);
    const { dir, name, node } = this.#lookup(path, 'unlink');
    if (node === undefined) throw new FsErrnoError('ENOENT', 'unlink', path);
    if (node.kind === 'dir') throw new FsErrnoError('EISDIR', 'unlink', path);
    dir.change([[name, undefined]], this.nowNs());
  }

  async mkdir(path: string): Promise<void> {
    this.#count('mkdir', path);
    const { dir, name, node } = this.#lookup(path, 'mkdir');
    if (node !== undefined) throw new FsErrnoError('EEXIST', 'mkdir', path);
    dir.change([[name, new MemDir(this.#nextIno++, this.nowNs())]], this.nowNs());
  }

  async rmdir(path: string): Promise<void> {
    this.#count('rmdir', path);
    const { dir, name, node } = this.#lookup(path, 'rmdir');
    if (node === undefined) throw new FsErrnoError('ENOENT', 'rmdir', path);
    if (node.kind !== 'dir') throw new FsErrnoError('ENOTDIR', 'rmdir', path);
    if (node.entries.size > 0) throw new FsErrnoError('ENOTEMPTY', 'rmdir', path);
    dir.change([[name, undefined]], this.nowNs());
  }

  async readdir(path: string): Promise<string[]> {
    return [...this.#dirNode(path).entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  listDirSync(path: string): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, node] of this.#dirNode(path).entries) {
      const isFile = node.kind === 'file';
      out.push({ name, isFile, isDirectory: !isFile, isSymbolicLink: false });
    }
    return out;
  }

  async stat(path: string): Promise<FileStat> {
    return this.statSync(path);
  }

  statSync(path: string): FileStat {
    this.#check('stat', path);
    return statOf(this.#node(path, 'stat'));
  }

  setTimesSync(path: string, mtimeUs: bigint): void {
    this.#count('utimes', path);
    const node = this.#node(path, 'utime');
    node.mtimeNs = mtimeUs * 1000n;
  }

  async syncDir(path: string): Promise<void> {
    this.#count('fsync', path);
    const node = this.#node(path, 'open');
    if (node.kind !== 'dir') throw new FsErrnoError('ENOTDIR', 'open', path);
    await yieldTurns();
    this.#check('fsync', path);
    node.durable = new Map(node.entries);
    node.pending = [];
    this.stats.dirSyncs++;
  }

  /** @internal The clock's wall time as Unix ns, for mtimes. */
  nowNs(): bigint {
    return msToNs(this.#clock.nowMs());
  }

  /** @internal Counts a call toward `crashAfter` and fails it if the file system has crashed. */
  countOp(syscall: string, path: string, generation: number): void {
    this.#count(syscall, path);
    if (generation !== this.#generation)
      throw new FsErrnoError('EBADF', syscall, path, 'handle from before a crash');
  }

  /** @internal Fails the call if crashed or if the handle predates a crash. */
  checkHandle(syscall: string, path: string, generation: number): void {
    this.#check(syscall, path);
    if (generation !== this.#generation)
      throw new FsErrnoError('EBADF', syscall, path, 'handle from before a crash');
  }

  #count(syscall: string, path: string): void {
    this.#check(syscall, path);
    this.stats.ops++;
    if (this.#crashAt !== undefined && this.stats.ops >= this.#crashAt.op) {
      this.crash(this.#crashAt.options);
      this.#check(syscall, path);
    }
  }

  #check(syscall: string, path: string): void {
    if (this.#crashed !== undefined) throw new FsErrnoError('EIO', syscall, path, 'the file system crashed');
  }

  #dirNode(path: string): MemDir {
    this.#check('scandir', path);
    const node = this.#node(path, 'scandir');
    if (node.kind !== 'dir') throw new FsErrnoError('ENOTDIR', 'scandir', path);
    return node;
  }

  #node(path: string, syscall: string): MemNode {
    const { node } = this.#lookup(path, syscall);
    if (node === undefined) throw new FsErrnoError('ENOENT', syscall, path);
    return node;
  }

  /** Finds the parent directory of `path` and the entry in it (if any). */
  #lookup(path: string, syscall: string): { dir: MemDir; name: string; node: MemNode | undefined } {
    const parts = posix
      .resolve(path)
      .split('/')
      .filter((p) => p !== '');
    if (parts.length === 0) return { dir: this.#root, name: '', node: this.#root };
    let dir = this.#root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = dir.entries.get(parts[i]!);
      if (next === undefined) throw new FsErrnoError('ENOENT', syscall, path);
      if (next.kind !== 'dir') throw new FsErrnoError('ENOTDIR', syscall, path);
      dir = next;
    }
    const name = parts[parts.length - 1]!;
    return { dir, name, node: dir.entries.get(name) };
  }
}

function statOf(node: MemNode): FileStat {
  const isFile = node.kind === 'file';
  return {
    size: isFile ? node.live.size : 0,
    isFile,
    isDirectory: !isFile,
    mtimeMs: nsToMs(node.mtimeNs),
    mtimeNs: node.mtimeNs,
    ino: node.ino,
    nlink: isFile ? node.nlink : 1,
  };
}

/** Lets other tasks run, as a real flush would. */
async function yieldTurns(): Promise<void> {
  for (let i = 0; i < 3; i++) await Promise.resolve();
}

class MemHandle implements FileHandle {
  readonly path: string;
  readonly #fs: MemoryFileSystem;
  readonly #file: MemFile;
  readonly #generation: number;
  readonly #writable: boolean;
  #closed = false;

  constructor(fs: MemoryFileSystem, path: string, file: MemFile, generation: number, writable: boolean) {
    this.#fs = fs;
    this.path = path;
    this.#file = file;
    this.#generation = generation;
    this.#writable = writable;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    this.writeSync(data, position);
  }

  writeSync(data: Uint8Array, position: number): void {
    this.#live('write');
    if (!this.#writable) throw new FsErrnoError('EBADF', 'write', this.path);
    this.#fs.countOp('write', this.path, this.#generation);
    const copy = copyBytes(data);
    this.#file.live.writeAt(position, copy);
    this.#file.pending.push({ offset: position, data: copy });
    this.#file.mtimeNs = this.#fs.nowNs();
    this.#fs.stats.writes++;
    this.#fs.stats.bytesWritten += data.length;
  }

  async read(into: Uint8Array, position: number): Promise<number> {
    return this.readSync(into, position);
  }

  readSync(into: Uint8Array, position: number): number {
    this.#live('read');
    this.#fs.checkHandle('read', this.path, this.#generation);
    return this.#file.live.readAt(position, into);
  }

  async size(): Promise<number> {
    this.#live('fstat');
    this.#fs.checkHandle('fstat', this.path, this.#generation);
    return this.#file.live.size;
  }

  statSync(): FileStat {
    this.#live('fstat');
    this.#fs.checkHandle('fstat', this.path, this.#generation);
    return statOf(this.#file);
  }

  async truncate(length: number): Promise<void> {
    this.#live('ftruncate');
    if (!this.#writable) throw new FsErrnoError('EBADF', 'ftruncate', this.path);
    this.#fs.countOp('ftruncate', this.path, this.#generation);
    this.#file.live.truncate(length);
    this.#file.pending.push({ truncate: length });
    this.#file.mtimeNs = this.#fs.nowNs();
  }

  async sync(kind: SyncKind): Promise<void> {
    this.#live('fsync');
    const syscall = kind === 'data' ? 'fdatasync' : 'fsync';
    this.#fs.countOp(syscall, this.path, this.#generation);
    const upTo = this.#file.pending.length;
    const mtimeNs = this.#file.mtimeNs;
    await yieldTurns();
    this.#fs.checkHandle(syscall, this.path, this.#generation);
    // Only what was written before the flush began is covered by it.
    for (const c of this.#file.pending.slice(0, upTo)) applyChange(this.#file.durable, c);
    this.#file.pending = this.#file.pending.slice(upTo);
    this.#file.durableMtimeNs = mtimeNs;
    this.#fs.stats.fileSyncs++;
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  closeSync(): void {
    this.#live('close');
    this.#closed = true;
  }

  #live(syscall: string): void {
    if (this.#closed) throw new FsErrnoError('EBADF', syscall, this.path, 'handle is closed');
  }
}
