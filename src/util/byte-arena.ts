/**
 * ByteArena: copies small byte arrays into shared slabs and hands out views, because allocating one ArrayBuffer per
 * key or value (over 64 bytes, V8 puts each outside the heap) costs about a microsecond and loads the GC.
 *
 * Invariants: a returned view is a private copy of the input (later changes to the input do not show); views never
 * overlap; inputs larger than `largeBytes` get their own buffer (so a slab is not pinned by one large value). A slab
 * lives as long as any view into it.
 * Concurrency: single event loop.
 */

import { copyBytes } from './bytes.js';

/** Copies byte arrays into slabs. */
export class ByteArena {
  readonly #slabBytes: number;
  readonly #largeBytes: number;
  #slab: Uint8Array;
  #buffer: ArrayBuffer;
  #used = 0;

  constructor(slabBytes = 256 * 1024, largeBytes = 4096) {
    this.#slabBytes = slabBytes;
    this.#largeBytes = largeBytes;
    this.#buffer = new ArrayBuffer(slabBytes);
    this.#slab = new Uint8Array(this.#buffer);
  }

  /** A private copy of `src`. */
  copy(src: Uint8Array): Uint8Array {
    const n = src.length;
    if (n > this.#largeBytes) return copyBytes(src);
    if (this.#used + n > this.#slabBytes) {
      this.#buffer = new ArrayBuffer(this.#slabBytes);
      this.#slab = new Uint8Array(this.#buffer);
      this.#used = 0;
    }
    const start = this.#used;
    this.#slab.set(src, start);
    this.#used = start + n;
    // The constructor, not subarray: subarray looks up the species constructor on every call.
    return new Uint8Array(this.#buffer, start, n);
  }
}
