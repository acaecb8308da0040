/**
 * Appends a flushed memtable's (seq, time) samples to the manifest's sequence tracker blob (RFC-0012), as each
 * L0 flush does in 0.12.1.
 *
 * Invariants: samples are appended through SequenceTracker.insert (at most one per 60 s, capacity-bounded by
 * downsampling); the result is a valid tracker encoding; a blob that cannot be decoded is a data error.
 * Concurrency: pure.
 */
import { SequenceTracker } from '../format/sequence-tracker.js';
import type { SequenceSample } from '../lsm/memtable.js';

/** The tracker blob with `samples` appended. */
export function appendSequenceSamples(blob: Uint8Array, samples: readonly SequenceSample[]): Uint8Array {
  if (samples.length === 0) return blob;
  const t = SequenceTracker.fromBytes(blob, 'manifest sequence tracker');
  const n = t.seqs.length;
  for (const s of samples) {
    const seq = BigInt(s.seq);
    const ts = BigInt(s.tsSeconds);
    const last = t.seqs.length - 1;
    // A sample older than the tracker's last one (clock or replay order) would be rejected; skip it.
    if (last >= 0 && (seq < t.seqs[last]! || ts < t.timestampsS[last]!)) continue;
    t.insert(seq, ts);
  }
  return t.seqs.length === n ? blob : t.toBytes();
}
