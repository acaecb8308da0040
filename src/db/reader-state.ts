/**
 * ReaderState: what a DbReader reads from: one manifest version (L0 and sorted runs) plus immutable memtables
 * rebuilt from the WAL SSTs after that manifest's replay point, as SlateDB 0.12.1's reader builds its checkpoint
 * state (docs/checkpoints-and-readers.md).
 *
 * Invariants: a state is immutable (a change builds a new one, so a read that awaits IO keeps one consistent view);
 * `tables` are newest first and hold only rows with seq > the manifest's `lastL0Seq`, each table's rows coming
 * from WAL ids up to its `lastWalId`; WAL replay reads contiguous ids and stops at the first missing one, so the
 * rows seen are always every row up to some seq (a prefix of the database's history), never a row after a gap;
 * `lastSeq` is the newest seq the state holds.
 * Concurrency: built off the event loop's critical path by the reader's poll task; reads take `view`.
 */

import type { Manifest } from '../format/manifest.js';
import type { RowEntry } from '../format/row.js';
import { Memtable } from '../lsm/memtable.js';
import type { ReadView } from '../store/sorted-run.js';
import type { TableStore } from '../store/table-store.js';
import type { Ulid } from '../util/ids.js';
import { type ReplayedTable, replayWal } from './wal-replay.js';

/** How far WAL replay may read: nothing, up to the manifest's `walIdLastSeen`, or every WAL SST listed. */
export type ReplayLimit = 'none' | 'manifest' | 'listed';

/** A reader's view of the database. */
export interface ReaderState {
  /** Id of the manifest version read. */
  readonly manifestId: number;
  readonly manifest: Manifest;
  /** Memtables rebuilt from the WAL, newest first. */
  readonly tables: readonly ReplayedTable[];
  /** The newest WAL id consumed (the manifest's replay point when none). */
  readonly lastWalId: number;
  /** The newest seq visible. */
  readonly lastSeq: number;
  readonly view: ReadView;
}

function viewOf(m: Manifest, tables: readonly ReplayedTable[], tableStore: TableStore): ReadView {
  return {
    memtables: tables.map((t) => t.table),
    l0: m.l0.map((h) => tableStore.sstRef(h)),
    sortedRuns: m.compacted.map((sr) => ({ id: sr.id, ssts: sr.ssts.map((h) => tableStore.sstRef(h)) })),
  };
}

/** The rows of `t` with seq > `minSeq`, as a new table (undefined when none). */
function keepAfter(t: ReplayedTable, minSeq: number): ReplayedTable | undefined {
  const last = t.table.lastSeq;
  if (last === undefined || last <= minSeq) return undefined;
  if ((t.table.firstSeq ?? 0) > minSeq) return t;
  const rows: RowEntry[] = [];
  const it = t.table.iterator();
  for (;;) {
    // A memtable iterator answers synchronously.
    const r = it.next() as RowEntry | undefined;
    if (r === undefined) break;
    if (r.seq > minSeq) rows.push(r);
  }
  const table = new Memtable();
  for (const r of rows) table.put(r);
  return { table, lastWalId: t.lastWalId };
}

/**
 * Builds the state for manifest `manifestId`, keeping the rows of `prior` tables that the manifest does not hold
 * yet and replaying the WAL SSTs after them up to `limit`.
 */
export async function buildReaderState(
  tableStore: TableStore,
  manifestId: number,
  manifest: Manifest,
  prior: readonly ReplayedTable[],
  limit: ReplayLimit,
  maxMemtableBytes: number,
): Promise<ReaderState> {
  const kept: ReplayedTable[] = [];
  for (const t of prior) {
    const k = keepAfter(t, manifest.lastL0Seq);
    if (k !== undefined) kept.push(k);
  }
  return replayInto(tableStore, manifestId, manifest, kept, limit, maxMemtableBytes);
}

/** `state` with the WAL SSTs written since it was built (up to `limit`). */
export function replayNewWals(
  tableStore: TableStore,
  state: ReaderState,
  limit: ReplayLimit,
  maxMemtableBytes: number,
): Promise<ReaderState> {
  return replayInto(
    tableStore,
    state.manifestId,
    state.manifest,
    state.tables,
    limit,
    maxMemtableBytes,
    state,
  );
}

async function replayInto(
  tableStore: TableStore,
  manifestId: number,
  manifest: Manifest,
  tables: readonly ReplayedTable[],
  limit: ReplayLimit,
  maxMemtableBytes: number,
  previous?: ReaderState,
): Promise<ReaderState> {
  const newest = tables[0];
  const after = previous?.lastWalId ?? newest?.lastWalId ?? manifest.replayAfterWalId;
  const minSeq = Math.max(manifest.lastL0Seq, newest?.table.lastSeq ?? 0, previous?.lastSeq ?? 0);
  const to =
    limit === 'none' ? after : limit === 'manifest' ? manifest.walIdLastSeen : await tableStore.lastWalId();
  let lastWalId = after;
  let lastSeq = minSeq;
  let out = tables;
  if (to > after) {
    const r = await replayWal((id) => tableStore.readWal(id), after + 1, to, minSeq, maxMemtableBytes);
    if (r.lastWalId > 0) lastWalId = r.lastWalId;
    const fresh = r.tables.filter((t) => !t.table.isEmpty).reverse();
    if (fresh.length > 0) out = [...fresh, ...tables];
    lastSeq = r.lastSeq;
  }
  if (previous !== undefined && out === previous.tables && lastWalId === previous.lastWalId) return previous;
  return { manifestId, manifest, tables: out, lastWalId, lastSeq, view: viewOf(manifest, out, tableStore) };
}

/**
 * True when `latest` holds data `current` does not (a flush or a compaction happened), so a reader following the
 * database moves to it (0.12.1's rule: `l0_last_compacted`, `last_l0_seq` or the sorted runs changed).
 */
export function manifestAdvanced(current: Manifest, latest: Manifest): boolean {
  if (latest.lastL0Seq > current.lastL0Seq) return true;
  if (!sameUlid(current.l0LastCompacted, latest.l0LastCompacted)) return true;
  if (current.compacted.length !== latest.compacted.length) return true;
  for (let i = 0; i < current.compacted.length; i++) {
    const a = current.compacted[i]!;
    const b = latest.compacted[i]!;
    if (a.id !== b.id || a.ssts.length !== b.ssts.length) return true;
    for (let j = 0; j < a.ssts.length; j++) if (!sameUlid(a.ssts[j]!.id, b.ssts[j]!.id)) return true;
  }
  return false;
}

function sameUlid(a: Ulid | undefined, b: Ulid | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.toString() === b.toString();
}
