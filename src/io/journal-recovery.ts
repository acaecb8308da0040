/**
 * Journal recovery at open, and segment creation: finds the segments, classifies how the last one ends, cuts a
 * torn tail (or redoes a torn segment creation) durably, and reports what it did.
 *
 * Invariants: a segment's records are written only after its header was flushed and its directory entry
 * fsynced, so a last segment whose header is invalid and that holds no more than a header's bytes is a torn
 * creation (rewritten); an invalid header followed by more bytes is corruption (a data error, nothing is cut).
 * Only the last segment's tail is ever cut: earlier segments were complete and flushed before the next began.
 * Concurrency: runs before the journal accepts appends; one opener per directory.
 */
import { join } from 'node:path';
import { dataError } from '../util/errors.js';
import { syncDirStep } from './directories.js';
import { flushFile, type ResolvedDurability } from './durability.js';
import type { FileHandle, FileSystem } from './file-system.js';
import { toIoError } from './io-error.js';
import {
  decodeSegmentHeader,
  encodeSegmentHeader,
  parseSegmentFileName,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  segmentHeaderProblem,
  type TailClass,
} from './journal-format.js';
import { SegmentReader } from './journal-reader.js';

/** A segment file. */
export interface SegmentInfo {
  /** LSN of its first record. */
  readonly baseLsn: number;
  readonly path: string;
}

/** What recovery found and did; kept on the journal as `recovery`. */
export interface JournalRecovery {
  /** Segments found at open (0 for a new journal). */
  readonly segmentsFound: number;
  /** How the last segment ended. */
  readonly tail: TailClass;
  /** The last segment's path, if there was one. */
  readonly tailSegment: string | undefined;
  /** Where the valid data of the last segment ended. */
  readonly tailOffset: number;
  /** Bytes cut off the end of the last segment (0 when clean). */
  readonly truncatedBytes: number;
  /** True when a torn segment creation was redone (its header rewritten). */
  readonly rewroteHeader: boolean;
  /** Details of the damage, empty when clean. */
  readonly detail: string;
}

/** The open state recovery hands to the journal. */
export interface RecoveredJournal {
  readonly segments: SegmentInfo[];
  readonly handle: FileHandle;
  /** Size of the active (last) segment after any cut. */
  readonly size: number;
  /** The LSN the next append gets. */
  readonly nextLsn: number;
  readonly recovery: JournalRecovery;
}

/** Lists the segment files in `dir`, oldest first. */
export async function listSegments(fs: FileSystem, dir: string): Promise<SegmentInfo[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    throw toIoError('readdir', dir, e);
  }
  const out: SegmentInfo[] = [];
  for (const name of names) {
    const baseLsn = parseSegmentFileName(name);
    if (baseLsn !== undefined) out.push({ baseLsn, path: join(dir, name) });
  }
  return out.sort((a, b) => a.baseLsn - b.baseLsn);
}

/** Creates a segment durably (header flushed, directory entry fsynced) and returns its open handle. */
export async function createSegment(
  fs: FileSystem,
  dir: string,
  baseLsn: number,
  method: ResolvedDurability,
): Promise<{ info: SegmentInfo; handle: FileHandle }> {
  const path = join(dir, segmentFileName(baseLsn));
  let handle: FileHandle;
  try {
    handle = await fs.open(path, 'create-exclusive');
  } catch (e) {
    throw toIoError('open', path, e);
  }
  try {
    await writeHeader(handle, baseLsn, method);
    if (method !== 'none') await syncDirStep(fs, dir);
  } catch (e) {
    await handle.close().catch(() => {});
    throw e;
  }
  return { info: { baseLsn, path }, handle };
}

async function writeHeader(handle: FileHandle, baseLsn: number, method: ResolvedDurability): Promise<void> {
  try {
    await handle.write(encodeSegmentHeader(baseLsn), 0);
  } catch (e) {
    throw toIoError('write', handle.path, e);
  }
  await flushFile(handle, method);
}

/** Opens the journal in `dir`: creates the first segment, or recovers the last one. */
export async function recoverJournal(
  fs: FileSystem,
  dir: string,
  method: ResolvedDurability,
): Promise<RecoveredJournal> {
  const segments = await listSegments(fs, dir);
  const last = segments[segments.length - 1];
  if (last === undefined) {
    const { info, handle } = await createSegment(fs, dir, 1, method);
    const recovery = cleanRecovery(0, undefined, SEGMENT_HEADER_BYTES);
    return { segments: [info], handle, size: SEGMENT_HEADER_BYTES, nextLsn: 1, recovery };
  }
  let handle: FileHandle;
  try {
    handle = await fs.open(last.path, 'read-write');
  } catch (e) {
    throw toIoError('open', last.path, e);
  }
  try {
    const r = await recoverLast(fs, dir, handle, last, method);
    return {
      segments,
      handle,
      size: r.size,
      nextLsn: r.nextLsn,
      recovery: { ...r.recovery, segmentsFound: segments.length },
    };
  } catch (e) {
    await handle.close().catch(() => {});
    throw e;
  }
}

function cleanRecovery(found: number, tailSegment: string | undefined, offset: number): JournalRecovery {
  return {
    segmentsFound: found,
    tail: 'clean',
    tailSegment,
    tailOffset: offset,
    truncatedBytes: 0,
    rewroteHeader: false,
    detail: '',
  };
}

interface LastSegment {
  readonly size: number;
  readonly nextLsn: number;
  readonly recovery: JournalRecovery;
}

async function recoverLast(
  fs: FileSystem,
  dir: string,
  handle: FileHandle,
  last: SegmentInfo,
  method: ResolvedDurability,
): Promise<LastSegment> {
  const size = await sizeOf(handle);
  const head = new Uint8Array(Math.min(size, SEGMENT_HEADER_BYTES));
  await readFully(handle, head, 0);
  const header = decodeSegmentHeader(head);
  if (!header.ok) {
    if (size > SEGMENT_HEADER_BYTES) {
      throw dataError(
        'JOURNAL_CORRUPT',
        `journal segment ${last.path}: ${header.tail} in the segment header (${header.detail}) with ` +
          `${size - SEGMENT_HEADER_BYTES} bytes after it; refusing to open`,
      );
    }
    // A torn creation: nothing was ever appended to this segment. Redo it under the same base LSN.
    await cutTo(handle, 0, method);
    await writeHeader(handle, last.baseLsn, method);
    if (method !== 'none') await syncDirStep(fs, dir);
    const recovery: JournalRecovery = {
      ...cleanRecovery(0, last.path, 0),
      tail: header.tail,
      truncatedBytes: size,
      rewroteHeader: true,
      detail: header.detail,
    };
    return { size: SEGMENT_HEADER_BYTES, nextLsn: last.baseLsn, recovery };
  }
  checkHeader(last, head, header.baseLsn);
  return scanTail(handle, last, header.baseLsn, size, method);
}

/** Throws a data error unless a CRC-valid header is a v1 header of the segment its name says. */
export function checkHeader(seg: SegmentInfo, head: Uint8Array, baseLsn: number): void {
  const problem = segmentHeaderProblem(head);
  if (problem !== undefined) throw dataError('JOURNAL_CORRUPT', `journal segment ${seg.path}: ${problem}`);
  if (baseLsn !== seg.baseLsn) {
    throw dataError('JOURNAL_CORRUPT', `journal segment ${seg.path}: header says base LSN ${baseLsn}`);
  }
}

async function scanTail(
  handle: FileHandle,
  last: SegmentInfo,
  baseLsn: number,
  size: number,
  method: ResolvedDurability,
): Promise<LastSegment> {
  const reader = new SegmentReader(handle, baseLsn, size);
  for (;;) {
    const step = await reader.next();
    if (step.kind === 'record') continue;
    if (step.kind === 'end') {
      return { size, nextLsn: reader.nextLsn, recovery: cleanRecovery(0, last.path, step.offset) };
    }
    await cutTo(handle, step.offset, method);
    const recovery: JournalRecovery = {
      ...cleanRecovery(0, last.path, step.offset),
      tail: step.tail,
      truncatedBytes: size - step.offset,
      detail: step.detail,
    };
    return { size: step.offset, nextLsn: reader.nextLsn, recovery };
  }
}

async function cutTo(handle: FileHandle, length: number, method: ResolvedDurability): Promise<void> {
  try {
    await handle.truncate(length);
  } catch (e) {
    throw toIoError('truncate', handle.path, e);
  }
  // A cut changes only the size: fsync rather than fdatasync, so no file system can skip it.
  await flushFile(handle, method === 'none' ? 'none' : 'sync');
}

async function sizeOf(handle: FileHandle): Promise<number> {
  try {
    return await handle.size();
  } catch (e) {
    throw toIoError('stat', handle.path, e);
  }
}

/** Reads exactly `into.length` bytes at `position` (fewer only at end of file). */
export async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<number> {
  let got = 0;
  while (got < into.length) {
    let n: number;
    try {
      n = await handle.read(into.subarray(got), position + got);
    } catch (e) {
      throw toIoError('read', handle.path, e);
    }
    if (n === 0) break;
    got += n;
  }
  return got;
}
