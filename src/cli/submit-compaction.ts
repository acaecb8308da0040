/**
 * `submit-compaction`'s work, as slatedb-cli 0.12.1 does it through `Admin::submit_compaction`: a compaction
 * request (serde JSON of 0.12.1's `CompactionRequest`: `"Full"`, or
 * `{"Spec":{"sources":[{"SortedRun":3},{"SstView":"01H…"}],"destination":3}}`) becomes specs the way the
 * size-tiered scheduler's `generate` makes them (Full: every sorted run into the lowest; L0 is never part of it),
 * and each is appended to the latest compactions file as a submitted compaction by an unfenced compare-and-swap,
 * for the running compactor to validate and execute.
 *
 * Invariants: no compactions file (no compactor ever ran) is a data INVALID_DB_STATE error and nothing is written;
 * a Full request without sorted runs, or a malformed request, is an 'invalid' INVALID_COMPACTION error; the
 * compactor epoch is carried forward unchanged (the compactor is not fenced). As in 0.12.1, a spec's destination
 * is not stored: a reader derives it (the lowest source sorted run, else 0), which is what is printed back.
 * Concurrency: retries on a lost race against the compactor or another submitter.
 */
import type { CompactionSpec, Compactions } from '../format/compactions.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { compactionsStore } from '../store/compactions-store.js';
import { manifestStore } from '../store/manifest-store.js';
import { TransactionalObject } from '../store/transactional-object.js';
import type { Clock } from '../util/clock.js';
import { dataError, invalidError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';
import type { Rand } from '../util/random.js';

/** A parsed compaction request. */
export type CompactionRequest =
  | { readonly type: 'full' }
  | { readonly type: 'spec'; readonly spec: CompactionSpec };

const bad = (why: string) => invalidError('INVALID_COMPACTION', `invalid compaction request JSON: ${why}`);

/** Parses 0.12.1's serde JSON of a CompactionRequest. */
export function parseCompactionRequest(text: string): CompactionRequest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (v === 'Full') return { type: 'full' };
  const spec = (v as { Spec?: unknown } | null)?.Spec as
    | { sources?: unknown; destination?: unknown }
    | undefined;
  if (
    typeof v !== 'object' ||
    v === null ||
    Object.keys(v).length !== 1 ||
    typeof spec !== 'object' ||
    spec === null
  ) {
    throw bad('expected "Full" or {"Spec":{"sources":[...],"destination":N}}');
  }
  if (!Array.isArray(spec.sources)) throw bad('Spec.sources must be an array');
  const d = spec.destination;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 0xffffffff) {
    throw bad('Spec.destination must be a u32');
  }
  const l0ViewIds: Ulid[] = [];
  const sortedRuns: number[] = [];
  for (const s of spec.sources as unknown[]) {
    const o = s as Record<string, unknown> | null;
    const keys = o === null || typeof o !== 'object' ? [] : Object.keys(o);
    if (keys.length === 1 && keys[0] === 'SortedRun') {
      const id = o!['SortedRun'];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff)
        throw bad('SortedRun ids are u32');
      sortedRuns.push(id);
    } else if (keys.length === 1 && keys[0] === 'SstView' && typeof o!['SstView'] === 'string') {
      const id = Ulid.tryParse(o!['SstView'] as string);
      if (id === undefined) throw bad(`not a ULID: ${JSON.stringify(o!['SstView'])}`);
      l0ViewIds.push(id);
    } else {
      throw bad(`a source is {"SortedRun":N} or {"SstView":"ULID"}, got ${JSON.stringify(s)}`);
    }
  }
  // Stored order: L0 views newest first, sorted runs highest first (format/compactions.ts).
  l0ViewIds.sort((a, b) => b.compare(a));
  sortedRuns.sort((a, b) => b - a);
  return { type: 'spec', spec: { l0ViewIds, sortedRuns } };
}

/** Submits `request` to the database at `root`; returns the ids of the compactions written. */
export async function submitCompaction(
  store: ObjectStore,
  root: string,
  request: CompactionRequest,
  clock: Clock,
  rand: Rand,
): Promise<Ulid[]> {
  const compactions = await TransactionalObject.tryLoad<Compactions>(compactionsStore(store, root));
  if (compactions === undefined) {
    throw dataError('INVALID_DB_STATE', `${root}: no compactions file (has a compactor ever run on it?)`);
  }
  let specs: CompactionSpec[];
  if (request.type === 'spec') specs = [request.spec];
  else {
    const latest = await manifestStore(store, root).tryReadLatest();
    const runs = latest?.value.compacted.map((sr) => sr.id) ?? [];
    if (runs.length === 0)
      throw invalidError('INVALID_COMPACTION', 'a full compaction needs at least one sorted run');
    specs = [{ l0ViewIds: [], sortedRuns: [...runs].sort((a, b) => b - a) }];
  }
  const ids = specs.map(() => Ulid.generate(clock.nowMs(), rand));
  await compactions.maybeApplyUpdate((c) => ({
    ...c,
    recentCompactions: [
      ...c.recentCompactions,
      ...specs.map((spec, i) => ({ id: ids[i]!, spec, status: 'submitted' as const, outputSsts: [] })),
    ],
  }));
  return ids;
}
