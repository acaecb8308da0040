/**
 * Compaction scheduling: the pluggable CompactionScheduler interface and SlateDB 0.12.1's size-tiered scheduler
 * (spec §8): an L0 rule (compact every L0 once at least `min_compaction_sources` exist, at most
 * `max_compaction_sources` of the oldest, into a new sorted run) and a sorted-run rule (compact a run of similarly
 * sized sorted runs into the oldest of them), both subject to conflict and backpressure checks.
 *
 * Invariants: proposals never reuse a source or destination of an active compaction (or of each other); sources are
 * consecutive in the logical order [L0 newest..oldest, sorted runs by descending id]; with sorted-run sources the
 * destination is the lowest source id; L0-only destinations are above every existing sorted run id.
 * Concurrency: pure functions of a state view.
 */

import type { Compaction } from '../format/compactions.js';
import type { CompactedSsTable, Manifest, SortedRun } from '../format/manifest.js';
import { invalidError } from '../util/errors.js';
import type { Ulid } from '../util/ids.js';

/** A compaction to run: sources in logical order and the destination sorted run id. */
export interface PlannedCompaction {
  /** L0 source SST ids, newest first. */
  readonly l0: readonly Ulid[];
  /** Sorted-run source ids, highest first. */
  readonly sortedRuns: readonly number[];
  readonly destination: number;
}

/** What a scheduler sees. */
export interface SchedulerView {
  readonly manifest: Manifest;
  /** Submitted and running compactions with their destinations. */
  readonly active: ReadonlyArray<{ readonly compaction: Compaction; readonly destination: number }>;
}

/** A compaction policy. */
export interface CompactionScheduler {
  /** New compactions to submit, while active + proposed < `maxConcurrent`. */
  propose(view: SchedulerView, maxConcurrent: number): PlannedCompaction[];
  /** Throws 'invalid' when a submitted compaction breaks the policy's rules. */
  validate(view: SchedulerView, plan: PlannedCompaction): void;
}

/** Size-tiered options (0.12.1's `scheduler_options` string map). */
export interface SizeTieredOptions {
  readonly minCompactionSources: number;
  readonly maxCompactionSources: number;
  readonly includeSizeThreshold: number;
}

/** Parses the string map as 0.12.1 does (unknown keys ignored; bad values are 'invalid'). */
export function parseSizeTieredOptions(map: Readonly<Record<string, string>>): SizeTieredOptions {
  const num = (k: string, d: number, integer: boolean): number => {
    const v = map[k];
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw invalidError('INVALID_SETTING', `scheduler option ${k}: ${JSON.stringify(v)}`);
    }
    return n;
  };
  const o = {
    minCompactionSources: num('min_compaction_sources', 4, true),
    maxCompactionSources: num('max_compaction_sources', 8, true),
    includeSizeThreshold: num('include_size_threshold', 4.0, false),
  };
  if (o.minCompactionSources > o.maxCompactionSources) {
    throw invalidError('INVALID_SETTING', 'min_compaction_sources must not exceed max_compaction_sources');
  }
  return o;
}

/** SlateDB's size estimate of an SST: index_offset + index_len. */
export function sstSize(sst: CompactedSsTable): number {
  return sst.info.indexOffset + sst.info.indexLen;
}

/** A sorted run's size estimate. */
export function sortedRunSize(sr: SortedRun): number {
  let n = 0;
  for (const s of sr.ssts) n += sstSize(s);
  return n;
}

type Source =
  | { readonly kind: 'l0'; readonly id: Ulid; readonly size: number }
  | { readonly kind: 'sr'; readonly id: number; readonly size: number };

function sourceKey(s: Source): string {
  return s.kind === 'l0' ? `l0:${s.id.toString()}` : `sr:${s.id}`;
}

class Checker {
  readonly #used = new Set<string>();
  readonly #longestRun = new Map<number, number>();
  readonly #o: SizeTieredOptions;

  constructor(o: SizeTieredOptions, active: SchedulerView['active'], srs: Source[]) {
    this.#o = o;
    for (const a of active)
      this.add({
        l0: a.compaction.spec.l0ViewIds,
        sortedRuns: a.compaction.spec.sortedRuns,
        destination: a.destination,
      });
    for (let i = 0; i < srs.length; i++) {
      this.#longestRun.set(srs[i]!.id as number, buildRun(o.includeSizeThreshold, srs, i, undefined).length);
    }
  }

  add(p: PlannedCompaction): void {
    for (const id of p.l0) this.#used.add(`l0:${id.toString()}`);
    for (const id of p.sortedRuns) this.#used.add(`sr:${id}`);
    this.#used.add(`sr:${p.destination}`);
  }

  check(sources: readonly Source[], dst: number, next: Source | undefined): boolean {
    for (const s of sources) if (this.#used.has(sourceKey(s))) return false;
    if (this.#used.has(`sr:${dst}`)) return false;
    if (next !== undefined) {
      const result = sources.reduce((n, s) => n + s.size, 0);
      const longest = this.#longestRun.get(next.id as number) ?? 0;
      if (
        next.size <= Math.trunc(result * this.#o.includeSizeThreshold) &&
        longest >= this.#o.maxCompactionSources
      ) {
        return false;
      }
    }
    return true;
  }
}

/** A run of similarly sized sorted runs starting at `start` (stops before one > threshold x the smallest so far). */
function buildRun(threshold: number, srs: Source[], start: number, checker: Checker | undefined): Source[] {
  const run: Source[] = [];
  let min: number | undefined;
  for (let i = start; i < srs.length; i++) {
    const s = srs[i]!;
    if (min !== undefined) {
      if (s.size > Math.trunc(min * threshold)) break;
      min = Math.min(min, s.size);
    } else {
      min = s.size;
    }
    run.push(s);
    if (checker !== undefined && !checker.check(run, s.id as number, srs[i + 1])) {
      run.pop();
      break;
    }
  }
  return run;
}

function toPlan(sources: Source[], destination: number): PlannedCompaction {
  return {
    l0: sources.filter((s) => s.kind === 'l0').map((s) => s.id as Ulid),
    sortedRuns: sources.filter((s) => s.kind === 'sr').map((s) => s.id as number),
    destination,
  };
}

/** SlateDB 0.12.1's size-tiered scheduler. */
export class SizeTieredScheduler implements CompactionScheduler {
  readonly options: SizeTieredOptions;

  constructor(options: SizeTieredOptions) {
    this.options = options;
  }

  #clamp(sources: Source[]): Source[] | undefined {
    if (sources.length < this.options.minCompactionSources) return undefined;
    return sources.slice(Math.max(0, sources.length - this.options.maxCompactionSources));
  }

  propose(view: SchedulerView, maxConcurrent: number): PlannedCompaction[] {
    const m = view.manifest;
    const l0: Source[] = m.l0.map((s) => ({ kind: 'l0', id: s.id, size: sstSize(s) }));
    const srs: Source[] = m.compacted.map((sr) => ({ kind: 'sr', id: sr.id, size: sortedRunSize(sr) }));
    const checker = new Checker(this.options, view.active, srs);
    const out: PlannedCompaction[] = [];
    while (view.active.length + out.length < maxConcurrent) {
      const next = this.#pick(l0, srs, checker);
      if (next === undefined) break;
      checker.add(next);
      out.push(next);
    }
    return out;
  }

  #pick(l0: Source[], srs: Source[], checker: Checker): PlannedCompaction | undefined {
    const l0Candidates = this.#clamp(l0);
    if (l0Candidates !== undefined) {
      const dst = srs.length === 0 ? 0 : (srs[0]!.id as number) + 1;
      if (checker.check(l0Candidates, dst, srs[0])) return toPlan(l0Candidates, dst);
    }
    for (let i = 0; i < srs.length; i++) {
      const run = this.#clamp(buildRun(this.options.includeSizeThreshold, srs, i, checker));
      if (run !== undefined) return toPlan(run, run[run.length - 1]!.id as number);
    }
    return undefined;
  }

  validate(view: SchedulerView, plan: PlannedCompaction): void {
    const order = [
      ...view.manifest.l0.map((s) => `l0:${s.id.toString()}`),
      ...view.manifest.compacted.map((sr) => `sr:${sr.id}`),
    ];
    const wanted = [
      ...plan.l0.map((id) => `l0:${id.toString()}`),
      ...plan.sortedRuns.map((id) => `sr:${id}`),
    ];
    const start = order.indexOf(wanted[0] ?? '');
    const consecutive = start >= 0 && wanted.every((w, i) => order[start + i] === w);
    if (!consecutive) throw invalidError('INVALID_COMPACTION', 'compaction sources are not consecutive');
    if (plan.sortedRuns.length > 0 && plan.destination !== Math.min(...plan.sortedRuns)) {
      throw invalidError('INVALID_COMPACTION', 'destination is not the lowest sorted run among the sources');
    }
  }
}
