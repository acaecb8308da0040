/**
 * CompactorState: the compactor's local view of the manifest and of its compactions (the `.compactions` file), and
 * the state transitions of a compaction: submitted -> running -> completed | failed (spec §3, §6.6).
 *
 * Invariants: every compaction id is a ULID stamped with its submission time; at most one compaction with L0
 * sources runs at a time; a finished compaction's result replaces its sources and destination in the local manifest
 * (output sorted run inserted in descending id order, `l0LastCompacted` = its newest L0 source); the compactions
 * written out keep every active compaction plus the most recent finished one.
 * Concurrency: owned by the compactor task; changed only in synchronous stretches.
 */

import {
  type Compaction,
  type CompactionStatus,
  type Compactions,
  compactionDestination,
  isActiveCompaction,
} from '../format/compactions.js';
import type { CompactedSsTable, Manifest, SortedRun } from '../format/manifest.js';
import { mergeRemoteIntoCompactor } from '../store/manifest-merge.js';
import { assert } from '../util/assert.js';
import type { Ulid } from '../util/ids.js';
import type { PlannedCompaction, SchedulerView } from './scheduler.js';

interface Job {
  compaction: Compaction;
  readonly destination: number;
}

/** The compactor's state. */
export class CompactorState {
  manifest: Manifest;
  readonly compactorEpoch: number;
  /** By id string, in submission (= ULID) order. */
  readonly #jobs = new Map<string, Job>();

  constructor(manifest: Manifest, compactions: Compactions) {
    this.manifest = manifest;
    this.compactorEpoch = compactions.compactorEpoch;
    for (const c of compactions.recentCompactions) {
      this.#jobs.set(c.id.toString(), { compaction: c, destination: compactionDestination(c.spec) });
    }
  }

  /** Every known compaction with its destination. */
  jobs(): Array<{ compaction: Compaction; destination: number }> {
    return [...this.#jobs.values()].sort((a, b) => a.compaction.id.compare(b.compaction.id));
  }

  /** Submitted and running compactions. */
  active(): Array<{ compaction: Compaction; destination: number }> {
    return this.jobs().filter((j) => isActiveCompaction(j.compaction));
  }

  /** A view for the scheduler. */
  view(): SchedulerView {
    return { manifest: this.manifest, active: this.active() };
  }

  get(id: Ulid): { compaction: Compaction; destination: number } | undefined {
    return this.#jobs.get(id.toString());
  }

  runningCount(): number {
    return this.jobs().filter((j) => j.compaction.status === 'running').length;
  }

  /** Adds a submitted compaction. */
  add(id: Ulid, plan: PlannedCompaction): void {
    assert(!this.#jobs.has(id.toString()), 'duplicate compaction id');
    this.#jobs.set(id.toString(), {
      compaction: {
        id,
        spec: { l0ViewIds: plan.l0, sortedRuns: plan.sortedRuns },
        status: 'submitted',
        outputSsts: [],
      },
      destination: plan.destination,
    });
  }

  setStatus(id: Ulid, status: CompactionStatus): void {
    const j = this.#jobs.get(id.toString());
    assert(j !== undefined, 'unknown compaction');
    j.compaction = { ...j.compaction, status };
  }

  setOutputs(id: Ulid, outputSsts: readonly CompactedSsTable[]): void {
    const j = this.#jobs.get(id.toString());
    if (j !== undefined) j.compaction = { ...j.compaction, outputSsts };
  }

  /** Merges the latest manifest (writer progress) into the local view. */
  mergeRemoteManifest(remote: Manifest): void {
    this.manifest = mergeRemoteIntoCompactor(remote, this.manifest);
  }

  /** Merges a compactions file written by someone else: only new submitted compactions are taken. */
  mergeRemoteCompactions(remote: Compactions): void {
    for (const c of remote.recentCompactions) {
      const key = c.id.toString();
      if (!this.#jobs.has(key) && c.status === 'submitted') {
        this.#jobs.set(key, { compaction: c, destination: compactionDestination(c.spec) });
      }
    }
    this.trim();
  }

  /** Keeps every active compaction plus the most recent finished one. */
  trim(): void {
    let latest: string | undefined;
    let latestId: Ulid | undefined;
    for (const [k, j] of this.#jobs) {
      if (
        !isActiveCompaction(j.compaction) &&
        (latestId === undefined || j.compaction.id.compare(latestId) > 0)
      ) {
        latest = k;
        latestId = j.compaction.id;
      }
    }
    for (const [k, j] of [...this.#jobs]) {
      if (!isActiveCompaction(j.compaction) && k !== latest) this.#jobs.delete(k);
    }
  }

  /** The compactions file content to write. */
  toCompactions(): Compactions {
    this.trim();
    return { compactorEpoch: this.compactorEpoch, recentCompactions: this.jobs().map((j) => j.compaction) };
  }

  /** Applies a finished compaction's output to the local manifest and marks it completed. */
  finish(id: Ulid, output: SortedRun): void {
    const j = this.#jobs.get(id.toString());
    assert(j !== undefined, 'finished an unknown compaction');
    const spec = j.compaction.spec;
    const l0Sources = new Set(spec.l0ViewIds.map((v) => v.toString()));
    const srGone = new Set([...spec.sortedRuns, j.destination]);
    const m = this.manifest;
    const compacted: SortedRun[] = [];
    let inserted = false;
    for (const sr of m.compacted) {
      if (!inserted && output.id >= sr.id) {
        compacted.push(output);
        inserted = true;
      }
      if (!srGone.has(sr.id)) compacted.push(sr);
    }
    if (!inserted) compacted.push(output);
    for (let i = 1; i < compacted.length; i++) {
      assert(compacted[i]!.id < compacted[i - 1]!.id, 'sorted runs must be in descending id order');
    }
    const newestL0 = spec.l0ViewIds[0];
    this.manifest = {
      ...m,
      l0: m.l0.filter((s) => !l0Sources.has(s.id.toString())),
      compacted,
      l0LastCompacted: newestL0 ?? m.l0LastCompacted,
    };
    j.compaction = { ...j.compaction, status: 'completed' };
  }
}
