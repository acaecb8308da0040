/**
 * The steps of Db.open that involve the local WAL journal (docs/design/0005-wal-journal.md): claiming the writer
 * epoch through the journal, and replaying the journal's unshipped tail once object storage's WAL has been.
 *
 * Invariants: the CLAIM record is durable before the manifest's epoch is bumped, and the bump is to exactly the
 * claimed epoch (a lost race fails the open, and marks an unshipped tail STALE); the tail is replayed only after
 * the lineage check passed, only rows above what object storage holds, and it is shipped as WAL SSTs (then
 * SETTLED) before open returns, so no write is accepted while recovered writes exist only locally.
 * Concurrency: runs once, inside open, before the handle is returned.
 */
import type { Manifest } from '../format/manifest.js';
import type { RowEntry } from '../format/row.js';
import { estimatedRowSize, type Memtable } from '../lsm/memtable.js';
import type { TableStore } from '../store/table-store.js';
import {
  type EpochAccess,
  FenceableObject,
  type TransactionalObject,
} from '../store/transactional-object.js';
import type { Clock } from '../util/clock.js';
import { isShaleDBError } from '../util/errors.js';
import type { WalJournalTier } from './wal-journal.js';

/** Bumps the writer epoch through the journal: check lineage, CLAIM, bump to exactly the claim. */
export async function claimThroughJournal(
  tier: WalJournalTier,
  stored: TransactionalObject<Manifest>,
  access: EpochAccess<Manifest>,
  clock: Clock,
  timeoutMs: number,
): Promise<FenceableObject<Manifest>> {
  const observed = access.get(stored.value);
  tier.checkLineage(observed);
  const epoch = observed + 1;
  await tier.claim(epoch);
  try {
    return await FenceableObject.initWithEpoch(stored, access, epoch, clock, timeoutMs);
  } catch (e) {
    if (!isShaleDBError(e, 'closed')) throw e;
    throw (await tier.lostClaim(epoch, e)) ?? e;
  }
}

/** What replaying the journal's tail needs. */
export interface TailReplayDeps {
  readonly tier: WalJournalTier;
  /** The newest memtable WAL replay filled; the tail's rows go on top of it. */
  readonly table: Memtable;
  /** The highest seq object storage holds (WAL replay's last seq, at least the last L0 seq). */
  readonly floor: number;
  readonly tableStore: TableStore;
  /** The first free WAL id after the fence and the replayed WAL. */
  readonly nextWalId: number;
  /** Rows of one shipped WAL SST stop growing past this estimated size (a batch is never split). */
  readonly maxSstBytes: number;
}

/** What replaying the tail did. */
export interface TailReplay {
  readonly nextWalId: number;
  /** Writes replayed from the journal. */
  readonly replayed: number;
  /** The highest seq now in the memtable and in object storage. */
  readonly lastSeq: number;
  readonly lastTick: number | undefined;
}

/**
 * Adds the journal's batches above `floor` (what object storage already had) to `table`, writes them as WAL SSTs
 * and records them SETTLED, all before returning.
 */
export async function replayJournalTail(d: TailReplayDeps): Promise<TailReplay> {
  const batches = d.tier.batchesAfter(d.floor);
  let nextWalId = d.nextWalId;
  let lastTick: number | undefined;
  let chunk: RowEntry[] = [];
  let chunkBytes = 0;
  const ship = async (): Promise<void> => {
    if (chunk.length === 0) return;
    await d.tableStore.writeWal(nextWalId, chunk, chunkBytes);
    nextWalId++;
    chunk = [];
    chunkBytes = 0;
  };
  for (const b of batches) {
    const rows = b.rows.filter((r) => r.seq > d.floor);
    for (const r of rows) {
      if (r.createTs !== undefined && (lastTick === undefined || r.createTs > lastTick))
        lastTick = r.createTs;
      chunk.push(r);
      chunkBytes += estimatedRowSize(r) + 8;
    }
    d.table.putAll([...rows]);
    const ts = rows[0]!.createTs;
    if (ts !== undefined) d.table.recordSequence(b.seq, Math.floor(ts / 1000));
    if (chunkBytes >= d.maxSstBytes) await ship();
  }
  await ship();
  const lastSeq = batches.length === 0 ? d.floor : batches[batches.length - 1]!.seq;
  await d.tier.settle(lastSeq);
  return { nextWalId, replayed: batches.length, lastSeq, lastTick };
}
