/**
 * RowSkiplist: an ordered set of rows keyed by (key ascending, seq descending), the memtable's index.
 *
 * Invariants: level-0 links visit every node in compareRows order; a node of height h is linked at levels
 * 0..h-1; at most one node per (key, seq) (inserting an equal pair replaces the row in place). Heights come from an
 * internal xorshift generator (p = 1/4), so the structure is deterministic for a given insert order.
 * Concurrency: single event loop; iterators see inserts made after they were created (nodes are never removed).
 */

import type { RowEntry } from '../format/row.js';
import { compareBytes } from '../util/bytes.js';

/** Maximum tower height: 4^12 = 16M entries at the designed branching factor. */
const HEIGHT_MAX = 12;

/** A skiplist node. `next[i]` is the successor at level i. */
export class SkipNode {
  row: RowEntry;
  readonly next: (SkipNode | null)[];

  constructor(row: RowEntry, height: number) {
    this.row = row;
    this.next = new Array<SkipNode | null>(height).fill(null);
  }
}

/** Compares a node's row with (key, seq) in LSM order. */
function compareTo(row: RowEntry, key: Uint8Array, seq: number): number {
  const c = compareBytes(row.key, key);
  if (c !== 0) return c;
  return seq - row.seq;
}

/** The ordered row index of a memtable. */
export class RowSkiplist {
  readonly #head: SkipNode;
  #height = 1;
  #count = 0;
  #randState = 0x2545f491;
  readonly #prev: SkipNode[] = new Array<SkipNode>(HEIGHT_MAX);

  constructor() {
    this.#head = new SkipNode(
      {
        key: new Uint8Array(0),
        value: new Uint8Array(0),
        seq: 0,
        kind: 'value',
        createTs: undefined,
        expireTs: undefined,
      },
      HEIGHT_MAX,
    );
  }

  /** Number of distinct (key, seq) entries. */
  get count(): number {
    return this.#count;
  }

  #randomHeight(): number {
    let x = this.#randState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#randState = x;
    let h = 1;
    // Two random bits per level: continue with probability 1/4.
    while (h < HEIGHT_MAX && (x & 3) === 0) {
      h++;
      x >>>= 2;
    }
    return h;
  }

  /**
   * Inserts a row. If a row with the same (key, seq) exists it is replaced and returned; otherwise returns
   * undefined.
   */
  insert(row: RowEntry): RowEntry | undefined {
    const prev = this.#prev;
    let x = this.#head;
    for (let level = this.#height - 1; level >= 0; level--) {
      let n = x.next[level]!;
      while (n !== null && compareTo(n.row, row.key, row.seq) < 0) {
        x = n;
        n = x.next[level]!;
      }
      prev[level] = x;
    }
    const found = x.next[0]!;
    if (found !== null && compareTo(found.row, row.key, row.seq) === 0) {
      const old = found.row;
      found.row = row;
      return old;
    }
    const h = this.#randomHeight();
    if (h > this.#height) {
      for (let level = this.#height; level < h; level++) prev[level] = this.#head;
      this.#height = h;
    }
    const node = new SkipNode(row, h);
    for (let level = 0; level < h; level++) {
      node.next[level] = prev[level]!.next[level]!;
      prev[level]!.next[level] = node;
    }
    this.#count++;
    return undefined;
  }

  /** The first node at or after (key, seq) in LSM order, or null. */
  seekGE(key: Uint8Array, seq: number): SkipNode | null {
    let x = this.#head;
    for (let level = this.#height - 1; level >= 0; level--) {
      let n = x.next[level]!;
      while (n !== null && compareTo(n.row, key, seq) < 0) {
        x = n;
        n = x.next[level]!;
      }
    }
    return x.next[0]!;
  }

  /** The last node strictly before (key, seq) in LSM order, or null if there is none. */
  seekLT(key: Uint8Array, seq: number): SkipNode | null {
    let x = this.#head;
    for (let level = this.#height - 1; level >= 0; level--) {
      let n = x.next[level]!;
      while (n !== null && compareTo(n.row, key, seq) < 0) {
        x = n;
        n = x.next[level]!;
      }
    }
    return x === this.#head ? null : x;
  }

  /** The last node whose key is strictly less than `key`, or null. */
  seekKeyLT(key: Uint8Array): SkipNode | null {
    let x = this.#head;
    for (let level = this.#height - 1; level >= 0; level--) {
      let n = x.next[level]!;
      while (n !== null && compareBytes(n.row.key, key) < 0) {
        x = n;
        n = x.next[level]!;
      }
    }
    return x === this.#head ? null : x;
  }

  /** The first node, or null when empty. */
  first(): SkipNode | null {
    return this.#head.next[0]!;
  }

  /** The last node, or null when empty. */
  last(): SkipNode | null {
    let x = this.#head;
    for (let level = this.#height - 1; level >= 0; level--) {
      let n = x.next[level]!;
      while (n !== null) {
        x = n;
        n = x.next[level]!;
      }
    }
    return x === this.#head ? null : x;
  }
}
