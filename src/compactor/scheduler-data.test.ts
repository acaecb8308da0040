/**
 * The size-tiered scheduler, data-driven (testdata/compaction-scheduler/*.txt; regenerate expected outputs with
 * `node --import tsx src/compactor/scheduler-data.test.ts --rewrite`).
 *
 * Commands: `propose [max-concurrent=n] [scheduler option=value ...]` prints the compactions proposed, one a line
 * (`l0=[..] sr=[..] -> destination`), or (none); `validate l0=.. sr=.. dst=n [options]` prints ok or the error.
 * Input: `manifest <tokens>` lines (test/support/manifest-text.ts; SST sizes via `name:size`) and
 * `active l0=.. sr=.. dst=n [status=running|submitted]` lines for compactions already under way.
 */
import { type DataDrivenCase, runDataDriven } from '../../test/support/datadriven.js';
import { NameTable, parseManifest } from '../../test/support/manifest-text.js';
import type { Compaction } from '../format/compactions.js';
import type { Ulid } from '../util/ids.js';
import {
  type PlannedCompaction,
  parseSizeTieredOptions,
  type SchedulerView,
  SizeTieredScheduler,
} from './scheduler.js';

function ids(v: string | undefined): string[] {
  return v === undefined || v === '' ? [] : v.split(',');
}

function view(c: DataDrivenCase, names: NameTable): SchedulerView {
  const manifestTokens: string[] = [];
  const active: { compaction: Compaction; destination: number }[] = [];
  for (const line of c.input) {
    const [kind, ...rest] = line.trim().split(/\s+/);
    if (kind === 'manifest') {
      manifestTokens.push(...rest);
    } else if (kind === 'active') {
      const kv = Object.fromEntries(rest.map((t) => t.split('=') as [string, string]));
      const status = (kv['status'] ?? 'running') as Compaction['status'];
      const compaction: Compaction = {
        id: names.ulid(`job${active.length + 1}`),
        spec: { l0ViewIds: ids(kv['l0']).map((n) => names.ulid(n)), sortedRuns: ids(kv['sr']).map(Number) },
        status,
        outputSsts: [],
      };
      active.push({ compaction, destination: Number(kv['dst']) });
    } else {
      throw new Error(`${c.pos}: input lines start with manifest or active`);
    }
  }
  return { manifest: parseManifest(manifestTokens, names), active };
}

function schedulerOptions(c: DataDrivenCase): Record<string, string> {
  return Object.fromEntries(Object.entries(c.kv).filter(([k]) => k.includes('_')));
}

function print(p: PlannedCompaction, names: NameTable): string {
  const l0 = p.l0.map((id: Ulid) => names.name(id)).join(',');
  return `l0=[${l0}] sr=[${p.sortedRuns.join(',')}] -> ${p.destination}`;
}

runDataDriven('compaction-scheduler', (c) => {
  const names = new NameTable();
  const v = view(c, names);
  const scheduler = new SizeTieredScheduler(parseSizeTieredOptions(schedulerOptions(c)));
  switch (c.command) {
    case 'propose': {
      const plans = scheduler.propose(v, Number(c.kv['max-concurrent'] ?? 4));
      return plans.length === 0 ? '(none)' : plans.map((p) => print(p, names)).join('\n');
    }
    case 'validate': {
      const plan: PlannedCompaction = {
        l0: ids(c.kv['l0']).map((n) => names.ulid(n)),
        sortedRuns: ids(c.kv['sr']).map(Number),
        destination: Number(c.kv['dst']),
      };
      try {
        scheduler.validate(v, plan);
        return 'ok';
      } catch (e) {
        return `invalid: ${(e as Error).message}`;
      }
    }
    default:
      throw new Error(`${c.pos}: unknown command ${c.command}`);
  }
});
