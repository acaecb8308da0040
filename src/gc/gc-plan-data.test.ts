/**
 * GC planning, data-driven (testdata/gc-plan/*.txt; regenerate expected outputs with
 * `node --import tsx src/gc/gc-plan-data.test.ts --rewrite`): each case builds a database's objects on a memory
 * store with a manual clock, then prints what one resource's planning step would delete.
 *
 * Command: `plan <manifest|wal|compacted|compactions> min-age=<ms> [dry-run]`. Input lines, run in order:
 *   wal 1 2 3                    WAL SSTs, written now
 *   sst a b:60000                compacted SSTs named a, b; `:ms` stamps the ULID that long before now
 *   manifest <tokens>            the next manifest version (test/support/manifest-text.ts tokens; SST names as above)
 *   compactions job:ms ...       the next compactions version with running compactions (ULIDs `ms` before now)
 *   advance <ms>                 moves the clock
 * Output: `listed n`, the cutoff for compacted SSTs, then one `delete <path>` a line (ULIDs shown by name).
 */
import { type DataDrivenCase, runDataDriven } from '../../test/support/datadriven.js';
import { GcFixture } from '../../test/support/gc-fixture.js';
import { NameTable, parseManifest } from '../../test/support/manifest-text.js';
import { planCompactedGc } from './compacted-gc.js';
import { planCompactionsGc } from './compactions-gc.js';
import type { GcPlan, GcTaskInput } from './gc-task.js';
import { planManifestGc } from './manifest-gc.js';
import { planWalGc } from './wal-gc.js';

const PLANNERS: Record<string, (input: GcTaskInput) => Promise<GcPlan>> = {
  manifest: planManifestGc,
  wal: planWalGc,
  compacted: planCompactedGc,
  compactions: planCompactionsGc,
};

function nameAndAge(spec: string): [string, number] {
  const [name, age] = spec.split(':');
  return [name!, Number(age ?? 0)];
}

async function build(c: DataDrivenCase, f: GcFixture, names: NameTable): Promise<void> {
  for (const line of c.input) {
    const [kind, ...rest] = line.trim().split(/\s+/);
    switch (kind) {
      case 'wal':
        await f.writeWal(...rest.map(Number));
        break;
      case 'sst':
        for (const spec of rest) {
          const [name, age] = nameAndAge(spec);
          await f.writeSsts(names.ulid(name, f.clock.nowMs() - age));
        }
        break;
      case 'manifest':
        await f.writeManifest(parseManifest(rest, names));
        break;
      case 'compactions':
        await f.writeCompactions(
          rest.map((spec) => {
            const [name, age] = nameAndAge(spec);
            return f.compaction(names.ulid(name, f.clock.nowMs() - age));
          }),
        );
        break;
      case 'advance':
        await f.advance(Number(rest[0]));
        break;
      default:
        throw new Error(`${c.pos}: unknown input line ${line}`);
    }
  }
}

runDataDriven('gc-plan', async (c) => {
  if (c.command !== 'plan') throw new Error(`${c.pos}: unknown command ${c.command}`);
  const planner = PLANNERS[c.args[0] ?? ''];
  if (planner === undefined) throw new Error(`${c.pos}: plan which resource?`);
  const f = new GcFixture();
  const names = new NameTable();
  await build(c, f, names);
  let plan: GcPlan;
  try {
    plan = await planner({
      gcStore: f.gcStore,
      nowMs: f.clock.nowMs(),
      minAgeMs: Number(c.kv['min-age'] ?? 0),
      dryRun: c.args.includes('dry-run'),
    });
  } catch (e) {
    const err = e as { kind?: string; code?: string };
    return `error: ${err.kind} ${err.code}`;
  }
  const out = [`listed ${plan.listed}`];
  if (plan.cutoffMs !== undefined)
    out.push(plan.cutoffMs === 0 ? 'cutoff epoch' : `cutoff now-${f.clock.nowMs() - plan.cutoffMs}ms`);
  for (const p of plan.paths) out.push(`delete ${names.replaceIds(p)}`);
  return out.join('\n');
});
