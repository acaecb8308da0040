/**
 * The post-crash image of a MemoryFileSystem tree: what power loss leaves on the disk (see memory-file-system.ts
 * for the fault model). Files keep their durable bytes (plus, in 'torn' mode, a random subset of later writes,
 * each whole, cut short or absent) and the mtime of their last flush; directories keep their durable entries
 * (plus, in 'torn' mode, a random prefix of later changes). Inode numbers survive; link counts are recounted.
 *
 * Invariants: the image shares no mutable state with the tree it was built from; a node reachable by several
 * names (hard links) is one node in the image too.
 * Concurrency: pure apart from the Rand it draws from.
 */
import type { Rand } from '../util/random.js';
import { GrowableBytes } from './growable-bytes.js';
import { applyChange, MemDir, MemFile, type MemNode } from './memory-fs-nodes.js';

/** How a crash treats changes that were never made durable. */
export type CrashMode =
  /** Lose all of them. */
  | 'strict'
  /** Keep a random subset of file writes (possibly torn) and a random prefix of each directory's changes. */
  | 'torn';

/** Builds the post-crash image of a tree. */
export class CrashImager {
  readonly #mode: CrashMode;
  readonly #rand: Rand | undefined;
  readonly #seen = new Map<MemNode, MemNode>();

  constructor(mode: CrashMode, rand: Rand | undefined) {
    if (mode === 'torn' && rand === undefined) throw new Error('torn crash needs a rand');
    this.#mode = mode;
    this.#rand = rand;
  }

  dir(d: MemDir): MemDir {
    const out = new MemDir(d.ino, d.mtimeNs);
    const entries = new Map(d.durable);
    const keep = this.#mode === 'torn' ? this.#rand!.nextInt(d.pending.length + 1) : 0;
    for (const change of d.pending.slice(0, keep)) {
      for (const [name, node] of change) {
        if (node === undefined) entries.delete(name);
        else entries.set(name, node);
      }
    }
    for (const [name, node] of entries) {
      const copy = this.#node(node);
      if (copy.kind === 'file') copy.nlink++;
      out.entries.set(name, copy);
    }
    out.durable = new Map(out.entries);
    return out;
  }

  #node(n: MemNode): MemNode {
    let copy = this.#seen.get(n);
    if (copy === undefined) {
      copy = n.kind === 'dir' ? this.dir(n) : this.#file(n);
      this.#seen.set(n, copy);
    }
    return copy;
  }

  #file(f: MemFile): MemFile {
    const bytes = GrowableBytes.from(f.durable.view());
    if (this.#mode === 'torn') {
      const rand = this.#rand!;
      for (const c of f.pending) {
        if (rand.nextInt(2) === 0) continue;
        if ('offset' in c && rand.nextInt(4) === 0) {
          applyChange(bytes, { offset: c.offset, data: c.data.subarray(0, rand.nextInt(c.data.length + 1)) });
        } else {
          applyChange(bytes, c);
        }
      }
    }
    return new MemFile(f.ino, f.durableMtimeNs, bytes, GrowableBytes.from(bytes.view()));
  }
}
