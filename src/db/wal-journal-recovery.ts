/**
 * Reading a WAL journal back at open (docs/design/0005-wal-journal.md): which batches are unsettled (not known to
 * be in object storage), and whether they may be replayed: their lineage of writer epochs must show that no other
 * writer opened the database since they were written.
 *
 * Lineage rule. The unsettled batches all carry the epoch W of the writer that wrote them (it held W: it writes
 * batches only after its bump succeeded). Every later open through this journal wrote CLAIM(c) before trying to
 * bump the stored epoch to exactly c, where c = observed + 1. Walking those claims in order with `held` = W (an
 * epoch our lineage certainly held) and `pending` = the last claim (which may or may not have been bumped), each
 * claim c needs c - 1 in {held, pending}: it observed either the last certain holder (the pending bump never
 * happened) or the pending claim (it did; then that claim becomes held). Finally the stored epoch observed now
 * must be held or pending. Anything else means a writer outside this journal bumped the epoch: the journal is
 * stale and replaying it could resurrect writes that writer never saw (JOURNAL_STALE), unless discarded.
 *
 * Invariants: never yields a row with seq <= the given floor; refuses (data error) unsettled batches of two
 * epochs, claims or batches for another database path (invalid), and any record that does not decode.
 * Concurrency: runs once per open, before anything is written.
 */
import type { RowEntry } from '../format/row.js';
import type { Journal } from '../io/journal.js';
import { dataError, invalidError, type ShaleDBError } from '../util/errors.js';
import { decodeRecord, pathTag } from './wal-journal-records.js';

/** An unsettled batch found in the journal. */
export interface UnsettledBatch {
  readonly lsn: number;
  readonly epoch: number;
  readonly seq: number;
  readonly rows: RowEntry[];
}

/** What a journal holds, as far as open needs to know. */
export interface JournalScan {
  /** Batches not known to be in object storage, in journal (= seq) order. */
  readonly unsettled: UnsettledBatch[];
  /** Claims written after the first unsettled batch, in order. */
  readonly laterClaims: number[];
  /** A STALE record covers the unsettled batches. */
  readonly stale: boolean;
  /** The newest SETTLED seq seen (0 if none). */
  readonly settledSeq: number;
  /** Records read. */
  readonly records: number;
}

/** Reads every retained record of `journal` for database `root`. */
export async function scanWalJournal(journal: Journal, root: string): Promise<JournalScan> {
  const tag = pathTag(root);
  let unsettled: UnsettledBatch[] = [];
  let laterClaims: number[] = [];
  let stale = false;
  let settledSeq = 0;
  let records = 0;
  for await (const { lsn, payload } of journal.replay()) {
    records++;
    const r = decodeRecord(payload, lsn);
    switch (r.kind) {
      case 'claim':
        if (r.path !== root) throw mismatch(journal.dir, `a claim for database "${r.path}"`, root);
        if (unsettled.length > 0) laterClaims.push(r.epoch);
        break;
      case 'batch': {
        if (r.pathTag !== tag) throw mismatch(journal.dir, 'writes of another database', root);
        // One seq per write today; the newest row's seq orders the record if a write ever carries several.
        let seq = r.rows[0]!.seq;
        for (const row of r.rows) if (row.seq > seq) seq = row.seq;
        const last = unsettled[unsettled.length - 1];
        if (last !== undefined && seq <= last.seq) {
          throw dataError(
            'JOURNAL_CORRUPT',
            `WAL journal ${journal.dir}: batch seq ${seq} at LSN ${lsn} follows seq ${last.seq}`,
          );
        }
        if (last !== undefined && r.epoch !== last.epoch) {
          throw dataError(
            'JOURNAL_CORRUPT',
            `WAL journal ${journal.dir}: unsettled batches of epochs ${last.epoch} and ${r.epoch}`,
          );
        }
        unsettled.push({ lsn, epoch: r.epoch, seq, rows: r.rows });
        break;
      }
      case 'settled': {
        settledSeq = Math.max(settledSeq, r.seq);
        let n = 0;
        while (n < unsettled.length && unsettled[n]!.seq <= r.seq) n++;
        if (n > 0) unsettled = unsettled.slice(n);
        if (unsettled.length === 0) {
          laterClaims = [];
          stale = false;
        }
        break;
      }
      case 'stale':
        if (unsettled.length > 0) stale = true;
        break;
    }
  }
  return { unsettled, laterClaims, stale, settledSeq, records };
}

function mismatch(dir: string, what: string, root: string): ShaleDBError {
  return invalidError(
    'JOURNAL_MISMATCH',
    `WAL journal ${dir} holds ${what}, not of "${root}": give each database its own journal directory`,
  );
}

/**
 * Undefined when the unsettled batches may be replayed by a writer that observed `storedEpoch` in the manifest
 * (or there are none), else the reason they may not.
 */
export function lineageProblem(scan: JournalScan, storedEpoch: number): string | undefined {
  if (scan.unsettled.length === 0) return undefined;
  if (scan.stale) return 'a STALE record: a newer writer opened the database after these writes';
  const w = scan.unsettled[0]!.epoch;
  let held = w;
  let pending = w;
  for (const c of scan.laterClaims) {
    if (c - 1 === pending) held = pending;
    else if (c - 1 !== held)
      return `a later open claimed epoch ${c}, but this journal's writers held only up to ${pending}`;
    pending = c;
  }
  if (storedEpoch === held || storedEpoch === pending) return undefined;
  return `they were written at writer epoch ${w} and this journal's writers claimed up to ${pending}, but the manifest's writer epoch is ${storedEpoch}: another writer opened the database since`;
}

/** The error for a stale journal. */
export function staleJournalError(dir: string, scan: JournalScan, why: string): ShaleDBError {
  const u = scan.unsettled;
  return dataError(
    'JOURNAL_STALE',
    `WAL journal ${dir} holds ${u.length} unshipped writes (seqs ${u[0]!.seq}..${u[u.length - 1]!.seq}) that may not be replayed: ${why}. ` +
      'Open with walJournal.discardStale = true to drop them.',
  );
}
