/**
 * Submitting a compaction for the running compactor to execute (docs/admin.md#submitting-compactions), as SlateDB
 * 0.12.1's `Admin::submit_compaction` with the requests of `slatedb submit-compaction`: an explicit spec (L0 views
 * and sorted runs to merge) or 'full' (every sorted run, no L0, into the lowest sorted run id).
 *
 * Invariants: the compaction is added to the latest compactions file by compare-and-swap (retried on conflicts,
 * the compactor epoch carried forward) with status submitted and a fresh ULID stamped now; nothing is written
 * when there is no compactions file (data INVALID_DB_STATE, as 0.12.1) or a full request finds no sorted run
 * (invalid INVALID_COMPACTION). The compactor validates the spec when it picks it up (an invalid one fails there).
 * Concurrency: safe beside a running compactor, which takes new submitted compactions when it refreshes.
 */
import type { Compaction, CompactionSpec } from '../format/compactions.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { compactionsStore } from '../store/compactions-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { TransactionalObject } from '../store/transactional-object.js';
import type { Clock } from '../util/clock.js';
import { dataError, invalidError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import type { Rand } from '../util/random.js';
import { checkOptionKeys } from './admin-util.js';

/** What to compact: L0 views (ULIDs, as the manifest lists them) and sorted runs (ids). */
export interface CompactionSpecInput {
  readonly l0ViewIds?: readonly string[];
  readonly sortedRuns?: readonly number[];
}

/** A compaction request: a spec, or 'full' (every sorted run, excluding L0, into the lowest sorted run id). */
export type CompactionRequest = 'full' | CompactionSpecInput;

function specOf(input: CompactionSpecInput): CompactionSpec {
  if (typeof input !== 'object' || input === null)
    throw invalidError('INVALID_ARGUMENT', "a compaction request is 'full' or { l0ViewIds?, sortedRuns? }");
  checkOptionKeys(input, ['l0ViewIds', 'sortedRuns'], 'compaction spec key');
  const views = input.l0ViewIds ?? [];
  const runs = input.sortedRuns ?? [];
  if (!Array.isArray(views) || !Array.isArray(runs))
    throw invalidError('INVALID_ARGUMENT', 'l0ViewIds and sortedRuns must be arrays');
  for (const r of runs) {
    if (!Number.isInteger(r) || r < 0 || r > 0xffff_ffff)
      throw invalidError('INVALID_ARGUMENT', `sorted run ids are u32, got ${String(r)}`);
  }
  if (views.length === 0 && runs.length === 0)
    throw invalidError('INVALID_COMPACTION', 'a compaction needs at least one source');
  return {
    l0ViewIds: views.map((v) => {
      if (typeof v !== 'string') throw invalidError('INVALID_ARGUMENT', 'l0ViewIds are ULID strings');
      return Ulid.parse(v);
    }),
    sortedRuns: [...runs],
  };
}

/** Adds the requested compaction to the latest compactions file; returns its id. */
export async function submitCompaction(
  store: ObjectStore,
  root: string,
  request: CompactionRequest,
  clock: Clock,
  rand: Rand,
): Promise<Ulid> {
  let spec: CompactionSpec;
  if (request === 'full') {
    const latest = await manifestStore(store, root).tryReadLatest();
    const runs = latest?.value.compacted.map((sr) => sr.id) ?? [];
    if (runs.length === 0)
      throw invalidError(
        'INVALID_COMPACTION',
        'a full compaction needs at least one sorted run (L0 is excluded)',
      );
    spec = { l0ViewIds: [], sortedRuns: runs };
  } else {
    spec = specOf(request);
  }
  const compactions = await TransactionalObject.tryLoad(compactionsStore(store, root));
  if (compactions === undefined)
    throw dataError('INVALID_DB_STATE', `${root}: no compactions file (has a compactor ever run?)`);
  const job: Compaction = {
    id: Ulid.generate(clock.nowMs(), rand),
    spec,
    status: 'submitted',
    outputSsts: [],
  };
  await compactions.maybeApplyUpdate((current) => ({
    ...current,
    recentCompactions: [...current.recentCompactions, job],
  }));
  return job.id;
}
