/**
 * SstStats: the stats block of compacted-type SSTs (row counts, raw key and value bytes, per-block counts)
 * (docs/format.md#stats-block).
 *
 * Format: flatbuffer `SstStats { num_puts, num_deletes, num_merges, raw_key_size, raw_val_size: u64,
 * block_stats: [BlockStats { num_puts, num_deletes, num_merges: u16 }] }`; block_stats is omitted when empty.
 * Invariants: per-block counts are u16 (a block holds at most 65535 rows); `rawValSize` counts tombstones as 0.
 * Concurrency: plain values; pure codec functions.
 */
import { FbReader } from './flatbuffer-reader.js';
import { createOffsetVector, finishBytes, newBuilder, u64 } from './flatbuffer-writer.js';

/** Row counts of one data block. */
export interface BlockStats {
  numPuts: number;
  numDeletes: number;
  numMerges: number;
}

/** Stats of one SST. */
export interface SstStats {
  numPuts: number;
  numDeletes: number;
  numMerges: number;
  rawKeySize: number;
  rawValSize: number;
  blockStats: BlockStats[];
}

/** Empty stats. */
export function emptyStats(): SstStats {
  return { numPuts: 0, numDeletes: 0, numMerges: 0, rawKeySize: 0, rawValSize: 0, blockStats: [] };
}

/** Encodes stats (block stats tables first, then their vector, then SstStats, as Rust does). */
export function encodeSstStats(s: SstStats): Uint8Array {
  const b = newBuilder(64 + s.blockStats.length * 16);
  const metas = s.blockStats.map((bs) => {
    b.startObject(3);
    b.addFieldInt16(2, bs.numMerges, 0);
    b.addFieldInt16(1, bs.numDeletes, 0);
    b.addFieldInt16(0, bs.numPuts, 0);
    return b.endObject();
  });
  const vec = metas.length === 0 ? 0 : createOffsetVector(b, metas);
  b.startObject(6);
  b.addFieldInt64(4, u64(s.rawValSize), 0n);
  b.addFieldInt64(3, u64(s.rawKeySize), 0n);
  b.addFieldInt64(2, u64(s.numMerges), 0n);
  b.addFieldInt64(1, u64(s.numDeletes), 0n);
  b.addFieldInt64(0, u64(s.numPuts), 0n);
  if (vec !== 0) b.addFieldOffset(5, vec, 0);
  return finishBytes(b, b.endObject());
}

/** Decodes a stats block. */
export function decodeSstStats(bytes: Uint8Array, what: string): SstStats {
  const t = new FbReader(bytes, what).root();
  return {
    numPuts: t.u64(0),
    numDeletes: t.u64(1),
    numMerges: t.u64(2),
    rawKeySize: t.u64(3),
    rawValSize: t.u64(4),
    blockStats:
      t.tables(5, (bt) => ({ numPuts: bt.u16(0), numDeletes: bt.u16(1), numMerges: bt.u16(2) })) ?? [],
  };
}
