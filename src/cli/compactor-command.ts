/**
 * `shaledb compactor --store URL --path DB`: runs the compactor as its own process, the way SlateDB users run a
 * standalone compactor beside writers configured with `compactorOptions: null`. It fences any other compactor of
 * the database (ours or SlateDB's), compacts until SIGINT or SIGTERM, then stops cleanly: no new jobs, running
 * jobs abandoned (their outputs are unreferenced and left for GC), exit 0.
 *
 * Invariants: bad usage exits 2 with a message; a fenced compactor exits 1 saying so.
 * Concurrency: one compactor per process.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Compactor } from '../compactor/compactor.js';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { resolveObjectStore } from '../object-store/resolve.js';
import { normalizeRoot } from '../store/paths.js';
import { type CompressionCodec, resolveSettings } from '../store/settings.js';
import { TableStore, tableStoreOptions } from '../store/table-store.js';
import { systemClock } from '../util/clock.js';
import { TaskExecutor } from '../util/dispatcher.js';
import { invalidError } from '../util/errors.js';
import { systemRand } from '../util/random.js';
import { parseCommandArgs, parseCount, parseSize, usageError } from './args.js';

export const COMPACTOR_USAGE = `usage: shaledb compactor --store URL --path DB [options]

  --store URL              object store URL (file:///abs/dir, s3://bucket/prefix, az://..., gs://..., memory:///)
  --path DB                database path inside the store
  --poll-interval D        scheduling tick (default 5s)
  --max-sst-size SIZE      roll output SSTs after this size (default 256MiB; e.g. 64MiB, 1GB, 268435456)
  --max-concurrent N       concurrent compactions (default 4)
  --subcompactions N       parallel key ranges per compaction (default 1)
  --compression CODEC      codec of output SSTs: none, snappy, zlib, lz4, zstd (default none)
  --block-size SIZE        output block size (default 4KiB)
  --merge-operator MODULE  ES module whose default export is the database's merge operator
  --scheduler KEY=VALUE    size-tiered scheduler option (repeatable), e.g. min_compaction_sources=4
  -h, --help               this text
`;

/** Runs the compactor until `stop` resolves (signals in the CLI). Returns the exit code. */
export async function runCompactor(
  argv: string[],
  stop: Promise<void>,
  log: (l: string) => void,
): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    store: { type: 'string' },
    path: { type: 'string' },
    'poll-interval': { type: 'string' },
    'max-sst-size': { type: 'string' },
    'max-concurrent': { type: 'string' },
    subcompactions: { type: 'string' },
    compression: { type: 'string' },
    'block-size': { type: 'string' },
    'merge-operator': { type: 'string' },
    scheduler: { type: 'string', multiple: true },
  });
  if (values.help) {
    log(COMPACTOR_USAGE);
    return 0;
  }
  if (values.store === undefined || values.path === undefined) {
    throw usageError('--store and --path are required');
  }
  const size = (v: string | undefined, o: string) => (v === undefined ? undefined : parseSize(v, o));
  const count = (v: string | undefined, o: string) => (v === undefined ? undefined : parseCount(v, o));
  const schedulerOptions: Record<string, string> = {};
  for (const kv of values.scheduler ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usageError(`--scheduler takes KEY=VALUE, got ${JSON.stringify(kv)}`);
    schedulerOptions[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const codec = values.compression === undefined || values.compression === 'none' ? null : values.compression;
  const settings = resolveSettings({
    compressionCodec: codec as CompressionCodec,
    compactorOptions: {
      ...(values['poll-interval'] === undefined ? {} : { pollInterval: values['poll-interval'] }),
      ...(values['max-sst-size'] === undefined
        ? {}
        : { maxSstSize: size(values['max-sst-size'], '--max-sst-size')! }),
      ...(values['max-concurrent'] === undefined
        ? {}
        : { maxConcurrentCompactions: count(values['max-concurrent'], '--max-concurrent')! }),
      ...(values.subcompactions === undefined
        ? {}
        : { subcompactions: count(values.subcompactions, '--subcompactions')! }),
      schedulerOptions,
    },
  });
  let mergeOperator: MergeOperator | undefined;
  if (values['merge-operator'] !== undefined) {
    const mod = (await import(pathToFileURL(resolve(values['merge-operator'])).href)) as {
      default?: unknown;
    };
    if (typeof mod.default !== 'function') {
      throw invalidError(
        'INVALID_ARGUMENT',
        `${values['merge-operator']} must export a merge operator function as default`,
      );
    }
    mergeOperator = mod.default as MergeOperator;
  }
  const store = await resolveObjectStore(values.store);
  const root = normalizeRoot(values.path);
  const tableStore = new TableStore(
    store,
    root,
    tableStoreOptions(settings, size(values['block-size'], '--block-size') ?? 4096, 0),
  );
  const executor = new TaskExecutor(systemClock, systemRand);
  const compactor = await Compactor.start({
    root,
    store,
    tableStore,
    options: settings.compactorOptions!,
    clock: systemClock,
    rand: systemRand,
    mergeOperator,
    executor,
    onJobFinished: (id, stats) =>
      log(`compaction ${id.toString()} done: ${stats.rowsWritten} rows, ${stats.bytesWritten} bytes written`),
  });
  log(
    `compactor running on ${store.description} path ${root} (epoch ${compactor.epoch}); stop with SIGINT or SIGTERM`,
  );
  const outcome = await Promise.race([stop.then(() => 'stop' as const), executor.whenClosed()]);
  const result = await executor.shutdown();
  await compactor.stop();
  await store.close();
  if (outcome !== 'stop' && !result.ok) {
    log(`compactor stopped: ${result.error.message}`);
    return 1;
  }
  log(`compactor stopped cleanly (${compactor.stats.compactionsCompleted} compactions completed)`);
  return 0;
}
