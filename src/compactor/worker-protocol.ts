/**
 * The compaction range task of the worker pool (docs/design/0006-background-workers.md; the generic messages are
 * in src/util/worker-protocol.ts). A task is one key range of one compaction; the worker asks the main thread for
 * every object-store read and hands it every output byte, because object stores (including user-supplied ones)
 * live on the main thread.
 *
 * Invariants: every value is structured-clonable (ULIDs travel as strings); byte payloads travel in ArrayBuffers
 * of their own (copied once, then transferred), never as views of a buffer someone else still uses.
 * Concurrency: plain values.
 */

import type { CompactedSsTable } from '../format/manifest.js';
import type { KeyRange } from '../format/row-iterator.js';
import type { GetRange } from '../object-store/object-store.js';
import type { CompressionCodec } from '../store/settings.js';
import { Ulid } from '../util/ids.js';
import type { SstOutputMeta } from './range-writer.js';

export { ownedCopy } from '../util/worker-protocol.js';

/** The task kind of a compaction range. */
export const RANGE_TASK = 'compaction-range';

/** An input SST as it crosses threads. */
export interface WireSst {
  readonly id: string;
  readonly info: CompactedSsTable['info'];
  readonly formatVersion: number;
}

/** Everything a worker needs to compact one key range of one job. */
export interface RangeTask {
  readonly root: string;
  /** Input SSTs a clone shares with the databases it was cloned from: SST id text -> that database's root. */
  readonly externalRoots: readonly (readonly [string, string])[];
  readonly table: {
    readonly codec: CompressionCodec;
    readonly blockSize: number;
    readonly minFilterKeys: number;
    readonly filterBitsPerKey: number;
  };
  /** L0 sources, newest first. */
  readonly l0: readonly WireSst[];
  /** Sorted-run sources, highest id first. */
  readonly sortedRuns: readonly { readonly id: number; readonly ssts: readonly WireSst[] }[];
  readonly range: KeyRange;
  readonly retentionMinSeq: number;
  readonly isDestLastRun: boolean;
  readonly expiryTickMs: number;
  readonly maxSstSize: number;
  readonly readAheadBytes: number;
  readonly uploadChunkBytes: number;
}

/** A worker's request to the main thread (each answered by one 'reply'). */
export type WorkerRequest =
  /** Read `path` (range) from the store; the reply is {bytes, offset, size}. */
  | { readonly op: 'get'; readonly path: string; readonly range: GetRange }
  /** An output SST starts. */
  | { readonly op: 'begin' }
  /** The next bytes of the current output SST; replied once the upload took them. */
  | { readonly op: 'chunk'; readonly bytes: Uint8Array }
  /** The current output SST is complete; replied once it is stored. */
  | { readonly op: 'end'; readonly meta: SstOutputMeta };

/** The reply to a 'get'. */
export interface WireGot {
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly size: number;
}

/** An input SST for the wire. */
export function toWireSst(s: CompactedSsTable): WireSst {
  return { id: s.id.toString(), info: s.info, formatVersion: s.formatVersion };
}

/** An input SST from the wire. */
export function fromWireSst(s: WireSst): CompactedSsTable {
  return { id: Ulid.parse(s.id), info: s.info, formatVersion: s.formatVersion };
}
