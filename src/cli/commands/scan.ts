/**
 * `shaledb scan`: prints (or counts) the key-values of a database through a DbReader, which never fences a writer:
 * by default it reads the latest state under a short-lived checkpoint of its own (deleted when done, so GC cannot
 * delete what it reads), `--checkpoint ID` reads an existing checkpoint, `--no-checkpoint` reads the latest
 * manifest without writing anything.
 *
 * Keys and values are printed (and `--prefix`/`--from`/`--to` read) in `--encoding`: escape (printable ASCII as is,
 * `\\` and `\xNN` otherwise; the default), hex or base64. Text output is one `key<TAB>value` line per key (a tab
 * is always escaped inside keys and values in escape form); `--json` prints one array of
 * `{key, value, seq, create_ts, expire_ts}`, written as it goes.
 *
 * Invariants: `--from` is inclusive, `--to` exclusive; `--prefix` excludes `--from`/`--to`; `--max-keys N` stops
 * after N keys; `--count` prints only the number of keys (with a progress line on a terminal).
 * Concurrency: a snapshot view; safe beside any writer, compactor or collector.
 */
import { type Command, Option } from 'commander';
import { DbReader } from '../../db/db-reader.js';
import type { ScanRange } from '../../db/options.js';
import { argParser, parseCount, usageError } from '../args.js';
import { type CliContext, withGlobalOptions } from '../context.js';
import { printJson, toJson } from '../io.js';
import { progress } from '../progress.js';
import { BYTE_ENCODINGS, type ByteEncoding, decodeKey, encodeBytes } from '../text.js';
import { loadMergeOperator } from './compactor.js';

interface ScanArgs {
  readonly prefix?: string;
  readonly from?: string;
  readonly to?: string;
  readonly maxKeys?: number;
  readonly count?: boolean;
  readonly checkpoint?: string | false;
  readonly encoding: ByteEncoding;
  readonly mergeOperator?: string;
  readonly wal: boolean;
}

/** Registers `scan`. */
export function registerScanCommand(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  withGlobalOptions(
    program
      .command('scan')
      .description('Prints or counts key-values through a read-only DbReader (never fences a writer)')
      .option('--prefix <key>', 'only keys starting with this')
      .option('--from <key>', 'first key (inclusive)')
      .option('--to <key>', 'end key (exclusive)')
      .option(
        '--max-keys <n>',
        'stop after this many keys',
        argParser((t) => parseCount(t, '--max-keys')),
      )
      .option('--count', 'print only the number of keys')
      .option('--checkpoint <uuid>', 'read this existing checkpoint')
      .option('--no-checkpoint', 'read the latest manifest without creating a checkpoint (writes nothing)')
      .option('--no-wal', 'read only L0 and sorted runs (skip WAL SSTs not yet flushed to L0)')
      .addOption(
        new Option('--encoding <encoding>', 'how keys and values are written and read')
          .choices(BYTE_ENCODINGS)
          .default('escape'),
      )
      .option('--merge-operator <module>', "ES module whose default export is the database's merge operator"),
  ).action(async (o: ScanArgs, cmd: Command) => {
    if (o.prefix !== undefined && (o.from !== undefined || o.to !== undefined)) {
      throw usageError('--prefix cannot be combined with --from or --to');
    }
    const key = (t: string, option: string) => decodeKey(t, o.encoding, option);
    const range: ScanRange = {
      ...(o.from === undefined ? {} : { gte: key(o.from, '--from') }),
      ...(o.to === undefined ? {} : { lt: key(o.to, '--to') }),
    };
    const prefix = o.prefix === undefined ? undefined : key(o.prefix, '--prefix');
    const mergeOperator = await loadMergeOperator(o.mergeOperator);
    const json = ctx.json(cmd);
    await ctx.withDb(cmd, async (db) => {
      const reader = await DbReader.open(db.path, db.store, {
        ...(typeof o.checkpoint === 'string' ? { checkpointId: o.checkpoint } : {}),
        ...(o.checkpoint === false ? { createCheckpoint: false } : {}),
        ...(o.wal ? {} : { skipWalReplay: true }),
        ...(mergeOperator === undefined ? {} : { mergeOperator }),
        retry: false,
      });
      const it = prefix === undefined ? reader.scan(range) : reader.scanPrefix(prefix);
      const bar = o.count === true ? progress(io, 'scanning', 'keys') : undefined;
      const max = o.maxKeys ?? Number.POSITIVE_INFINITY;
      let n = 0;
      try {
        if (json && o.count !== true) io.out('[');
        while (n < max && !io.outputClosed()) {
          const batch = await it.nextBatch(Math.min(256, max - n));
          if (batch.length === 0) break;
          for (const kv of batch) {
            if (o.count === true) continue;
            const k = encodeBytes(kv.key, o.encoding);
            const v = encodeBytes(kv.value, o.encoding);
            if (json) {
              const row = {
                key: k,
                value: v,
                seq: kv.seq,
                create_ts: kv.createTs ?? null,
                expire_ts: kv.expireTs ?? null,
              };
              io.out(`${n === 0 ? '\n' : ',\n'}${toJson(row)}`);
            } else io.out(`${k}\t${v}\n`);
            n++;
          }
          if (o.count === true) {
            n += batch.length;
            bar?.update(n);
          }
        }
      } finally {
        bar?.done();
        it.close();
        await reader.close();
      }
      if (o.count === true) {
        if (json) printJson(io, { count: n });
        else io.out(`${n}\n`);
      } else if (json) io.out(n === 0 ? ']\n' : '\n]\n');
    });
  });
}
