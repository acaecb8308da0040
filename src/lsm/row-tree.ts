/**
 * RowTree: an in-memory B+tree of rows ordered by (key ascending, seq descending), the memtable's index. Chosen over
 * a skiplist because random inserts into a pointer-linked structure of 10^5 nodes cost a cache miss per step; here
 * each node keeps its entries' 48-bit key prefixes in one Float64Array, so a search compares numbers in contiguous
 * memory and touches a key's bytes only on a prefix tie.
 *
 * Invariants: all leaves are at the same depth and linked in order both ways; every node but the root holds between
 * half and all of its capacity; an inner node's separator i (i >= 1) is the first entry of child i; `prefix(row)`
 * orders like the key whenever two prefixes differ (keys are zero-padded); at most one entry per (key, seq)
 * (inserting an equal pair replaces it). `version` changes on every structural change, so cursors can re-seek.
 * Concurrency: single event loop; cursors detect concurrent changes through `version` (see Cursor).
 */

import type { RowEntry } from '../format/row.js';
import { compareBytes } from '../util/bytes.js';

const LEAF_MAX = 64;
const INNER_MAX = 64;
const TWO_8 = 256;

/** The first 6 bytes of `key` as an integer (zero-padded), which orders like the key when it differs. */
export function keyPrefix(key: Uint8Array): number {
  const n = key.length;
  let p = n > 0 ? key[0]! : 0;
  p = p * TWO_8 + (n > 1 ? key[1]! : 0);
  p = p * TWO_8 + (n > 2 ? key[2]! : 0);
  p = p * TWO_8 + (n > 3 ? key[3]! : 0);
  p = p * TWO_8 + (n > 4 ? key[4]! : 0);
  return p * TWO_8 + (n > 5 ? key[5]! : 0);
}

/** Compares entry (rowKey/rowSeq with prefix rowPfx) to the probe (key, seq, pfx) in LSM order. */
function cmp(rowPfx: number, row: RowEntry, pfx: number, key: Uint8Array, seq: number): number {
  if (rowPfx !== pfx) return rowPfx < pfx ? -1 : 1;
  const c = compareBytes(row.key, key);
  if (c !== 0) return c;
  return seq - row.seq;
}

/**
 * Prefix arrays are views into shared slabs: a Float64Array of its own (512 bytes, outside V8's heap) costs an
 * ArrayBuffer allocation and GC tracking per node, which showed as a tenth of insert time.
 */
const PFX_SLAB_NODES = 512;
let pfxSlab = new Float64Array(0);
let pfxSlabUsed = 0;

function newPfx(n: number): Float64Array {
  if (pfxSlabUsed + n > pfxSlab.length) {
    pfxSlab = new Float64Array(PFX_SLAB_NODES * Math.max(LEAF_MAX, INNER_MAX));
    pfxSlabUsed = 0;
  }
  const v = pfxSlab.subarray(pfxSlabUsed, pfxSlabUsed + n);
  pfxSlabUsed += n;
  return v;
}

/** A leaf: up to LEAF_MAX rows in order. */
export class Leaf {
  n = 0;
  readonly rows: RowEntry[] = new Array<RowEntry>(LEAF_MAX);
  readonly pfx = newPfx(LEAF_MAX);
  next: Leaf | null = null;
  prev: Leaf | null = null;
}

class Inner {
  n = 0;
  /** keys[i] = first row of children[i] (keys[0] unused in searches). */
  readonly keys: RowEntry[] = new Array<RowEntry>(INNER_MAX);
  readonly pfx = newPfx(INNER_MAX);
  readonly children: Array<Inner | Leaf> = new Array<Inner | Leaf>(INNER_MAX);
}

/** First index i in [0, n) whose entry is >= probe (n when none). */
function lowerBound(
  pfxs: Float64Array,
  rows: RowEntry[],
  n: number,
  pfx: number,
  key: Uint8Array,
  seq: number,
): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(pfxs[mid]!, rows[mid]!, pfx, key, seq) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Child index of an inner node to descend into for the probe: the last child whose first entry is <= probe. */
function childFor(node: Inner, pfx: number, key: Uint8Array, seq: number): number {
  let lo = 1;
  let hi = node.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(node.pfx[mid]!, node.keys[mid]!, pfx, key, seq) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** A position: a leaf and an index in it (index may equal leaf.n: just past its last row). */
export interface TreePos {
  leaf: Leaf;
  index: number;
}

/** The B+tree. */
export class RowTree {
  #root: Inner | Leaf = new Leaf();
  #count = 0;
  /** Changes on every insert (cursors re-seek when it moved). */
  version = 0;
  readonly #path: Inner[] = [];
  readonly #pathIdx: number[] = [];

  get count(): number {
    return this.#count;
  }

  /** Inserts or replaces; returns the replaced row, if any. */
  insert(row: RowEntry): RowEntry | undefined {
    const key = row.key;
    const seq = row.seq;
    const pfx = keyPrefix(key);
    const path = this.#path;
    const pathIdx = this.#pathIdx;
    let depth = 0;
    let node = this.#root;
    while (node instanceof Inner) {
      const ci = childFor(node, pfx, key, seq);
      path[depth] = node;
      pathIdx[depth] = ci;
      depth++;
      node = node.children[ci]!;
    }
    const leaf = node;
    const i = lowerBound(leaf.pfx, leaf.rows, leaf.n, pfx, key, seq);
    this.version++;
    if (
      i < leaf.n &&
      leaf.pfx[i] === pfx &&
      compareBytes(leaf.rows[i]!.key, key) === 0 &&
      leaf.rows[i]!.seq === seq
    ) {
      const old = leaf.rows[i]!;
      leaf.rows[i] = row;
      return old;
    }
    this.#count++;
    if (leaf.n < LEAF_MAX) {
      insertAt(leaf, i, row, pfx);
      // A new first entry of a leaf never happens below the leftmost leaf's separator position except at index 0,
      // where the parent's separator must follow.
      if (i === 0) this.#fixSeparators(depth, row, pfx);
      return undefined;
    }
    // Split the full leaf, then insert into the proper half.
    const right = new Leaf();
    const half = LEAF_MAX >>> 1;
    for (let j = half; j < LEAF_MAX; j++) {
      right.rows[j - half] = leaf.rows[j]!;
      right.pfx[j - half] = leaf.pfx[j]!;
    }
    right.n = LEAF_MAX - half;
    leaf.n = half;
    right.next = leaf.next;
    if (right.next !== null) right.next.prev = right;
    right.prev = leaf;
    leaf.next = right;
    if (i <= half) {
      insertAt(leaf, i, row, pfx);
      if (i === 0) this.#fixSeparators(depth, row, pfx);
    } else {
      insertAt(right, i - half, row, pfx);
    }
    this.#insertChild(depth - 1, right, right.rows[0]!, right.pfx[0]!);
    return undefined;
  }

  /** After a new first entry of the node at `depth`, updates the separators that name it. */
  #fixSeparators(depth: number, row: RowEntry, pfx: number): void {
    for (let d = depth - 1; d >= 0; d--) {
      const ci = this.#pathIdx[d]!;
      const parent = this.#path[d]!;
      parent.keys[ci] = row;
      parent.pfx[ci] = pfx;
      if (ci !== 0) break;
    }
  }

  /** Inserts `child` (first entry `first`) right after path child at depth `d` (d = -1: a new root). */
  #insertChild(d: number, child: Inner | Leaf, first: RowEntry, pfx: number): void {
    if (d < 0) {
      const root = new Inner();
      const old = this.#root;
      root.children[0] = old;
      root.keys[0] = firstRow(old);
      root.pfx[0] = firstPfx(old);
      root.children[1] = child;
      root.keys[1] = first;
      root.pfx[1] = pfx;
      root.n = 2;
      this.#root = root;
      return;
    }
    const parent = this.#path[d]!;
    const at = this.#pathIdx[d]! + 1;
    if (parent.n < INNER_MAX) {
      insertChildAt(parent, at, child, first, pfx);
      return;
    }
    const right = new Inner();
    const half = INNER_MAX >>> 1;
    for (let j = half; j < INNER_MAX; j++) {
      right.children[j - half] = parent.children[j]!;
      right.keys[j - half] = parent.keys[j]!;
      right.pfx[j - half] = parent.pfx[j]!;
    }
    right.n = INNER_MAX - half;
    parent.n = half;
    if (at <= half) insertChildAt(parent, at, child, first, pfx);
    else insertChildAt(right, at - half, child, first, pfx);
    this.#insertChild(d - 1, right, right.keys[0]!, right.pfx[0]!);
  }

  /** Position of the first entry >= (key, seq). */
  seekGE(key: Uint8Array, seq: number): TreePos {
    const pfx = keyPrefix(key);
    let node = this.#root;
    while (node instanceof Inner) node = node.children[childFor(node, pfx, key, seq)]!;
    const i = lowerBound(node.pfx, node.rows, node.n, pfx, key, seq);
    return normalize(node, i);
  }

  /** The first position. */
  first(): TreePos {
    let node = this.#root;
    while (node instanceof Inner) node = node.children[0]!;
    return normalize(node, 0);
  }

  /** The position of the last entry, or undefined when empty. */
  last(): TreePos | undefined {
    let node = this.#root;
    while (node instanceof Inner) node = node.children[node.n - 1]!;
    return node.n === 0 ? undefined : { leaf: node, index: node.n - 1 };
  }
}

function insertAt(leaf: Leaf, i: number, row: RowEntry, pfx: number): void {
  for (let j = leaf.n; j > i; j--) {
    leaf.rows[j] = leaf.rows[j - 1]!;
  }
  leaf.pfx.copyWithin(i + 1, i, leaf.n);
  leaf.rows[i] = row;
  leaf.pfx[i] = pfx;
  leaf.n++;
}

function insertChildAt(node: Inner, i: number, child: Inner | Leaf, first: RowEntry, pfx: number): void {
  for (let j = node.n; j > i; j--) {
    node.children[j] = node.children[j - 1]!;
    node.keys[j] = node.keys[j - 1]!;
  }
  node.pfx.copyWithin(i + 1, i, node.n);
  node.children[i] = child;
  node.keys[i] = first;
  node.pfx[i] = pfx;
  node.n++;
}

function firstRow(node: Inner | Leaf): RowEntry {
  return node instanceof Inner ? node.keys[0]! : node.rows[0]!;
}

function firstPfx(node: Inner | Leaf): number {
  return node.pfx[0]!;
}

/** Moves a past-the-end position to the start of the next leaf. */
export function normalize(leaf: Leaf, index: number): TreePos {
  while (index >= leaf.n && leaf.next !== null) {
    leaf = leaf.next;
    index = 0;
  }
  return { leaf, index };
}

/** The row at a position, or undefined past the end. */
export function rowAt(p: TreePos): RowEntry | undefined {
  return p.index < p.leaf.n ? p.leaf.rows[p.index] : undefined;
}

/** Advances a position by one entry (in place). */
export function stepForward(p: TreePos): void {
  p.index++;
  while (p.index >= p.leaf.n && p.leaf.next !== null) {
    p.leaf = p.leaf.next;
    p.index = 0;
  }
}

/** Moves a position back by one entry (in place); returns false when there is no previous entry. */
export function stepBack(p: TreePos): boolean {
  if (p.index > 0) {
    p.index--;
    return true;
  }
  let leaf = p.leaf.prev;
  while (leaf !== null && leaf.n === 0) leaf = leaf.prev;
  if (leaf === null) return false;
  p.leaf = leaf;
  p.index = leaf.n - 1;
  return true;
}
