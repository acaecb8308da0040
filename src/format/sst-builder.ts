/**
 * SstBuilder and WalSstBuilder: encode rows into a compacted-type SST (L0, sorted run, the writer fence) or a
 * WAL SST, byte-identical to what SlateDB 0.12.1 writes for the same rows and settings
 * (docs/format.md#sst-layout).
 *
 * Format: data blocks (each framed with a CRC) ‖ [filter] ‖ index ‖ [stats] ‖ info ‖ footer; see sst-framing.ts.
 * Compacted SSTs carry a filter when rows >= minFilterKeys and always a stats block; WAL SSTs carry neither.
 * Invariants: compacted rows arrive in compareRows order (key ascending, seq descending), WAL rows in
 * non-decreasing seq order (asserted). Index keys and flatbuffer objects are created in SlateDB's order (a block's
 * index key when the block starts, its BlockMeta when it ends), so the index bytes match.
 * Concurrency: single owner; synchronous (compression runs on the calling thread).
 */
import type { Offset } from 'flatbuffers';
import { assert } from '../util/assert.js';
import { writeU32BE, writeU64BE } from '../util/bytes.js';
import { crc32 } from '../util/crc.js';
import type { TimeSlice } from '../util/time-slice.js';
import { BlockBuilder } from './block-builder.js';
import { BlockV1Builder } from './block-v1-builder.js';
import { BloomFilterBuilder } from './bloom-filter.js';
import type { CompressionCodec } from './compression.js';
import { type Builder, createBytes, newBuilder } from './flatbuffer-writer.js';
import { compareRows, type RowEntry } from './row.js';
import { CHECKSUM_SIZE, encodeFooter, FOOTER_SIZE, framePart } from './sst-framing.js';
import { addBlockMeta, finishIndex, indexKey } from './sst-index.js';
import { encodeSsTableInfo, type SsTableInfo, type SstType } from './sst-info.js';
import { emptyStats, encodeSstStats, type SstStats } from './sst-stats.js';
import { SST_FORMAT_V1, SST_FORMAT_V2 } from './versions.js';

/** Settings of an SST builder; the defaults are SlateDB 0.12.1's. */
export interface SstBuilderOptions {
  /** Target raw block size, 1..65536 (default 4096). */
  readonly blockSize?: number;
  /** Codec for every block (default 'none'). */
  readonly compression?: CompressionCodec;
  /** Build a bloom filter when the SST has at least this many rows (default 1000). */
  readonly minFilterKeys?: number;
  /** Bloom bits per row (default 10). */
  readonly filterBitsPerKey?: number;
  /** SST format version: 2 (default) or 1 (V1 blocks; only to test that old SSTs are read). */
  readonly formatVersion?: number;
  /** Expected size of the SST in bytes (sizes the output buffer once instead of growing it). */
  readonly sizeHint?: number;
}

/** A finished SST. */
export interface EncodedSst {
  readonly info: SsTableInfo;
  /** The footer's format version (and the one to record in the manifest). */
  readonly formatVersion: number;
  /** The object's bytes in order (blocks not taken with takeChunks, then the metadata tail). */
  readonly chunks: readonly Uint8Array[];
  /** Size of the whole object. */
  readonly size: number;
  /** Rows written. */
  readonly rowCount: number;
  /** The stats block's content (compacted-type SSTs). */
  readonly stats: SstStats | undefined;
}

/** Concatenates an EncodedSst's chunks (when none were taken early). */
export function sstBytes(sst: EncodedSst): Uint8Array {
  if (sst.chunks.length === 1) return sst.chunks[0]!;
  const out = new Uint8Array(sst.chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of sst.chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** The block-level machinery shared by both builders: blocks, framing, chunks and the index flatbuffer. */
class BlockSink {
  readonly codec: CompressionCodec;
  readonly version: number;
  readonly #block: BlockBuilder | BlockV1Builder;
  readonly fb: Builder = newBuilder(4096);
  readonly #metas: Offset[] = [];
  #pendingKey: Offset = 0;
  /** Finished parts not yet taken, back to back in one growable buffer (no allocation per block). */
  #out: Uint8Array;
  #outLen = 0;
  /** Bytes of finished (framed) data blocks. */
  dataBytes = 0;

  constructor(options: SstBuilderOptions) {
    this.codec = options.compression ?? 'none';
    this.version = options.formatVersion ?? SST_FORMAT_V2;
    assert(
      this.version === SST_FORMAT_V1 || this.version === SST_FORMAT_V2,
      'SST format version must be 1 or 2',
    );
    const size = options.blockSize ?? 4096;
    const hint = options.sizeHint ?? 0;
    this.#out = new Uint8Array(
      Math.min(Math.max(64 * 1024, Math.ceil(hint * 1.1) + 64 * 1024), 512 * 1024 * 1024),
    );
    this.#block = this.version === SST_FORMAT_V2 ? new BlockBuilder(size) : new BlockV1Builder(size);
  }

  get blockCount(): number {
    return this.#metas.length;
  }

  get currentBlockSize(): number {
    return this.#block.isEmpty ? 0 : this.#block.size;
  }

  get blockIsEmpty(): boolean {
    return this.#block.isEmpty;
  }

  /** True when `row` fits the current block. */
  fits(row: RowEntry): boolean {
    return this.#block.wouldFit(row);
  }

  /** Adds `row` to the current block if it fits; false when the block must be finished first. */
  tryAdd(row: RowEntry): boolean {
    return this.#block.add(row);
  }

  #reserveOut(n: number): void {
    if (this.#outLen + n <= this.#out.length) return;
    const grown = new Uint8Array(Math.max(this.#outLen + n, this.#out.length * 2));
    grown.set(this.#out.subarray(0, this.#outLen));
    this.#out = grown;
  }

  /** Records the index key of the block about to start. */
  startBlock(key: Uint8Array): void {
    this.#pendingKey = createBytes(this.fb, key);
  }

  /** Adds a row that fits. */
  add(row: RowEntry): void {
    const ok = this.#block.add(row);
    assert(ok, 'row did not fit a block that said it would');
  }

  /** Frames the current block (if any); returns its stored size. */
  finishBlock(): number | undefined {
    if (this.#block.isEmpty) return undefined;
    const start = this.#outLen;
    if (this.codec === 'none' && this.#block instanceof BlockBuilder) {
      // Frame in place in the output buffer: the block, then its CRC.
      this.#reserveOut(this.#block.size + CHECKSUM_SIZE);
      const end = this.#block.finishInto(this.#out, start);
      writeU32BE(this.#out, end, crc32(this.#out.subarray(start, end)));
      this.#outLen = end + CHECKSUM_SIZE;
    } else {
      const part = framePart(this.codec, this.#block.finish());
      this.#reserveOut(part.length);
      this.#out.set(part, start);
      this.#outLen = start + part.length;
    }
    const n = this.#outLen - start;
    this.#metas.push(addBlockMeta(this.fb, this.dataBytes, this.#pendingKey));
    this.#pendingKey = 0;
    this.dataBytes += n;
    return n;
  }

  /** The finished parts not taken yet, as one copied chunk (the buffer is reused). */
  takeChunks(): Uint8Array[] {
    if (this.#outLen === 0) return [];
    const c = this.#out.slice(0, this.#outLen);
    this.#outLen = 0;
    return [c];
  }

  /** Appends `tail` and hands over the buffer: the remaining bytes of the object as one chunk. */
  finishChunks(tail: Uint8Array): Uint8Array[] {
    this.#reserveOut(tail.length);
    this.#out.set(tail, this.#outLen);
    this.#outLen += tail.length;
    const c = this.#out.subarray(0, this.#outLen);
    this.#out = new Uint8Array(0);
    this.#outLen = 0;
    return [c];
  }

  finishIndex(): Uint8Array {
    return finishIndex(this.fb, this.#metas);
  }
}

/** Assembles the metadata tail: [filter] ‖ index ‖ [stats] ‖ info ‖ footer. */
function encodeTail(
  sink: BlockSink,
  type: SstType,
  firstEntry: Uint8Array | undefined,
  lastEntry: Uint8Array | undefined,
  filter: Uint8Array | undefined,
  stats: SstStats | undefined,
): { tail: Uint8Array; info: SsTableInfo } {
  const parts: Uint8Array[] = [];
  let off = sink.dataBytes;
  const filterOffset = off;
  let filterLen = 0;
  if (filter !== undefined) {
    const p = framePart(sink.codec, filter);
    parts.push(p);
    filterLen = p.length;
    off += p.length;
  }
  const indexPart = framePart(sink.codec, sink.finishIndex());
  const indexOffset = off;
  parts.push(indexPart);
  off += indexPart.length;
  let statsOffset = 0;
  let statsLen = 0;
  if (stats !== undefined) {
    const p = framePart(sink.codec, encodeSstStats(stats));
    statsOffset = off;
    statsLen = p.length;
    parts.push(p);
    off += p.length;
  }
  const info: SsTableInfo = {
    firstEntry,
    lastEntry,
    indexOffset,
    indexLen: indexPart.length,
    filterOffset,
    filterLen,
    compressionCodec: sink.codec,
    sstType: type,
    statsOffset,
    statsLen,
  };
  const infoBytes = encodeSsTableInfo(info);
  const infoOffset = off;
  let size = parts.reduce((n, p) => n + p.length, 0) + infoBytes.length + CHECKSUM_SIZE + FOOTER_SIZE;
  const tail = new Uint8Array(size);
  size = 0;
  for (const p of parts) {
    tail.set(p, size);
    size += p.length;
  }
  tail.set(infoBytes, size);
  size += infoBytes.length;
  writeU32BE(tail, size, crc32(infoBytes));
  size += CHECKSUM_SIZE;
  tail.set(encodeFooter(infoOffset, sink.version), size);
  return { tail, info };
}

/** Builds a compacted-type SST (L0, sorted run, or, with no rows, the writer fence). */
export class SstBuilder {
  readonly #sink: BlockSink;
  readonly #filter: BloomFilterBuilder;
  readonly #minFilterKeys: number;
  readonly #stats: SstStats = emptyStats();
  #blockPuts = 0;
  #blockDeletes = 0;
  #blockMerges = 0;
  #first: RowEntry | undefined;
  #last: RowEntry | undefined;
  #rows = 0;
  #taken = 0;

  constructor(options: SstBuilderOptions = {}) {
    this.#sink = new BlockSink(options);
    this.#filter = new BloomFilterBuilder(options.filterBitsPerKey ?? 10);
    this.#minFilterKeys = options.minFilterKeys ?? 1000;
  }

  /** Rows added. */
  get rowCount(): number {
    return this.#rows;
  }

  /** Stored bytes of the data blocks finished so far (SlateDB's measure for rolling compaction outputs). */
  get finishedBlockBytes(): number {
    return this.#sink.dataBytes;
  }

  /** Estimated size of the whole SST if finished now. */
  estimatedSize(): number {
    const filter =
      this.#rows >= this.#minFilterKeys ? Math.ceil((this.#rows * this.#filter.bitsPerKey) / 8) + 6 : 0;
    const blocks = this.#sink.blockCount + 1;
    return this.#sink.dataBytes + this.#sink.currentBlockSize + filter + blocks * 40 + 200;
  }

  /**
   * Adds the next row; returns the stored size of a block this finished, if any.
   * Requires: rows in compareRows order (key ascending, then seq descending).
   */
  add(row: RowEntry): number | undefined {
    const prev = this.#last;
    assert(
      prev === undefined || compareRows(prev, row) < 0,
      'SST rows must be in key order, newest version first',
    );
    let finished: number | undefined;
    if (prev === undefined) {
      this.#sink.startBlock(indexKey(undefined, row.key));
      this.#sink.add(row);
    } else if (!this.#sink.tryAdd(row)) {
      finished = this.#finishBlock();
      this.#sink.startBlock(indexKey(prev.key, row.key));
      this.#sink.add(row);
    }
    this.#filter.addKey(row.key);
    this.#stats.rawKeySize += row.key.length;
    if (row.kind === 'value') this.#blockPuts++;
    else if (row.kind === 'tombstone') this.#blockDeletes++;
    else this.#blockMerges++;
    if (row.kind !== 'tombstone') this.#stats.rawValSize += row.value.length;
    this.#first ??= row;
    this.#last = row;
    this.#rows++;
    return finished;
  }

  #finishBlock(): number | undefined {
    const n = this.#sink.finishBlock();
    if (n === undefined) return undefined;
    const s = this.#stats;
    s.numPuts += this.#blockPuts;
    s.numDeletes += this.#blockDeletes;
    s.numMerges += this.#blockMerges;
    s.blockStats.push({
      numPuts: this.#blockPuts,
      numDeletes: this.#blockDeletes,
      numMerges: this.#blockMerges,
    });
    this.#blockPuts = 0;
    this.#blockDeletes = 0;
    this.#blockMerges = 0;
    return n;
  }

  /** Finished data blocks not yet taken, in order (to upload while building). */
  takeChunks(): Uint8Array[] {
    const c = this.#sink.takeChunks();
    for (const x of c) this.#taken += x.length;
    return c;
  }

  /** Finishes the SST. The builder must not be used afterwards. */
  finish(): EncodedSst {
    return this.#finishWith(this.#useFilter() ? this.#filter.build() : undefined);
  }

  /** As `finish`, building the filter in steps that yield whenever `slice` is used up. */
  async finishAsync(slice: TimeSlice): Promise<EncodedSst> {
    return this.#finishWith(this.#useFilter() ? await this.#filter.buildAsync(slice) : undefined);
  }

  #useFilter(): boolean {
    return this.#rows > 0 && this.#rows >= this.#minFilterKeys;
  }

  #finishWith(filter: Uint8Array | undefined): EncodedSst {
    this.#finishBlock();
    const { tail, info } = encodeTail(
      this.#sink,
      'compacted',
      this.#first?.key,
      this.#last?.key,
      filter,
      this.#stats,
    );
    const chunks = this.#sink.finishChunks(tail);
    return {
      info,
      formatVersion: this.#sink.version,
      chunks,
      size: this.#sink.dataBytes + tail.length,
      rowCount: this.#rows,
      stats: this.#stats,
    };
  }
}

function seqBytesOf(seq: number): Uint8Array {
  const b = new Uint8Array(8);
  writeU64BE(b, 0, seq);
  return b;
}

/** Builds a WAL SST: rows in commit order, index keys and first entry are 8-byte BE seqs. */
export class WalSstBuilder {
  readonly #sink: BlockSink;
  #firstSeq: Uint8Array | undefined;
  #lastSeq = -1;
  #rows = 0;

  constructor(options: Omit<SstBuilderOptions, 'minFilterKeys' | 'filterBitsPerKey'> = {}) {
    this.#sink = new BlockSink(options);
  }

  get rowCount(): number {
    return this.#rows;
  }

  get finishedBlockBytes(): number {
    return this.#sink.dataBytes;
  }

  /** Estimated size of the whole SST if finished now. */
  estimatedSize(): number {
    return this.#sink.dataBytes + this.#sink.currentBlockSize + (this.#sink.blockCount + 1) * 40 + 160;
  }

  /** Adds the next row; returns the stored size of a block this finished. Requires: seq never decreases. */
  add(row: RowEntry): number | undefined {
    assert(row.seq >= this.#lastSeq, 'WAL rows must be in non-decreasing seq order');
    let finished: number | undefined;
    if (this.#firstSeq === undefined) {
      this.#firstSeq = seqBytesOf(row.seq);
      this.#sink.startBlock(this.#firstSeq);
      this.#sink.add(row);
    } else if (!this.#sink.tryAdd(row)) {
      finished = this.#sink.finishBlock();
      this.#sink.startBlock(seqBytesOf(row.seq));
      this.#sink.add(row);
    }
    this.#lastSeq = row.seq;
    this.#rows++;
    return finished;
  }

  /** Finishes the WAL SST. */
  finish(): EncodedSst {
    this.#sink.finishBlock();
    const { tail, info } = encodeTail(this.#sink, 'wal', this.#firstSeq, undefined, undefined, undefined);
    const chunks = this.#sink.finishChunks(tail);
    return {
      info,
      formatVersion: this.#sink.version,
      chunks,
      size: this.#sink.dataBytes + tail.length,
      rowCount: this.#rows,
      stats: undefined,
    };
  }
}

/**
 * The 0.12.1 writer fence: an empty compacted-type SST (no blocks, an empty index, all-zero stats), written to
 * `wal/{id}.sst` with create-if-absent. 114 bytes with no codec.
 */
export function encodeFenceSst(compression: CompressionCodec = 'none'): Uint8Array {
  return sstBytes(new SstBuilder({ compression }).finish());
}
