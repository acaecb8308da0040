/**
 * The WAL journal directory's owner lock: one writer (one process, one open database) per journal directory, since
 * two appenders to one journal would corrupt it. In this process a registry per file system refuses a second
 * holder; across processes a `LOCK` file in the directory names the holder (pid, host, token). A lock whose pid is
 * dead on this host is stale (its holder was killed) and is taken over; a live pid, or another host, is refused
 * with `JOURNAL_LOCKED` (kind 'unavailable').
 *
 * Invariants: the lock is taken before the journal is opened (recovery cuts torn tails, which only the owner may
 * do); a take-over replaces the file with rename() and then reads it back, so of two racing takers at most one
 * keeps it; `release` removes the file only if it still carries this holder's token. The lock is advisory and
 * not durable (after a power loss its pid is dead anyway).
 * Concurrency: acquire/release are async; the in-process registry is updated synchronously.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { FileSystem } from '../io/file-system.js';
import { readWholeFile } from '../io/file-system.js';
import { errnoOf, toIoError } from '../io/io-error.js';
import { unavailableError } from '../util/errors.js';
import type { Rand } from '../util/random.js';

const held = new WeakMap<FileSystem, Set<string>>();

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

/** A held journal lock. */
export interface JournalLock {
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

async function readInfo(fs: FileSystem, path: string): Promise<LockInfo | undefined> {
  try {
    const v = JSON.parse(Buffer.from(await readWholeFile(fs, path)).toString('utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string')
      return v as LockInfo;
    return undefined;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') throw e;
    return undefined; // unreadable or torn: nobody can hold it
  }
}

async function writeFile(fs: FileSystem, path: string, data: Uint8Array, exclusive: boolean): Promise<void> {
  const h = await fs.open(path, exclusive ? 'create-exclusive' : 'create');
  try {
    await h.truncate(0);
    await h.write(data, 0);
  } finally {
    await h.close();
  }
}

/** Takes the lock of journal directory `dir` (which must exist). */
export async function lockJournalDir(fs: FileSystem, dir: string, rand: Rand): Promise<JournalLock> {
  const key = resolve(dir);
  let mine = held.get(fs);
  if (mine === undefined) {
    mine = new Set();
    held.set(fs, mine);
  }
  if (mine.has(key)) throw locked(dir, 'another database in this process has it open');
  mine.add(key);
  const path = `${dir}/LOCK`;
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    token: `${process.pid}-${rand.nextU32().toString(16)}-${rand.nextU32().toString(16)}`,
  };
  const bytes = Buffer.from(JSON.stringify(info), 'utf8');
  try {
    await acquire(fs, dir, path, info, bytes);
  } catch (e) {
    mine.delete(key);
    throw e;
  }
  const registry = mine;
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      try {
        const now = await readInfo(fs, path);
        if (now?.token === info.token) await fs.unlink(path);
      } catch {
        // Gone or unreadable: nothing of ours to remove.
      } finally {
        registry.delete(key);
      }
    },
  };
}

async function acquire(fs: FileSystem, dir: string, path: string, info: LockInfo, bytes: Uint8Array) {
  try {
    await writeFile(fs, path, bytes, true);
    return;
  } catch (e) {
    if (errnoOf(e) !== 'EEXIST') throw toIoError('open', path, e);
  }
  let other: LockInfo | undefined;
  try {
    other = await readInfo(fs, path);
  } catch {
    other = undefined; // removed meanwhile: take it below
  }
  if (other !== undefined) {
    if (other.host !== info.host)
      throw locked(
        dir,
        `held by pid ${other.pid} on host ${other.host}; remove ${path} if no process uses it`,
      );
    // Our own pid here is a holder this process no longer has (the registry said so): stale.
    if (other.pid !== info.pid && isAlive(other.pid)) throw locked(dir, `held by live process ${other.pid}`);
  }
  const temp = `${path}.${info.token}`;
  try {
    await writeFile(fs, temp, bytes, false);
    await fs.rename(temp, path);
  } catch (e) {
    await fs.unlink(temp).catch(() => {});
    throw toIoError('rename', path, e);
  }
  const now = await readInfo(fs, path).catch(() => undefined);
  if (now?.token !== info.token) throw locked(dir, 'another process took it over at the same moment');
}

function locked(dir: string, why: string) {
  return unavailableError('JOURNAL_LOCKED', `WAL journal ${dir} is in use: ${why}`);
}
