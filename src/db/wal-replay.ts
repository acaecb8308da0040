/**
 * WAL replay, as SlateDB 0.12.1 recovers (spec §6.5): read WAL SSTs `fromId..toId` in order, skip rows with
 * `seq <= minSeq` (they are already in L0), and fill memtables, starting a new one after a whole WAL SST has been
 * read once the current one holds at least `tableSizeBytes`. A WAL SST that is missing (deleted by GC meanwhile)
 * ends replay quietly; the writer fence (an SST with no rows) replays as empty.
 *
 * Invariants: rows go into memtables in WAL order; tables split only between WAL SSTs, so every row of WAL ids
 * <= a table's `lastWalId` is in that table or an earlier one (the writer freezes each earlier table with its own
 * `lastWalId` as recent_flushed_wal_id; 0.12.1 uses the next table's last id - 1, which can skip a WAL SST on a
 * later recovery if the process stops between the two L0 flushes); every returned table is non-empty except
 * possibly the last.
 * Concurrency: reads WAL SSTs with bounded read-ahead; called once during open.
 */
import type { RowEntry } from '../format/row.js';
import { Memtable } from '../lsm/memtable.js';

/** A memtable rebuilt from the WAL. */
export interface ReplayedTable {
  readonly table: Memtable;
  readonly lastWalId: number;
}

/** What replay found. */
export interface ReplayResult {
  readonly tables: ReplayedTable[];
  /** Highest seq replayed (or `minSeq` when nothing was). */
  readonly lastSeq: number;
  /** Highest createTs replayed (or undefined). */
  readonly lastTick: number | undefined;
  /** The newest WAL id read (0 when none). */
  readonly lastWalId: number;
}

/** Reads one WAL SST's rows, or undefined when it does not exist. */
export type ReadWal = (id: number) => Promise<readonly RowEntry[] | undefined>;

/** How many WAL SSTs are read ahead. */
const READ_AHEAD = 4;

/** Replays WAL ids fromId..toId (inclusive). */
export async function replayWal(
  readWal: ReadWal,
  fromId: number,
  toId: number,
  minSeq: number,
  tableSizeBytes: number,
): Promise<ReplayResult> {
  const tables: ReplayedTable[] = [];
  let table = new Memtable();
  let tableLastWalId = 0;
  let lastSeq = minSeq;
  let lastTick: number | undefined;
  let lastWalId = 0;
  const pending: Array<Promise<readonly RowEntry[] | undefined>> = [];
  let next = fromId;
  const fill = (): void => {
    while (pending.length < READ_AHEAD && next <= toId) {
      const p = readWal(next++);
      p.catch(() => {});
      pending.push(p);
    }
  };
  fill();
  for (let id = fromId; id <= toId; id++) {
    const rows = await pending.shift()!;
    fill();
    if (rows === undefined) break;
    lastWalId = id;
    const fresh = rows.filter((row) => row.seq > minSeq);
    table.putAll(fresh);
    for (const row of fresh) {
      if (row.seq > lastSeq) lastSeq = row.seq;
      if (row.createTs !== undefined && (lastTick === undefined || row.createTs > lastTick))
        lastTick = row.createTs;
    }
    tableLastWalId = id;
    if (table.sizeBytes >= tableSizeBytes) {
      tables.push({ table, lastWalId: tableLastWalId });
      table = new Memtable();
      tableLastWalId = 0;
    }
  }
  // Abandoned read-ahead (after a missing file) must not surface as unhandled rejections.
  for (const p of pending) p.catch(() => {});
  if (!table.isEmpty || tables.length === 0) tables.push({ table, lastWalId: tableLastWalId || lastWalId });
  return { tables, lastSeq, lastTick, lastWalId };
}
