/**
 * Journal replay: reads retained segments in order and yields every durable record from an LSN on, checking each
 * segment header, each record's CRC-32C and the LSN continuity between segments.
 *
 * Invariants: yields LSNs strictly increasing by one from max(fromLsn, first retained); stops at the durable
 * bound captured when replay began. Any damage is a data error naming the segment and offset (JOURNAL_CORRUPT),
 * a discontinuity between segments is JOURNAL_GAP: nothing damaged is ever yielded.
 * Concurrency: runs beside appends (the active segment is read only up to its durable end); trimming the range
 * being replayed makes the replay fail with an IoError.
 */
import { dataError } from '../util/errors.js';
import type { FileHandle, FileSystem } from './file-system.js';
import { toIoError } from './io-error.js';
import { decodeSegmentHeader, SEGMENT_HEADER_BYTES } from './journal-format.js';
import { SegmentReader } from './journal-reader.js';
import { checkHeader, readFully, type SegmentInfo } from './journal-recovery.js';

/** Where the active segment's durable data ends when the replay starts. */
export interface ActiveBound {
  readonly path: string;
  readonly durableEnd: number;
}

/** A record read back. */
export interface ReplayedRecord {
  readonly lsn: number;
  readonly payload: Uint8Array;
}

/** Replays `segments` (oldest first) from `fromLsn` through `durableLsn`. */
export async function* replaySegments(
  fs: FileSystem,
  segments: readonly SegmentInfo[],
  fromLsn: number,
  durableLsn: number,
  active: ActiveBound,
): AsyncGenerator<ReplayedRecord> {
  let expectBase: number | undefined;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    if (next !== undefined && next.baseLsn <= fromLsn) continue;
    if (seg.baseLsn > durableLsn) return;
    if (expectBase !== undefined && seg.baseLsn !== expectBase) {
      throw dataError(
        'JOURNAL_GAP',
        `journal segment ${seg.path} starts at LSN ${seg.baseLsn}, expected ${expectBase}`,
      );
    }
    const handle = await openRead(fs, seg.path);
    try {
      const end = seg.path === active.path ? active.durableEnd : await handle.size();
      const reader = await readerFor(handle, seg, end);
      for (;;) {
        const step = await reader.next();
        if (step.kind === 'end') break;
        if (step.kind === 'invalid') {
          throw dataError(
            'JOURNAL_CORRUPT',
            `journal segment ${seg.path}: ${step.tail} at offset ${step.offset} (${step.detail})`,
          );
        }
        if (step.lsn > durableLsn) return;
        if (step.lsn >= fromLsn) yield { lsn: step.lsn, payload: step.payload };
      }
      expectBase = reader.nextLsn;
    } finally {
      await handle.close().catch(() => {});
    }
  }
}

async function openRead(fs: FileSystem, path: string): Promise<FileHandle> {
  try {
    return await fs.open(path, 'read');
  } catch (e) {
    throw toIoError('open', path, e);
  }
}

async function readerFor(handle: FileHandle, seg: SegmentInfo, end: number): Promise<SegmentReader> {
  const head = new Uint8Array(SEGMENT_HEADER_BYTES);
  const n = await readFully(handle, head, 0);
  const header = decodeSegmentHeader(head.subarray(0, n));
  if (!header.ok) {
    throw dataError(
      'JOURNAL_CORRUPT',
      `journal segment ${seg.path}: ${header.tail} in the header (${header.detail})`,
    );
  }
  checkHeader(seg, head, header.baseLsn);
  return new SegmentReader(handle, header.baseLsn, end);
}
