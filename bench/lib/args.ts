/**
 * The command line of `npm run bench`: parsing, validation and the help text.
 *
 * Invariants: unknown flags and bad values are errors (with the help text), never ignored; lists are validated
 * against the known engines, workloads and sizes.
 * Concurrency: pure.
 */
import { ENGINE_IDS, type EngineId } from '../engines/engine.js';
import { ENGINES } from '../engines/registry.js';
import { WORKLOAD_IDS, type WorkloadId } from './result.js';
import type { Mode } from './scale.js';

/** Parsed options. */
export interface BenchArgs {
  readonly mode: Mode;
  readonly engines: readonly EngineId[];
  /** Engines left out, with the reason (excluded from the default set, or not selected). */
  readonly notSelected: ReadonlyMap<EngineId, string>;
  readonly workloads: readonly WorkloadId[];
  readonly valueSizes: readonly number[];
  readonly json: boolean;
  readonly outDir: string;
  /** Base name of the saved files. */
  readonly name: string;
  readonly tempParent: string | undefined;
  readonly seed: number;
  readonly flushIntervalMs: number;
  readonly compactorPollMs: number;
  /** Rounds of the plan; each figure is the median round's (by throughput). */
  readonly repeat: number;
  readonly progress: boolean;
  /** Exit 1 when a cell failed or a correctness check found a problem. */
  readonly strict: boolean;
  /** Re-render the reports of this saved JSON report instead of running. */
  readonly from: string | undefined;
  readonly help: boolean;
}

/** The help text. */
export const USAGE = `Usage: npm run bench -- [options]

Runs ShaleDB and its peers (SlateDB 0.12.1, LevelDB, LMDB, RocksDB) side by side on this machine and saves
markdown, JSON and SVG results under bench/results/.

Modes:
  (default)               full suite, about 6-7 minutes on 2 cores
  --quick                 about a tenth of the scale, under 2 minutes
  --smoke                 a few hundred operations per workload, seconds (engines shaledb,leveldb,lmdb; 100 B)
Selection:
  --only <list>           workloads: ${WORKLOAD_IDS.join(',')}
  --engines <list>        engines: ${ENGINE_IDS.join(',')}
  --values <list>         value sizes in bytes (default 100,1024)
Output:
  --json                  print the JSON report on stdout (default: markdown)
  --out <dir>             directory for the saved files (default bench/results)
  --name <name>           base name of the saved files (default: latest for a full default run, else
                          <mode>.local or partial.local, which git ignores)
  --no-progress           no progress display on stderr
  --strict                exit 1 if a selected engine could not run, a cell failed or a check failed
  --from <file.json>      re-render markdown and SVG from a saved JSON report (no run)
Tuning:
  --dir <dir>             parent directory of the temporary databases (default: the OS temp directory)
  --seed <n>              data seed (default 42)
  --flush-interval <ms>   WAL flush interval of the object-store engines (default 100)
  --compactor-poll <ms>   compactor poll interval of the object-store engines (default 200)
  --repeat <n>            run the selected cells n times, round by round, and report each cell's median round
                          by throughput (min and max in the JSON; for noisy machines, with --only)
  --help                  this text
`;

function list(v: string | undefined, flag: string): string[] {
  if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function positiveInt(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (v === undefined || !Number.isSafeInteger(n) || n <= 0)
    throw new Error(`${flag} needs a positive integer`);
  return n;
}

interface Raw {
  mode: Mode;
  engines?: string[];
  only?: string[];
  values?: number[];
  json: boolean;
  out: string;
  name?: string;
  dir?: string;
  seed: number;
  flush: number;
  poll: number;
  repeat: number;
  progress: boolean;
  strict: boolean;
  from?: string;
  help: boolean;
}

function parseFlags(argv: readonly string[]): Raw {
  const raw: Raw = {
    mode: 'default',
    json: false,
    out: 'bench/results',
    seed: 42,
    flush: 100,
    poll: 200,
    repeat: 1,
    progress: true,
    strict: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string | undefined => argv[++i];
    if (a === '--quick' || a === '--smoke') {
      if (raw.mode !== 'default') throw new Error('choose one of --quick and --smoke');
      raw.mode = a === '--quick' ? 'quick' : 'smoke';
    } else if (a === '--only') raw.only = list(next(), a);
    else if (a === '--engines') raw.engines = list(next(), a);
    else if (a === '--values') raw.values = list(next(), a).map((s) => positiveInt(s, a));
    else if (a === '--json') raw.json = true;
    else if (a === '--out') raw.out = list(next(), a).join(',');
    else if (a === '--name') raw.name = list(next(), a).join(',');
    else if (a === '--dir') raw.dir = list(next(), a).join(',');
    else if (a === '--seed') raw.seed = positiveInt(next(), a);
    else if (a === '--flush-interval') raw.flush = positiveInt(next(), a);
    else if (a === '--compactor-poll') raw.poll = positiveInt(next(), a);
    else if (a === '--repeat') raw.repeat = positiveInt(next(), a);
    else if (a === '--no-progress' || a === '--quiet') raw.progress = false;
    else if (a === '--strict') raw.strict = true;
    else if (a === '--from') raw.from = list(next(), a).join(',');
    else if (a === '--help' || a === '-h') raw.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  return raw;
}

function selectEngines(raw: Raw): { engines: EngineId[]; notSelected: Map<EngineId, string> } {
  const notSelected = new Map<EngineId, string>();
  const smokeSet: readonly EngineId[] = ['shaledb', 'leveldb', 'lmdb'];
  for (const e of raw.engines ?? []) {
    if (!(ENGINE_IDS as readonly string[]).includes(e))
      throw new Error(`unknown engine ${e} (known: ${ENGINE_IDS.join(', ')})`);
  }
  const engines = ENGINES.filter((d) =>
    raw.engines !== undefined
      ? raw.engines.includes(d.id)
      : raw.mode === 'smoke'
        ? smokeSet.includes(d.id)
        : d.defaultEnabled,
  ).map((d) => d.id);
  for (const d of ENGINES) {
    if (engines.includes(d.id)) continue;
    const why =
      raw.engines === undefined && !d.defaultEnabled
        ? (d.excludedReason ?? 'not in the default set')
        : 'not selected';
    notSelected.set(d.id, why);
  }
  return { engines, notSelected };
}

/** Parses `argv` (without node and the script). Throws an Error with a message on bad input. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  const raw = parseFlags(argv);
  for (const w of raw.only ?? []) {
    if (!(WORKLOAD_IDS as readonly string[]).includes(w))
      throw new Error(`unknown workload ${w} (known: ${WORKLOAD_IDS.join(', ')})`);
  }
  const { engines, notSelected } = selectEngines(raw);
  const workloads = WORKLOAD_IDS.filter((w) => raw.only === undefined || raw.only.includes(w));
  const valueSizes = raw.values ?? (raw.mode === 'smoke' ? [100] : [100, 1024]);
  const filtered =
    raw.only !== undefined || raw.engines !== undefined || raw.values !== undefined || raw.repeat !== 1;
  // Scratch runs are named *.local.* (ignored by git); only a full default run writes latest.*.
  const name =
    raw.name ?? (raw.mode === 'default' && !filtered ? 'latest' : `${filtered ? 'partial' : raw.mode}.local`);
  return {
    mode: raw.mode,
    engines,
    notSelected,
    workloads,
    valueSizes,
    json: raw.json,
    outDir: raw.out,
    name,
    tempParent: raw.dir,
    seed: raw.seed,
    flushIntervalMs: raw.flush,
    compactorPollMs: raw.poll,
    repeat: raw.repeat,
    progress: raw.progress,
    strict: raw.strict,
    from: raw.from,
    help: raw.help,
  };
}
