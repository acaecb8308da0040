/**
 * The nodes of MemoryFileSystem's tree: files (live bytes, durable bytes, the writes in between) and directories
 * (live entries, durable entries, the entry changes in between), each with an inode number and an mtime.
 *
 * Invariants: `live` always equals `durable` plus `pending` applied in order, for file data and directory entries
 * alike; a file's `nlink` counts the live directory entries naming it (kept by `MemDir.change`).
 * Concurrency: single event loop; every method completes synchronously.
 */
import { GrowableBytes } from './growable-bytes.js';

/** One pending change of a file's data. */
export type DataChange =
  | { readonly offset: number; readonly data: Uint8Array }
  | { readonly truncate: number };

/** One atomic change of a directory's entries (undefined removes the name). */
export type EntryChange = ReadonlyArray<readonly [name: string, node: MemNode | undefined]>;

/** A regular file. */
export class MemFile {
  readonly kind = 'file';
  readonly ino: bigint;
  readonly live: GrowableBytes;
  readonly durable: GrowableBytes;
  pending: DataChange[] = [];
  /** Live directory entries naming this file. */
  nlink = 0;
  mtimeNs: bigint;
  /** The mtime as of the last flush: what a crash keeps. */
  durableMtimeNs: bigint;

  constructor(ino: bigint, mtimeNs: bigint, live = new GrowableBytes(), durable = new GrowableBytes()) {
    this.ino = ino;
    this.mtimeNs = mtimeNs;
    this.durableMtimeNs = mtimeNs;
    this.live = live;
    this.durable = durable;
  }
}

/** A directory. */
export class MemDir {
  readonly kind = 'dir';
  readonly ino: bigint;
  readonly entries = new Map<string, MemNode>();
  durable = new Map<string, MemNode>();
  pending: EntryChange[] = [];
  mtimeNs: bigint;

  constructor(ino: bigint, mtimeNs: bigint) {
    this.ino = ino;
    this.mtimeNs = mtimeNs;
  }

  /** Applies `changes` to the live entries (keeping link counts) and records them as pending. */
  change(changes: EntryChange, nowNs: bigint): void {
    for (const [name, node] of changes) {
      const old = this.entries.get(name);
      if (old?.kind === 'file') old.nlink--;
      if (node === undefined) {
        this.entries.delete(name);
      } else {
        this.entries.set(name, node);
        if (node.kind === 'file') node.nlink++;
      }
    }
    this.pending.push(changes);
    this.mtimeNs = nowNs;
  }
}

export type MemNode = MemFile | MemDir;

/** Applies one data change to `target`. */
export function applyChange(target: GrowableBytes, c: DataChange): void {
  if ('truncate' in c) target.truncate(c.truncate);
  else target.writeAt(c.offset, c.data);
}

/** Unix ms (a clock reading) as Unix ns, kept to the microsecond. */
export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

/** Unix ns as fractional Unix ms. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}
