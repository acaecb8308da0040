/**
 * `submit-compaction --request`: 0.12.1's serde JSON of a `CompactionRequest` — `"Full"`, or
 * `{"Spec":{"sources":[{"SortedRun":3},{"SstView":"01H…"}],"destination":3}}` — read into the admin API's request
 * (`'full'` or `{ l0ViewIds, sortedRuns }`), which `Admin.submitCompaction` appends to the compactions file.
 *
 * Invariants: anything else is an 'invalid' INVALID_COMPACTION error saying what was expected (the source variants
 * are those 0.12.1's serde reads, SortedRun and SstView); sources keep their order; as in 0.12.1, the destination
 * is checked as a u32 but not stored (readers derive it: the lowest source sorted run, else 0).
 * Concurrency: pure.
 */
import type { CompactionRequest } from '../admin/submit-compaction.js';
import { invalidError } from '../util/errors.js';
import { Ulid } from '../util/ids.js';

const bad = (why: string) => invalidError('INVALID_COMPACTION', `invalid compaction request JSON: ${why}`);
const isU32 = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** Parses 0.12.1's serde JSON of a CompactionRequest. */
export function parseCompactionRequest(text: string): CompactionRequest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (v === 'Full') return 'full';
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
  if (!isU32(spec.destination)) throw bad('Spec.destination must be a u32');
  const l0ViewIds: string[] = [];
  const sortedRuns: number[] = [];
  for (const s of spec.sources as unknown[]) {
    const o = s as Record<string, unknown> | null;
    const keys = o === null || typeof o !== 'object' ? [] : Object.keys(o);
    if (keys.length === 1 && keys[0] === 'SortedRun' && isU32(o!['SortedRun'])) {
      sortedRuns.push(o!['SortedRun']);
    } else if (keys.length === 1 && keys[0] === 'SstView' && typeof o!['SstView'] === 'string') {
      if (Ulid.tryParse(o!['SstView']) === undefined)
        throw bad(`not a ULID: ${JSON.stringify(o!['SstView'])}`);
      l0ViewIds.push(o!['SstView']);
    } else {
      throw bad(`a source is {"SortedRun":N} or {"SstView":"ULID"}, got ${JSON.stringify(s)}`);
    }
  }
  return { l0ViewIds, sortedRuns };
}
