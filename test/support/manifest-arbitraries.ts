/**
 * fast-check arbitraries for manifests and compactions files: every field, optional parts present or absent,
 * ids across their ranges.
 *
 * Invariants: generated values satisfy the model's rules (safe-integer u64s, u32 times, non-empty bound keys).
 * Concurrency: pure.
 */
import fc from 'fast-check';
import type { Compaction, Compactions } from '../../src/format/compactions.js';
import type {
  BytesBound,
  Checkpoint,
  CompactedSsTable,
  ExternalDb,
  Manifest,
} from '../../src/format/manifest.js';
import { SequenceTracker } from '../../src/format/sequence-tracker.js';
import type { SsTableInfo } from '../../src/format/sst-info.js';
import { Ulid, Uuid } from '../../src/util/ids.js';

const u64 = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const big64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

export const ulidArb: fc.Arbitrary<Ulid> = fc.tuple(big64, big64).map(([h, l]) => new Ulid(h, l));
export const uuidArb: fc.Arbitrary<Uuid> = fc.tuple(big64, big64).map(([h, l]) => Uuid.fromHighLow(h, l));

export const sstInfoArb: fc.Arbitrary<SsTableInfo> = fc.record({
  firstEntry: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: undefined }),
  lastEntry: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: undefined }),
  indexOffset: u64,
  indexLen: u64,
  filterOffset: u64,
  filterLen: u64,
  compressionCodec: fc.constantFrom('none', 'snappy', 'zlib', 'lz4', 'zstd'),
  sstType: fc.constantFrom('compacted', 'wal'),
  statsOffset: u64,
  statsLen: u64,
});

const boundArb: fc.Arbitrary<BytesBound> = fc.oneof(
  fc.constant({ type: 'unbounded' as const }),
  fc.record({
    type: fc.constantFrom('included' as const, 'excluded' as const),
    key: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
);

export const compactedSstArb: fc.Arbitrary<CompactedSsTable> = fc.record({
  id: ulidArb,
  info: sstInfoArb,
  visibleRange: fc.option(fc.record({ start: boundArb, end: boundArb }), { nil: undefined }),
  formatVersion: fc.constantFrom(1, 2),
});

const checkpointArb: fc.Arbitrary<Checkpoint> = fc.record({
  id: uuidArb,
  manifestId: u64,
  expireTimeS: u32,
  createTimeS: u32,
  name: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
});

const externalDbArb: fc.Arbitrary<ExternalDb> = fc.record({
  path: fc.string({ maxLength: 20 }),
  sourceCheckpointId: uuidArb,
  finalCheckpointId: fc.option(uuidArb, { nil: undefined }),
  sstIds: fc.array(ulidArb, { maxLength: 3 }),
});

const trackerArb: fc.Arbitrary<Uint8Array> = fc
  .array(fc.tuple(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: 0n, max: 1n << 33n })), {
    maxLength: 12,
  })
  .map((pairs) => {
    const t = new SequenceTracker();
    let s = 0n;
    let ts = 1_700_000_000n;
    for (const [ds, dt] of pairs) {
      s += ds;
      ts += dt;
      t.insert(s, ts);
    }
    return t.toBytes();
  });

export const manifestArb: fc.Arbitrary<Manifest> = fc.record({
  externalDbs: fc.array(externalDbArb, { maxLength: 2 }),
  initialized: fc.boolean(),
  writerEpoch: u64,
  compactorEpoch: u64,
  replayAfterWalId: u64,
  walIdLastSeen: u64,
  l0LastCompacted: fc.option(ulidArb, { nil: undefined }),
  l0: fc.array(compactedSstArb, { maxLength: 4 }),
  compacted: fc.array(fc.record({ id: u32, ssts: fc.array(compactedSstArb, { maxLength: 3 }) }), {
    maxLength: 3,
  }),
  lastL0ClockTick: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  checkpoints: fc.array(checkpointArb, { maxLength: 3 }),
  lastL0Seq: u64,
  walObjectStoreUri: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  recentSnapshotMinSeq: u64,
  sequenceTracker: trackerArb,
});

const compactionArb: fc.Arbitrary<Compaction> = fc.record({
  id: ulidArb,
  spec: fc.record({
    l0ViewIds: fc.array(ulidArb, { maxLength: 4 }),
    sortedRuns: fc.array(u32, { maxLength: 4 }),
  }),
  status: fc.constantFrom('submitted', 'running', 'completed', 'failed'),
  outputSsts: fc.array(compactedSstArb, { maxLength: 2 }),
});

export const compactionsArb: fc.Arbitrary<Compactions> = fc.record({
  compactorEpoch: u64,
  recentCompactions: fc.array(compactionArb, { maxLength: 4 }),
});
