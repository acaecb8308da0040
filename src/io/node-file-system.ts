/**
 * NodeFileSystem: the real FileSystem over node:fs, using numeric descriptors and libuv's thread pool. A file
 * flush is fdatasync(2) or fsync(2) (on macOS libuv turns both into fcntl(F_FULLFSYNC)); a directory flush opens
 * the directory read-only and fsyncs it.
 *
 * Invariants: errors are Node's own system errors (code, errno, syscall, path), unchanged. `write` loops until
 * every byte is written. Directory fsync is skipped on Windows, where directories cannot be opened for it.
 * Concurrency: all methods are safe to call concurrently; a handle must not be used after `close`.
 */
import * as fs from 'node:fs';
import type { DirEntry, FileHandle, FileStat, FileSystem, OpenMode, SyncKind } from './file-system.js';

const FLAGS: Record<OpenMode, number> = {
  read: fs.constants.O_RDONLY,
  'read-write': fs.constants.O_RDWR,
  create: fs.constants.O_RDWR | fs.constants.O_CREAT,
  'create-exclusive': fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
};

/**
 * Our stat over Node's bigint one (exact nanoseconds and inode numbers). Fields are computed when read: most callers
 * read two or three of them, and converting them all would cost more than the stat call's own overhead.
 */
class NodeStat implements FileStat {
  readonly #st: fs.BigIntStats;

  constructor(st: fs.BigIntStats) {
    this.#st = st;
  }

  get size(): number {
    return Number(this.#st.size);
  }

  get isFile(): boolean {
    return this.#st.isFile();
  }

  get isDirectory(): boolean {
    return this.#st.isDirectory();
  }

  get mtimeMs(): number {
    return Number(this.#st.mtimeMs) + Number(this.#st.mtimeNs % 1_000_000n) / 1e6;
  }

  get mtimeNs(): bigint {
    return this.#st.mtimeNs;
  }

  get ino(): bigint {
    return this.#st.ino;
  }

  get nlink(): number {
    return Number(this.#st.nlink);
  }
}

function statOf(st: fs.BigIntStats): FileStat {
  return new NodeStat(st);
}

const BIGINT = { bigint: true } as const;

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value)));
  });
}

function callVoid(fn: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    fn((err) => (err ? reject(err) : resolve()));
  });
}

/** An open descriptor. */
class NodeFileHandle implements FileHandle {
  readonly path: string;
  readonly #fd: number;

  constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    let off = 0;
    while (off < data.length) {
      const n = await call<number>((cb) =>
        fs.write(this.#fd, data, off, data.length - off, position + off, cb),
      );
      off += n;
    }
  }

  writeSync(data: Uint8Array, position: number): void {
    let off = 0;
    while (off < data.length) off += fs.writeSync(this.#fd, data, off, data.length - off, position + off);
  }

  read(into: Uint8Array, position: number): Promise<number> {
    return call<number>((cb) => fs.read(this.#fd, into, 0, into.length, position, cb));
  }

  readSync(into: Uint8Array, position: number): number {
    return fs.readSync(this.#fd, into, 0, into.length, position);
  }

  statSync(): FileStat {
    return statOf(fs.fstatSync(this.#fd, BIGINT));
  }

  async size(): Promise<number> {
    const st = await call<fs.Stats>((cb) => fs.fstat(this.#fd, cb));
    return st.size;
  }

  truncate(length: number): Promise<void> {
    return callVoid((cb) => fs.ftruncate(this.#fd, length, cb));
  }

  sync(kind: SyncKind): Promise<void> {
    return callVoid((cb) => (kind === 'data' ? fs.fdatasync(this.#fd, cb) : fs.fsync(this.#fd, cb)));
  }

  close(): Promise<void> {
    return callVoid((cb) => fs.close(this.#fd, cb));
  }

  closeSync(): void {
    fs.closeSync(this.#fd);
  }
}

/** The real file system. */
export class NodeFileSystem implements FileSystem {
  readonly name = 'node';
  readonly #platform: NodeJS.Platform;

  constructor(platform: NodeJS.Platform = process.platform) {
    this.#platform = platform;
  }

  primitive(kind: SyncKind): string {
    if (this.#platform === 'darwin') return 'fcntl(F_FULLFSYNC)';
    if (this.#platform === 'win32') return 'FlushFileBuffers';
    return kind === 'data' && this.#platform === 'linux' ? 'fdatasync(2)' : 'fsync(2)';
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const fd = await call<number>((cb) => fs.open(path, FLAGS[mode], 0o666, cb));
    return new NodeFileHandle(path, fd);
  }

  openSync(path: string, mode: OpenMode): FileHandle {
    return new NodeFileHandle(path, fs.openSync(path, FLAGS[mode], 0o666));
  }

  rename(from: string, to: string): Promise<void> {
    return callVoid((cb) => fs.rename(from, to, cb));
  }

  renameSync(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  link(existing: string, newPath: string): Promise<void> {
    return callVoid((cb) => fs.link(existing, newPath, cb));
  }

  linkSync(existing: string, newPath: string): void {
    fs.linkSync(existing, newPath);
  }

  unlink(path: string): Promise<void> {
    return callVoid((cb) => fs.unlink(path, cb));
  }

  unlinkSync(path: string): void {
    fs.unlinkSync(path);
  }

  mkdir(path: string): Promise<void> {
    return callVoid((cb) => fs.mkdir(path, cb));
  }

  rmdir(path: string): Promise<void> {
    return callVoid((cb) => fs.rmdir(path, cb));
  }

  async readdir(path: string): Promise<string[]> {
    const names = await call<string[]>((cb) => fs.readdir(path, cb));
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  listDirSync(path: string): DirEntry[] {
    return fs.readdirSync(path, { withFileTypes: true }).map((e) => ({
      name: e.name,
      isFile: e.isFile(),
      isDirectory: e.isDirectory(),
      isSymbolicLink: e.isSymbolicLink(),
    }));
  }

  async stat(path: string): Promise<FileStat> {
    return statOf(await call<fs.BigIntStats>((cb) => fs.stat(path, BIGINT, cb)));
  }

  statSync(path: string): FileStat {
    return statOf(fs.statSync(path, BIGINT));
  }

  setTimesSync(path: string, mtimeUs: bigint): void {
    // utimes takes seconds as a double (about 0.24 µs of precision today): aim at the middle of the microsecond.
    const seconds = Number(mtimeUs) / 1e6 + 5e-7;
    fs.utimesSync(path, seconds, seconds);
  }

  async syncDir(path: string): Promise<void> {
    if (this.#platform === 'win32') return;
    const fd = await call<number>((cb) => fs.open(path, fs.constants.O_RDONLY, cb));
    try {
      await callVoid((cb) => fs.fsync(fd, cb));
    } catch (e) {
      fs.close(fd, () => {});
      throw e;
    }
    await callVoid((cb) => fs.close(fd, cb));
  }
}

/** The process-wide real file system. */
export const nodeFileSystem: FileSystem = new NodeFileSystem();
