/**
 * `shaledb run-compactor` (slatedb-cli 0.12.1's command; `compactor` is the same command): runs the compactor of
 * a database as its own process, the way SlateDB users run a standalone compactor beside writers configured with
 * `compactorOptions: null`. It fences any other compactor of the database (ours or SlateDB's), compacts until
 * SIGINT or SIGTERM, then stops cleanly: no new jobs, running jobs abandoned (their outputs are unreferenced and
 * left for GC), exit 0. Without options it runs with 0.12.1's default compactor options, as slatedb-cli does.
 *
 * Invariants: bad usage exits 2 with a message; a fenced or failed compactor exits with its error's kind and code.
 * Concurrency: one compactor per process.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { compactionListToJson } from '../../admin/admin-json.js';
import type { CompactionRequest } from '../../admin/submit-compaction.js';
import { compactionDestination } from '../../format/compactions.js';
import type { MergeOperator } from '../../lsm/merge-operator.js';
import type { CompressionCodec } from '../../store/settings.js';
import { dataError, invalidError } from '../../util/errors.js';
import { argParser, parseCount, parseSize, parseWhole, usageError } from '../args.js';
import { parseCompactionRequest } from '../compaction-request.js';
import { type CliContext, withGlobalOptions } from '../context.js';
import { printJson, printJsonText } from '../io.js';
import { progress } from '../progress.js';

interface CompactorArgs {
  readonly pollInterval?: string;
  readonly maxSstSize?: number;
  readonly maxConcurrent?: number;
  readonly subcompactions?: number;
  readonly compression?: string;
  readonly blockSize?: number;
  readonly mergeOperator?: string;
  readonly workers?: number;
  readonly workerNice?: number;
  readonly scheduler: string[];
}

/** Loads a merge operator from an ES module file (its default export), or undefined without one. */
export async function loadMergeOperator(file: string | undefined): Promise<MergeOperator | undefined> {
  if (file === undefined) return undefined;
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  } catch (e) {
    throw invalidError('INVALID_ARGUMENT', `--merge-operator ${file}: ${(e as Error).message}`, e);
  }
  if (typeof mod.default !== 'function') {
    throw invalidError('INVALID_ARGUMENT', `${file} must export a merge operator function as default`);
  }
  return mod.default as MergeOperator;
}

/** Registers `run-compactor` (alias `compactor`) and `submit-compaction`. */
export function registerCompactorCommand(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  withGlobalOptions(
    program
      .command('submit-compaction')
      .description('Submits a compaction request for the running compactor to execute')
      .option('--scheduler <name>', 'compaction scheduler (only "size-tiered")', 'size-tiered')
      .requiredOption(
        '--request <json>',
        'the request: \'"Full"\' or \'{"Spec":{"sources":[{"SortedRun":3},{"SstView":"01H..."}],"destination":3}}\'',
        argParser((t) => {
          try {
            return parseCompactionRequest(t);
          } catch (e) {
            throw usageError((e as Error).message);
          }
        }),
      ),
  ).action(async (o: { scheduler: string; request: CompactionRequest }, cmd: Command) => {
    if (o.scheduler !== 'size-tiered') {
      throw invalidError('INVALID_ARGUMENT', `unsupported scheduler: ${o.scheduler}`);
    }
    await ctx.withDb(cmd, async (db) => {
      // 0.12.1's size-tiered `generate` makes one spec of a request.
      const submitted = [await db.admin.submitCompaction(o.request)];
      if (ctx.json(cmd)) return printJsonText(io, compactionListToJson(submitted));
      for (const c of submitted) {
        const sources = [
          ...c.spec.l0ViewIds.map((v) => `L0 ${v.toString()}`),
          ...c.spec.sortedRuns.map((s) => `SR ${s}`),
        ];
        io.out(
          `submitted compaction ${c.id.toString()}: ${sources.join(', ')} -> SR ${compactionDestination(c.spec)}\n`,
        );
      }
    });
  });

  withGlobalOptions(
    program
      .command('run-compactor')
      .alias('compactor')
      .description('Runs the compactor until SIGINT/SIGTERM (fences any other compactor of the database)')
      .option('--poll-interval <duration>', 'scheduling tick (default 5s)')
      .option(
        '--max-sst-size <size>',
        'roll output SSTs after this size (default 256MiB; e.g. 64MiB, 1GB)',
        argParser((t) => parseSize(t, '--max-sst-size')),
      )
      .option(
        '--max-concurrent <n>',
        'concurrent compactions (default 4)',
        argParser((t) => parseCount(t, '--max-concurrent')),
      )
      .option(
        '--subcompactions <n>',
        'parallel key ranges per compaction (default 1)',
        argParser((t) => parseCount(t, '--subcompactions')),
      )
      .option('--compression <codec>', 'codec of output SSTs: none, snappy, zlib, lz4, zstd (default none)')
      .option(
        '--block-size <size>',
        'output block size (default 4KiB)',
        argParser((t) => parseSize(t, '--block-size')),
      )
      .option('--merge-operator <module>', "ES module whose default export is the database's merge operator")
      .option(
        '--workers <n>',
        'worker threads compactions run in (default min(2, cores); 0: the main thread)',
        argParser((t) => parseWhole(t, '--workers')),
      )
      .option(
        '--worker-nice <n>',
        'nice value of the worker threads, 0-19 (Linux; default 10)',
        argParser((t) => parseWhole(t, '--worker-nice')),
      )
      .option(
        '--scheduler <key=value>',
        'size-tiered scheduler option (repeatable), e.g. min_compaction_sources=4',
        (v: string, prev: string[]) => [...prev, v],
        [] as string[],
      ),
  ).action(async (o: CompactorArgs, cmd: Command) => {
    const schedulerOptions: Record<string, string> = {};
    for (const kv of o.scheduler) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw usageError(`--scheduler takes KEY=VALUE, got ${JSON.stringify(kv)}`);
      schedulerOptions[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const codec = o.compression === undefined || o.compression === 'none' ? null : o.compression;
    const mergeOperator = await loadMergeOperator(o.mergeOperator);
    const json = ctx.json(cmd);
    const log = (event: Record<string, unknown>, text: string) => {
      if (json) printJson(io, event);
      else io.out(`${text}\n`);
    };
    await ctx.withDb(cmd, async (db) => {
      if ((await db.admin.readManifest()) === undefined) {
        throw dataError('MANIFEST_MISSING', `${db.path}: no manifest (is this a database?)`);
      }
      const abort = new AbortController();
      void io.stopped().then(() => abort.abort());
      const bar = progress(io, 'compactor', 'compactions ended');
      log(
        { event: 'started', store: db.url, path: db.admin.path },
        `compactor running on ${db.store.description} path ${db.admin.path}; stop with SIGINT or SIGTERM`,
      );
      const result = await db.admin
        .runCompactor(
          {
            compressionCodec: codec as CompressionCodec,
            compactorOptions: {
              ...(o.pollInterval === undefined ? {} : { pollInterval: o.pollInterval }),
              ...(o.maxSstSize === undefined ? {} : { maxSstSize: o.maxSstSize }),
              ...(o.maxConcurrent === undefined ? {} : { maxConcurrentCompactions: o.maxConcurrent }),
              ...(o.subcompactions === undefined ? {} : { subcompactions: o.subcompactions }),
              schedulerOptions,
            },
            ...(o.blockSize === undefined ? {} : { blockSize: o.blockSize }),
            ...(mergeOperator === undefined ? {} : { mergeOperator }),
            ...(o.workers === undefined ? {} : { compactionWorkers: o.workers }),
            ...(o.workerNice === undefined ? {} : { workerNice: o.workerNice }),
            onCompaction: (id, stats) =>
              log(
                {
                  event: 'compaction_done',
                  id,
                  rows_written: stats.rowsWritten,
                  bytes_written: stats.bytesWritten,
                },
                `compaction ${id} done: ${stats.rowsWritten} rows, ${stats.bytesWritten} bytes written`,
              ),
            onProgress: (p) => bar.update(p.done),
          },
          abort.signal,
        )
        .finally(() => bar.done());
      const n = result.compactionsCompleted;
      log(
        {
          event: 'stopped',
          epoch: result.epoch,
          compactions_completed: n,
          compactions_failed: result.compactionsFailed,
        },
        `compactor stopped cleanly (${n} compactions completed)`,
      );
    });
  });
}
