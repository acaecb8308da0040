/**
 * Appends a flushed memtable's (seq, time) samples to the manifest's sequence tracker blob (RFC-0012), as each
 * L0 flush does in 0.12.1.
 *
 * Invariants: samples are appended through SequenceTracker.insert (at most one per 60 s, capacity-bounded by
 * downsampling); the 60 s spacing holds across the flushes of one process, because the caller carries the last
 * accepted sample time from one flush to the next (0.12.1 keeps it in its in-memory tracker; a newly opened writer
 * starts without one); the result is a valid tracker encoding; a blob that cannot be decoded is a data error.
 * Concurrency: pure.
 */
import { SequenceTracker } from '../format/sequence-tracker.js';
import type { SequenceSample } from '../lsm/memtable.js';

/** A tracker blob and the last sample time accepted into it by this process. */
export interface TrackerAppend {
  readonly blob: Uint8Array;
  readonly lastRecordedS: bigint | undefined;
}

/**
 * The tracker blob with `samples` appended; `lastRecordedS` is the last sample time this process accepted (from
 * the previous call's result; undefined for the first flush of a process).
 */
export function appendSequenceSamples(
  blob: Uint8Array,
  samples: readonly SequenceSample[],
  lastRecordedS: bigint | undefined,
): TrackerAppend {
  if (samples.length === 0) return { blob, lastRecordedS };
  const t = SequenceTracker.fromBytes(blob, 'manifest sequence tracker');
  t.lastRecordedS = lastRecordedS;
  const n = t.seqs.length;
  for (const s of samples) {
    const seq = BigInt(s.seq);
    const ts = BigInt(s.tsSeconds);
    const last = t.seqs.length - 1;
    // A sample older than the tracker's last one (clock or replay order) would be rejected; skip it.
    if (last >= 0 && (seq < t.seqs[last]! || ts < t.timestampsS[last]!)) continue;
    t.insert(seq, ts);
  }
  return { blob: t.seqs.length === n ? blob : t.toBytes(), lastRecordedS: t.lastRecordedS };
}
