/**
 * FaultyFileSystem: wraps any FileSystem and makes chosen calls fail with chosen errnos (ENOSPC, EIO, EACCES,
 * EMFILE, ...), for tests of typed errors, temp-file cleanup and journal poisoning.
 *
 * Fault model: a rule matches a call by operation name and path (exact string, RegExp or predicate); it skips its
 * first `after` matches, then fails the next `times` (default: all later ones). A failing `write` may first write
 * `partialBytes` bytes through to the inner file (a short write, then the error), as a full disk does. Failed
 * calls have no other effect. Rules are checked in the order added; the first that fires wins. A synchronous call
 * matches the rules of its asynchronous twin ('open' covers openSync, 'stat' statSync and fstat, ...).
 * Concurrency: as the wrapped file system.
 */
import {
  type DirEntry,
  type FileHandle,
  type FileStat,
  type FileSystem,
  FsErrnoError,
  type OpenMode,
  type SyncKind,
} from './file-system.js';

/** The operations a rule can match ('sync' is a file flush, 'syncDir' a directory fsync). */
export type FsOp =
  | 'open'
  | 'write'
  | 'read'
  | 'size'
  | 'truncate'
  | 'sync'
  | 'close'
  | 'rename'
  | 'link'
  | 'unlink'
  | 'mkdir'
  | 'rmdir'
  | 'readdir'
  | 'stat'
  | 'listDir'
  | 'setTimes'
  | 'syncDir';

/** One fault rule. */
export interface FaultRule {
  /** The operation, or '*' for any. */
  readonly op: FsOp | '*';
  /** Which paths (for rename and link: the destination). Default: all. */
  readonly path?: string | RegExp | ((path: string) => boolean);
  /** The errno to fail with, e.g. 'ENOSPC'. */
  readonly errno: string;
  /** Matching calls to let through before failing. Default 0. */
  readonly after?: number;
  /** How many calls to fail, once started. Default: unlimited. */
  readonly times?: number;
  /** For 'write': bytes written through before the failure. Default 0. */
  readonly partialBytes?: number;
}

interface RuleState {
  readonly rule: FaultRule;
  seen: number;
  fired: number;
}

/** A FileSystem that fails where its rules say. */
export class FaultyFileSystem implements FileSystem {
  readonly name: string;
  readonly inner: FileSystem;
  #rules: RuleState[] = [];
  /** How many calls failed because of a rule. */
  injected = 0;

  constructor(inner: FileSystem, rules: readonly FaultRule[] = []) {
    this.inner = inner;
    this.name = `faulty(${inner.name})`;
    for (const r of rules) this.addRule(r);
  }

  /** Adds a rule. */
  addRule(rule: FaultRule): void {
    this.#rules.push({ rule, seen: 0, fired: 0 });
  }

  /** Removes every rule. */
  clearRules(): void {
    this.#rules = [];
  }

  /** @internal Returns the rule that fails this call, if any (and counts the match). */
  match(op: FsOp, path: string): FaultRule | undefined {
    for (const s of this.#rules) {
      if (s.rule.op !== '*' && s.rule.op !== op) continue;
      if (!pathMatches(s.rule.path, path)) continue;
      s.seen++;
      if (s.seen <= (s.rule.after ?? 0)) continue;
      if (s.fired >= (s.rule.times ?? Number.POSITIVE_INFINITY)) continue;
      s.fired++;
      this.injected++;
      return s.rule;
    }
    return undefined;
  }

  /** @internal Throws the rule's error if one fires. */
  fail(op: FsOp, path: string, syscall: string): void {
    const rule = this.match(op, path);
    if (rule !== undefined) throw new FsErrnoError(rule.errno, syscall, path, 'injected fault');
  }

  primitive(kind: SyncKind): string {
    return this.inner.primitive(kind);
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.fail('open', path, 'open');
    return new FaultyHandle(this, await this.inner.open(path, mode));
  }

  openSync(path: string, mode: OpenMode): FileHandle {
    this.fail('open', path, 'open');
    return new FaultyHandle(this, this.inner.openSync(path, mode));
  }

  async rename(from: string, to: string): Promise<void> {
    this.fail('rename', to, 'rename');
    return this.inner.rename(from, to);
  }

  renameSync(from: string, to: string): void {
    this.fail('rename', to, 'rename');
    this.inner.renameSync(from, to);
  }

  async link(existing: string, newPath: string): Promise<void> {
    this.fail('link', newPath, 'link');
    return this.inner.link(existing, newPath);
  }

  linkSync(existing: string, newPath: string): void {
    this.fail('link', newPath, 'link');
    this.inner.linkSync(existing, newPath);
  }

  async unlink(path: string): Promise<void> {
    this.fail('unlink', path, 'unlink');
    return this.inner.unlink(path);
  }

  unlinkSync(path: string): void {
    this.fail('unlink', path, 'unlink');
    this.inner.unlinkSync(path);
  }

  async mkdir(path: string): Promise<void> {
    this.fail('mkdir', path, 'mkdir');
    return this.inner.mkdir(path);
  }

  async rmdir(path: string): Promise<void> {
    this.fail('rmdir', path, 'rmdir');
    return this.inner.rmdir(path);
  }

  async readdir(path: string): Promise<string[]> {
    this.fail('readdir', path, 'scandir');
    return this.inner.readdir(path);
  }

  listDirSync(path: string): DirEntry[] {
    this.fail('listDir', path, 'scandir');
    return this.inner.listDirSync(path);
  }

  async stat(path: string): Promise<FileStat> {
    this.fail('stat', path, 'stat');
    return this.inner.stat(path);
  }

  statSync(path: string): FileStat {
    this.fail('stat', path, 'stat');
    return this.inner.statSync(path);
  }

  setTimesSync(path: string, mtimeUs: bigint): void {
    this.fail('setTimes', path, 'utime');
    this.inner.setTimesSync(path, mtimeUs);
  }

  async syncDir(path: string): Promise<void> {
    this.fail('syncDir', path, 'fsync');
    return this.inner.syncDir(path);
  }
}

function pathMatches(p: FaultRule['path'], path: string): boolean {
  if (p === undefined) return true;
  if (typeof p === 'string') return p === path;
  if (p instanceof RegExp) return p.test(path);
  return p(path);
}

class FaultyHandle implements FileHandle {
  readonly path: string;
  readonly #fs: FaultyFileSystem;
  readonly #inner: FileHandle;

  constructor(fs: FaultyFileSystem, inner: FileHandle) {
    this.#fs = fs;
    this.#inner = inner;
    this.path = inner.path;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    const rule = this.#fs.match('write', this.path);
    if (rule === undefined) return this.#inner.write(data, position);
    const n = Math.min(rule.partialBytes ?? 0, data.length);
    if (n > 0) await this.#inner.write(data.subarray(0, n), position);
    throw new FsErrnoError(rule.errno, 'write', this.path, 'injected fault');
  }

  writeSync(data: Uint8Array, position: number): void {
    const rule = this.#fs.match('write', this.path);
    if (rule === undefined) {
      this.#inner.writeSync(data, position);
      return;
    }
    const n = Math.min(rule.partialBytes ?? 0, data.length);
    if (n > 0) this.#inner.writeSync(data.subarray(0, n), position);
    throw new FsErrnoError(rule.errno, 'write', this.path, 'injected fault');
  }

  async read(into: Uint8Array, position: number): Promise<number> {
    this.#fs.fail('read', this.path, 'read');
    return this.#inner.read(into, position);
  }

  readSync(into: Uint8Array, position: number): number {
    this.#fs.fail('read', this.path, 'read');
    return this.#inner.readSync(into, position);
  }

  statSync(): FileStat {
    this.#fs.fail('stat', this.path, 'fstat');
    return this.#inner.statSync();
  }

  async size(): Promise<number> {
    this.#fs.fail('size', this.path, 'fstat');
    return this.#inner.size();
  }

  async truncate(length: number): Promise<void> {
    this.#fs.fail('truncate', this.path, 'ftruncate');
    return this.#inner.truncate(length);
  }

  async sync(kind: SyncKind): Promise<void> {
    this.#fs.fail('sync', this.path, kind === 'data' ? 'fdatasync' : 'fsync');
    return this.#inner.sync(kind);
  }

  async close(): Promise<void> {
    this.#fs.fail('close', this.path, 'close');
    return this.#inner.close();
  }

  closeSync(): void {
    this.#fs.fail('close', this.path, 'close');
    this.#inner.closeSync();
  }
}
