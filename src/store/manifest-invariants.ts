/**
 * Manifest invariants: the protocol rules every manifest version must keep (docs/design/0001-db-core.md,
 * docs/design/0004-storage-layer.md), as named checks run before every manifest write (store/manifest-store.ts).
 * Cheap checks always run; expensive ones (which walk every SST) only when `invariants.enabled`
 * (SHALEDB_INVARIANTS=1, set by the test runner).
 *
 * Invariants: a check never changes the manifest; a failed check throws ShaleDBError kind 'internal' with code
 * MANIFEST_INVARIANT and the check's name, and the write does not happen.
 * Concurrency: pure.
 */
import type { Manifest } from '../format/manifest.js';
import { invariants } from '../util/assert.js';
import { compareBytes } from '../util/bytes.js';
import { internalError } from '../util/errors.js';

/** One named rule; returns a description of the violation, or undefined when the manifest keeps it. */
export interface ManifestCheck {
  readonly name: string;
  /** Expensive checks run only when invariants are enabled. */
  readonly expensive: boolean;
  check(m: Manifest, id: number, previous: Manifest | undefined): string | undefined;
}

function duplicate(ids: Iterable<string>): string | undefined {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}

/** Every named check, in the order they run. */
export const MANIFEST_CHECKS: readonly ManifestCheck[] = [
  {
    name: 'epochs-never-regress',
    expensive: false,
    check: (m, _id, prev) => {
      if (prev === undefined) return undefined;
      if (m.writerEpoch < prev.writerEpoch) return `writer epoch ${m.writerEpoch} < ${prev.writerEpoch}`;
      if (m.compactorEpoch < prev.compactorEpoch)
        return `compactor epoch ${m.compactorEpoch} < ${prev.compactorEpoch}`;
      return undefined;
    },
  },
  {
    name: 'writer-progress-never-regresses',
    expensive: false,
    check: (m, _id, prev) => {
      if (prev === undefined) return undefined;
      if (m.replayAfterWalId < prev.replayAfterWalId)
        return `replayAfterWalId ${m.replayAfterWalId} < ${prev.replayAfterWalId}`;
      if (m.lastL0Seq < prev.lastL0Seq) return `lastL0Seq ${m.lastL0Seq} < ${prev.lastL0Seq}`;
      return undefined;
    },
  },
  {
    name: 'l0-ids-unique',
    expensive: false,
    check: (m) => {
      const dup = duplicate(m.l0.map((s) => s.id.toString()));
      return dup === undefined ? undefined : `L0 SST ${dup} appears twice`;
    },
  },
  {
    name: 'l0-last-compacted-not-in-l0',
    expensive: false,
    check: (m) => {
      const last = m.l0LastCompacted;
      if (last === undefined) return undefined;
      return m.l0.some((s) => s.id.equals(last))
        ? `L0 still holds ${last.toString()}, which l0LastCompacted says was compacted`
        : undefined;
    },
  },
  {
    name: 'sorted-runs-descending',
    expensive: false,
    check: (m) => {
      for (let i = 1; i < m.compacted.length; i++) {
        const a = m.compacted[i - 1]!.id;
        const b = m.compacted[i]!.id;
        if (a <= b) return `sorted run ${b} follows ${a} (runs must be in strictly descending id order)`;
      }
      return undefined;
    },
  },
  {
    name: 'checkpoints-name-past-manifests',
    expensive: false,
    check: (m, id) => {
      const dup = duplicate(m.checkpoints.map((c) => c.id.toString()));
      if (dup !== undefined) return `checkpoint ${dup} appears twice`;
      const future = m.checkpoints.find((c) => c.manifestId > id);
      return future === undefined
        ? undefined
        : `checkpoint ${future.id.toString()} names manifest ${future.manifestId}, after this one (${id})`;
    },
  },
  {
    name: 'sst-ids-unique',
    expensive: true,
    check: (m) => {
      const ids = [...m.l0, ...m.compacted.flatMap((r) => r.ssts)].map((s) => (s.viewId ?? s.id).toString());
      const dup = duplicate(ids);
      return dup === undefined ? undefined : `SST ${dup} appears twice in the tree`;
    },
  },
  {
    name: 'sorted-run-ssts-in-key-order',
    expensive: true,
    check: (m) => {
      for (const run of m.compacted) {
        for (let i = 1; i < run.ssts.length; i++) {
          const prev = run.ssts[i - 1]!.info;
          const next = run.ssts[i]!.info;
          const first = next.firstEntry;
          if (first === undefined) continue;
          // One key's versions may continue into the next SST: its first key may equal the last one before.
          const bound = prev.lastEntry ?? prev.firstEntry;
          if (bound !== undefined && compareBytes(bound, first) > 0)
            return `sorted run ${run.id}: SST ${i} starts before SST ${i - 1} ends`;
        }
      }
      return undefined;
    },
  },
];

/** The checks that fail for `m` written as version `id` after `previous` (every check, enabled or not). */
export function manifestViolations(
  m: Manifest,
  id: number,
  previous: Manifest | undefined,
): { name: string; problem: string }[] {
  const out: { name: string; problem: string }[] = [];
  for (const c of MANIFEST_CHECKS) {
    const problem = c.check(m, id, previous);
    if (problem !== undefined) out.push({ name: c.name, problem });
  }
  return out;
}

/** Runs the checks before a manifest write (expensive ones only when enabled); throws on the first violation. */
export function checkManifestWrite(m: Manifest, id: number, previous: Manifest | undefined): void {
  for (const c of MANIFEST_CHECKS) {
    if (c.expensive && !invariants.enabled) continue;
    const problem = c.check(m, id, previous);
    if (problem !== undefined) {
      throw internalError('MANIFEST_INVARIANT', `manifest ${id} breaks ${c.name}: ${problem}`);
    }
  }
}
