/**
 * SeqOracle: the writer's sequence-number watermarks, as in SlateDB's DbOracle.
 *
 * Invariants: durableSeq <= lastCommittedSeq <= lastSeq, all non-decreasing. `lastSeq` is the last seq handed out,
 * `lastCommittedSeq` the last one visible to reads (a write is committed once it is in the memtable),
 * `durableSeq` the last one in a durable WAL SST (or L0 when the WAL is off).
 * Concurrency: single event loop; writers and the WAL task update it in synchronous stretches.
 */
import { assert } from '../util/assert.js';

/** Seq watermarks. */
export class SeqOracle {
  lastSeq: number;
  lastCommittedSeq: number;
  durableSeq: number;
  /** Called after durableSeq advanced (the status watch). */
  onDurable: (() => void) | undefined = undefined;

  constructor(initial: number) {
    this.lastSeq = initial;
    this.lastCommittedSeq = initial;
    this.durableSeq = initial;
  }

  /** Hands out the next seq. */
  nextSeq(): number {
    this.lastSeq += 1;
    return this.lastSeq;
  }

  /** Marks `seq` visible. */
  commit(seq: number): void {
    assert(seq <= this.lastSeq, 'commit of a seq never handed out');
    if (seq > this.lastCommittedSeq) this.lastCommittedSeq = seq;
  }

  /** Marks everything up to `seq` durable. */
  advanceDurable(seq: number): void {
    if (seq > this.durableSeq) {
      this.durableSeq = seq;
      this.onDurable?.();
    }
  }
}
