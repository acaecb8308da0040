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
import type { FileHandle, FileStat, FileSystem, OpenMode, SyncKind } from './file-system.js';

const FLAGS: Record<OpenMode, number> = {
  read: fs.constants.O_RDONLY,
  'read-write': fs.constants.O_RDWR,
  create: fs.constants.O_RDWR | fs.constants.O_CREAT,
  'create-exclusive': fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
};

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

  rename(from: string, to: string): Promise<void> {
    return callVoid((cb) => fs.rename(from, to, cb));
  }

  link(existing: string, newPath: string): Promise<void> {
    return callVoid((cb) => fs.link(existing, newPath, cb));
  }

  unlink(path: string): Promise<void> {
    return callVoid((cb) => fs.unlink(path, cb));
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

  async stat(path: string): Promise<FileStat> {
    const st = await call<fs.Stats>((cb) => fs.stat(path, cb));
    return { size: st.size, isFile: st.isFile(), isDirectory: st.isDirectory(), mtimeMs: st.mtimeMs };
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
