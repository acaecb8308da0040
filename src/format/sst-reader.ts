/**
 * SstReader: reads one SST from an object store with ranged GETs: info at open, index and filter on first use,
 * data blocks on demand (through a shared BlockCache when given); point lookups go through the bloom filter
 * then the index (docs/format.md#reading).
 *
 * Invariants: every part read from the store is checksum-verified before it is decompressed or decoded; blocks
 * are decoded with the format version the caller names (the manifest's, for compacted SSTs) or, by default, the
 * footer's (right for WAL SSTs); cached answers are returned synchronously, a Promise only when IO is needed.
 * Concurrency: any number of concurrent lookups and iterators; concurrent loads of the index, the filter and a
 * single block are shared.
 */
import type { GetResult, ObjectStore } from '../object-store/object-store.js';
import { assert } from '../util/assert.js';
import { compareBytes } from '../util/bytes.js';
import { dataError } from '../util/errors.js';
import { TimeSlice } from '../util/time-slice.js';
import { Block, BlockCursor } from './block.js';
import { type BlockCache, FILTER_PART, INDEX_PART } from './block-cache.js';
import { BloomFilter, type FilterHash, filterHash } from './bloom-filter.js';
import type { RowEntry } from './row.js';
import type { KeyRange, MaybePromise, RowIterator } from './row-iterator.js';
import { decodeFooter, FOOTER_SIZE, unframePart, verifyPart } from './sst-framing.js';
import { SstIndex } from './sst-index.js';
import { decodeSsTableInfo, type SsTableInfo } from './sst-info.js';
import { SstIterator, type SstIteratorOptions } from './sst-iterator.js';
import { decodeSstStats, type SstStats } from './sst-stats.js';
import { SST_FORMAT_V1, SST_FORMAT_V2 } from './versions.js';

/** Batches of more blocks than this are decoded in time slices (a few blocks decode well within one). */
const SLICED_BATCH_BLOCKS = 16;

/** Options of {@link SstReader.open}. */
export interface SstReaderOptions {
  /** Block layout version: the manifest's `formatVersion` for compacted SSTs; default the footer's. */
  readonly formatVersion?: number;
  /** Shared cache of decoded blocks, indexes and filters. */
  readonly blockCache?: BlockCache;
  /** Bytes a scan fetches per GET once warmed up (default 256 KiB). */
  readonly readAheadBytes?: number;
  /** Bytes read from the end at open (default 16 KiB); index, filter or stats inside it need no further GET. */
  readonly tailBytes?: number;
  readonly signal?: AbortSignal;
  /** Counts point lookups' bloom filter outcomes (metrics), shared by the readers of one database. */
  readonly filterStats?: FilterStats;
}

/**
 * Bloom filter outcomes of point lookups: positive (may contain), negative (proved absent), and false positive (a
 * positive after which the SST held no version of the key visible to the lookup).
 */
export interface FilterStats {
  positives: number;
  negatives: number;
  falsePositives: number;
}

/** Copies a view so a cached part does not keep a larger read buffer alive. */
function own(b: Uint8Array, codecNone: boolean): Uint8Array {
  return codecNone ? new Uint8Array(b) : b;
}

/** An open SST. */
export class SstReader {
  readonly store: ObjectStore;
  readonly path: string;
  /** Object size in bytes. */
  readonly size: number;
  readonly info: SsTableInfo;
  /** The footer's format version. */
  readonly footerVersion: number;
  /** The block layout used to decode data blocks (1 or 2). */
  readonly blockVersion: number;
  readonly readAheadBytes: number;
  readonly #cache: BlockCache | undefined;
  readonly #filterStats: FilterStats | undefined;
  readonly #objectId: number;
  #tail: { offset: number; bytes: Uint8Array } | undefined;
  #index: SstIndex | undefined;
  #indexLoad: Promise<SstIndex> | undefined;
  #filter: BloomFilter | null | undefined;
  #filterLoad: Promise<BloomFilter | null> | undefined;
  readonly #blockLoads = new Map<number, Promise<Block>>();
  /** Reused by synchronous lookups (which never interleave). */
  #cursor: BlockCursor | undefined;

  private constructor(
    store: ObjectStore,
    path: string,
    size: number,
    info: SsTableInfo,
    footerVersion: number,
    options: SstReaderOptions,
    tail: { offset: number; bytes: Uint8Array },
  ) {
    this.store = store;
    this.path = path;
    this.size = size;
    this.info = info;
    this.footerVersion = footerVersion;
    this.blockVersion = options.formatVersion ?? footerVersion;
    assert(
      this.blockVersion === SST_FORMAT_V1 || this.blockVersion === SST_FORMAT_V2,
      () => `unknown SST format version ${this.blockVersion}`,
    );
    this.readAheadBytes = Math.max(1, options.readAheadBytes ?? 256 * 1024);
    this.#cache = options.blockCache;
    this.#filterStats = options.filterStats;
    this.#objectId = this.#cache?.objectId(path) ?? 0;
    this.#tail = tail;
    if (info.filterLen === 0) this.#filter = null;
  }

  /** Opens an SST: one suffix GET (plus one more when the info block is larger than `tailBytes`). */
  static async open(store: ObjectStore, path: string, options: SstReaderOptions = {}): Promise<SstReader> {
    const got = await store.get(path, { range: { suffix: tailBytesOf(options) }, signal: options.signal });
    const tail = checkTail(got, path);
    let infoPart: Uint8Array;
    if (tail.infoOffset >= got.offset) {
      infoPart = got.bytes.subarray(tail.infoOffset - got.offset, got.bytes.length - FOOTER_SIZE);
    } else {
      const r = await store.get(path, {
        range: { offset: tail.infoOffset, length: tail.size - FOOTER_SIZE - tail.infoOffset },
        signal: options.signal,
      });
      infoPart = r.bytes;
    }
    return SstReader.#fromTail(store, path, options, got, tail, infoPart);
  }

  /**
   * Opens an SST synchronously when the store serves synchronous reads ({@link ObjectStore.tryGetSync}) for
   * what opening needs; undefined otherwise (use {@link open}).
   */
  static tryOpenSync(
    store: ObjectStore,
    path: string,
    options: SstReaderOptions = {},
  ): SstReader | undefined {
    if (store.tryGetSync === undefined) return undefined;
    const got = store.tryGetSync(path, { suffix: tailBytesOf(options) });
    if (got === undefined) return undefined;
    const tail = checkTail(got, path);
    let infoPart: Uint8Array;
    if (tail.infoOffset >= got.offset) {
      infoPart = got.bytes.subarray(tail.infoOffset - got.offset, got.bytes.length - FOOTER_SIZE);
    } else {
      const r = store.tryGetSync(path, {
        offset: tail.infoOffset,
        length: tail.size - FOOTER_SIZE - tail.infoOffset,
      });
      if (r === undefined) return undefined;
      infoPart = r.bytes;
    }
    return SstReader.#fromTail(store, path, options, got, tail, infoPart);
  }

  static #fromTail(
    store: ObjectStore,
    path: string,
    options: SstReaderOptions,
    got: GetResult,
    tail: { size: number; infoOffset: number; version: number },
    infoPart: Uint8Array,
  ): SstReader {
    const info = decodeSsTableInfo(verifyPart(infoPart, `${path} info`), `${path} info`);
    checkInfo(info, tail.infoOffset, path);
    return new SstReader(store, path, tail.size, info, tail.version, options, {
      offset: got.offset,
      bytes: got.bytes,
    });
  }

  /** Reads `[offset, offset + length)`, from the retained tail when it holds it. */
  async #read(offset: number, length: number): Promise<Uint8Array> {
    const t = this.#tail;
    if (t !== undefined && offset >= t.offset && offset + length <= t.offset + t.bytes.length) {
      return t.bytes.subarray(offset - t.offset, offset - t.offset + length);
    }
    const r = await this.store.get(this.path, { range: { offset, length } });
    if (r.bytes.length !== length) {
      throw dataError('INVALID_FORMAT', `${this.path}: range ${offset}+${length} is outside the object`);
    }
    return r.bytes;
  }

  /** As #read, synchronously: undefined when the bytes are not in the tail and the store cannot read them now. */
  #readSync(offset: number, length: number): Uint8Array | undefined {
    const t = this.#tail;
    if (t !== undefined && offset >= t.offset && offset + length <= t.offset + t.bytes.length) {
      return t.bytes.subarray(offset - t.offset, offset - t.offset + length);
    }
    const r = this.store.tryGetSync?.(this.path, { offset, length });
    if (r === undefined) return undefined;
    if (r.bytes.length !== length) {
      throw dataError('INVALID_FORMAT', `${this.path}: range ${offset}+${length} is outside the object`);
    }
    return r.bytes;
  }

  #releaseTailIfDone(): void {
    if (this.#index !== undefined && this.#filter !== undefined) this.#tail = undefined;
  }

  /** The index; synchronous once loaded. */
  index(): MaybePromise<SstIndex> {
    if (this.#index !== undefined) return this.#index;
    const cached = this.#cache?.get(this.#objectId, INDEX_PART);
    if (cached !== undefined) {
      this.#index = cached as SstIndex;
      return this.#index;
    }
    if (this.#indexLoad === undefined) {
      const { indexOffset, indexLen } = this.info;
      const stored = this.#readSync(indexOffset, indexLen);
      if (stored !== undefined) return this.#setIndex(stored);
    }
    this.#indexLoad ??= this.#loadIndex();
    return this.#indexLoad;
  }

  async #loadIndex(): Promise<SstIndex> {
    try {
      const { indexOffset, indexLen } = this.info;
      return this.#setIndex(await this.#read(indexOffset, indexLen));
    } finally {
      this.#indexLoad = undefined;
    }
  }

  #setIndex(stored: Uint8Array): SstIndex {
    const codec = this.info.compressionCodec;
    const raw = own(unframePart(codec, stored, `${this.path} index`), codec === 'none');
    const index = SstIndex.decode(raw, `${this.path} index`);
    const end = this.info.filterOffset;
    if (index.blockCount > 0 && index.offsets[index.blockCount - 1]! >= end) {
      throw dataError('INVALID_FORMAT', `${this.path}: index points past the data blocks`);
    }
    this.#index = index;
    this.#cache?.put(this.#objectId, INDEX_PART, index);
    this.#releaseTailIfDone();
    return index;
  }

  /** The bloom filter, or null when the SST has none; synchronous once loaded. */
  filter(): MaybePromise<BloomFilter | null> {
    if (this.#filter !== undefined) return this.#filter;
    const cached = this.#cache?.get(this.#objectId, FILTER_PART);
    if (cached !== undefined) {
      this.#filter = cached as BloomFilter;
      return this.#filter;
    }
    if (this.#filterLoad === undefined) {
      const { filterOffset, filterLen } = this.info;
      const stored = this.#readSync(filterOffset, filterLen);
      if (stored !== undefined) return this.#setFilter(stored);
    }
    this.#filterLoad ??= this.#loadFilter();
    return this.#filterLoad;
  }

  async #loadFilter(): Promise<BloomFilter | null> {
    try {
      const { filterOffset, filterLen } = this.info;
      return this.#setFilter(await this.#read(filterOffset, filterLen));
    } finally {
      this.#filterLoad = undefined;
    }
  }

  #setFilter(stored: Uint8Array): BloomFilter {
    const codec = this.info.compressionCodec;
    const raw = own(unframePart(codec, stored, `${this.path} filter`), codec === 'none');
    const filter = BloomFilter.decode(raw, `${this.path} filter`);
    this.#filter = filter;
    this.#cache?.put(this.#objectId, FILTER_PART, filter);
    this.#releaseTailIfDone();
    return filter;
  }

  /** The stats block (compacted-type SSTs), read on each call. */
  async stats(): Promise<SstStats | undefined> {
    const { statsOffset, statsLen, compressionCodec } = this.info;
    if (statsLen === 0) return undefined;
    const stored = await this.#read(statsOffset, statsLen);
    return decodeSstStats(unframePart(compressionCodec, stored, `${this.path} stats`), `${this.path} stats`);
  }

  /** False when the filter proves `key` absent; true otherwise (also when there is no filter). */
  mayContain(key: Uint8Array): MaybePromise<boolean> {
    return this.mayContainHash(filterHash(key));
  }

  /** As {@link mayContain}, for a hash computed once per key. */
  mayContainHash(hash: FilterHash): MaybePromise<boolean> {
    const f = this.filter();
    if (f instanceof Promise) return f.then((x) => x === null || x.mayContainHash(hash));
    return f === null || f.mayContainHash(hash);
  }

  /** Block `i` from the cache, or undefined. */
  cachedBlock(i: number): Block | undefined {
    return this.#cache?.get(this.#objectId, i) as Block | undefined;
  }

  /**
   * Block `i` when it is cached or the store can read it synchronously (then it is cached, when `cache`);
   * undefined otherwise. Requires the index to be loaded.
   */
  blockSync(i: number, cache = true): Block | undefined {
    const b = this.cachedBlock(i);
    if (b !== undefined || this.#blockLoads.has(i)) return b;
    const index = this.#index;
    if (index === undefined || this.store.tryGetSync === undefined) return undefined;
    const start = index.offsets[i]!;
    const end = i + 1 < index.blockCount ? index.offsets[i + 1]! : this.info.filterOffset;
    const bytes = this.#readSync(start, end - start);
    if (bytes === undefined) return undefined;
    const where = `${this.path} block ${i}`;
    const raw = unframePart(this.info.compressionCodec, bytes, where);
    const block = Block.decode(raw, this.blockVersion, where, true);
    if (cache) this.#cache?.put(this.#objectId, i, block);
    return block;
  }

  /**
   * Data block `i` for point reads (decoded with its directory); synchronous when cached or when the store
   * reads synchronously. Without `cache`, a block read from the store is not put in the block cache.
   */
  block(i: number, cache = true): MaybePromise<Block> {
    const b = this.blockSync(i, cache);
    if (b !== undefined) return b;
    let p = this.#blockLoads.get(i);
    if (p === undefined && !cache) return this.readBlocks(i, i + 1, false, true).then((bs) => bs[0]!);
    if (p === undefined) {
      p = this.readBlocks(i, i + 1, true, true).then((bs) => bs[0]!);
      const pending = p;
      this.#blockLoads.set(i, pending);
      void pending.then(
        () => this.#blockLoads.delete(i),
        () => this.#blockLoads.delete(i),
      );
    }
    return p;
  }

  /**
   * Reads blocks `[from, to)` with one GET, verifies and decodes them (with directories when `directory`, for
   * point reads); caches them when `cache`. A batch of more than SLICED_BATCH_BLOCKS blocks is decoded in time
   * slices (util/time-slice.ts), so the thread's other callbacks run meanwhile.
   */
  async readBlocks(from: number, to: number, cache: boolean, directory = false): Promise<Block[]> {
    let index = this.index();
    if (index instanceof Promise) index = await index;
    assert(
      from >= 0 && from < to && to <= index.blockCount,
      () => `block range ${from}..${to} out of bounds`,
    );
    const start = index.offsets[from]!;
    const end = to < index.blockCount ? index.offsets[to]! : this.info.filterOffset;
    const bytes = await this.#read(start, end - start);
    const codec = this.info.compressionCodec;
    const out: Block[] = [];
    // Decoding a large batch (a compaction's 4 MiB read-ahead is about a thousand blocks) takes tens of ms: slice it.
    const slice = to - from > SLICED_BATCH_BLOCKS ? new TimeSlice() : undefined;
    for (let i = from; i < to; i++) {
      if (slice?.due === true) await slice.next();
      const s = index.offsets[i]! - start;
      const e = (i + 1 < index.blockCount ? index.offsets[i + 1]! : this.info.filterOffset) - start;
      const where = `${this.path} block ${i}`;
      // A block read alone needs no copy; one of several must not pin the whole read buffer once cached.
      const raw = own(
        unframePart(codec, bytes.subarray(s, e), where),
        codec === 'none' && cache && to - from > 1,
      );
      const block = Block.decode(raw, this.blockVersion, where, directory);
      if (cache) this.#cache?.put(this.#objectId, i, block);
      out.push(block);
    }
    return out;
  }

  /** Every version of `key`, newest first (empty when absent). Synchronous when everything needed is cached. */
  get(key: Uint8Array): MaybePromise<RowEntry[]> {
    const out: RowEntry[] = [];
    const r = this.lookup(key, Number.MAX_SAFE_INTEGER, out, false);
    return r instanceof Promise ? r.then(() => out) : out;
  }

  /**
   * Appends the versions of `key` with seq <= `maxSeq` to `out`, newest first, and (when `stopAtTerminal`, the
   * default) stops after the first value or tombstone; true when such a terminal version was found.
   * Synchronous when everything needed is cached. The bloom filter is consulted before any block is read; when
   * the first block that could hold the key is already cached it is searched directly (a seek in a cached block
   * costs about what a filter probe does, and a present key skips the probe).
   */
  lookup(
    key: Uint8Array,
    maxSeq: number,
    out: RowEntry[],
    stopAtTerminal = true,
    cache = true,
  ): MaybePromise<boolean> {
    const index = this.#index ?? this.index();
    if (index instanceof Promise)
      return this.#lookupAsync(key, maxSeq, out, stopAtTerminal, -1, false, out.length, cache);
    const n = index.blockCount;
    if (n === 0) return false;
    const before = out.length;
    let positive = false;
    let i = index.firstBlockFor(key);
    let b = this.cachedBlock(i);
    if (b === undefined) {
      const f = this.filter();
      if (f instanceof Promise)
        return this.#lookupAsync(key, maxSeq, out, stopAtTerminal, -1, false, before, cache);
      if (f !== null) {
        positive = f.mayContain(key);
        if (!this.#countFilter(positive)) return false;
      }
      b = this.blockSync(i, cache);
      if (b === undefined)
        return this.#lookupAsync(key, maxSeq, out, stopAtTerminal, i, positive, before, cache);
    }
    this.#cursor ??= new BlockCursor(b);
    const c = this.#cursor;
    for (;;) {
      const r = collect(index, i, b, key, maxSeq, out, c, stopAtTerminal);
      if (r !== NEXT_BLOCK) {
        if (positive && out.length === before) this.#countFalsePositive();
        return r === TERMINAL;
      }
      i++;
      b = this.blockSync(i, cache);
      if (b === undefined)
        return this.#lookupAsync(key, maxSeq, out, stopAtTerminal, i, positive, before, cache);
    }
  }

  /** Counts a filter outcome; returns `positive`. */
  #countFilter(positive: boolean): boolean {
    const s = this.#filterStats;
    if (s !== undefined) {
      if (positive) s.positives++;
      else s.negatives++;
    }
    return positive;
  }

  #countFalsePositive(): void {
    if (this.#filterStats !== undefined) this.#filterStats.falsePositives++;
  }

  /** {@link lookup} from block `from`, reading blocks as needed; from -1 it checks the filter first. */
  async #lookupAsync(
    key: Uint8Array,
    maxSeq: number,
    out: RowEntry[],
    stopAtTerminal: boolean,
    from: number,
    filterPositive: boolean,
    before: number,
    cache: boolean,
  ): Promise<boolean> {
    let index = this.index();
    let positive = filterPositive;
    if (from < 0) {
      let f = this.filter();
      if (f instanceof Promise) f = await f;
      if (f !== null) {
        positive = f.mayContain(key);
        if (!this.#countFilter(positive)) return false;
      }
      if (index instanceof Promise) index = await index;
      from = index.firstBlockFor(key);
    }
    if (index instanceof Promise) index = await index;
    let terminal = false;
    for (let i = from; i < index.blockCount; i++) {
      let b = this.block(i, cache);
      if (b instanceof Promise) b = await b;
      const r = collect(index, i, b, key, maxSeq, out, new BlockCursor(b), stopAtTerminal);
      if (r !== NEXT_BLOCK) {
        terminal = r === TERMINAL;
        break;
      }
    }
    if (positive && out.length === before) this.#countFalsePositive();
    return terminal;
  }

  /**
   * Iterates rows of a compacted SST within `range` (ascending, or descending with `order: 'desc'`), or every
   * row of a WAL SST in stored order (no range).
   */
  iter(range: KeyRange = {}, options: SstIteratorOptions = {}): RowIterator {
    if (this.info.sstType === 'wal') {
      assert(
        range.start === undefined && range.end === undefined && options.order !== 'desc',
        'WAL SSTs are read whole, in stored order',
      );
    }
    return new SstIterator(this, range, options);
  }
}

/** Outcomes of searching one block for a key's versions. */
const DONE = 0;
const TERMINAL = 1;
const NEXT_BLOCK = 2;

/**
 * Appends the versions of `key` in block `i` with seq <= maxSeq to `out`. TERMINAL when a value or tombstone
 * was appended and `stop`; NEXT_BLOCK when the block ends on `key` and the next block may hold more versions.
 */
function collect(
  index: SstIndex,
  i: number,
  b: Block,
  key: Uint8Array,
  maxSeq: number,
  out: RowEntry[],
  c: BlockCursor,
  stop: boolean,
): number {
  c.reset(b);
  c.seek(key);
  while (c.nextKeyEquals(key)) {
    const row = c.next(key)!;
    if (row.seq > maxSeq) continue;
    out.push(row);
    if (stop && row.kind !== 'merge') return TERMINAL;
  }
  return c.atEnd() && i + 1 < index.blockCount && compareBytes(index.keys[i + 1]!, key) <= 0
    ? NEXT_BLOCK
    : DONE;
}

function checkInfo(info: SsTableInfo, infoOffset: number, where: string): void {
  const end = (o: number, l: number): number => o + l;
  const ok =
    end(info.filterOffset, info.filterLen) <= infoOffset &&
    info.indexOffset >= info.filterOffset &&
    end(info.indexOffset, info.indexLen) <= infoOffset &&
    info.indexLen >= 4 &&
    (info.statsLen === 0 ||
      (info.statsOffset >= info.indexOffset && end(info.statsOffset, info.statsLen) <= infoOffset)) &&
    (info.filterLen === 0 || info.filterLen >= 4);
  if (!ok) throw dataError('INVALID_FORMAT', `${where}: info offsets are inconsistent with the object`);
}

function tailBytesOf(options: SstReaderOptions): number {
  return Math.max(FOOTER_SIZE, options.tailBytes ?? 16 * 1024);
}

/** Checks a suffix read and decodes its footer. */
function checkTail(got: GetResult, path: string): { size: number; infoOffset: number; version: number } {
  const size = got.meta.size;
  if (got.offset + got.bytes.length !== size)
    throw dataError('INVALID_FORMAT', `${path}: short read of the tail`);
  const { infoOffset, version } = decodeFooter(
    got.bytes.subarray(got.bytes.length - FOOTER_SIZE),
    size,
    path,
  );
  return { size, infoOffset, version };
}
