/**
 * `seq-to-ts` and `ts-to-seq` (slatedb-cli 0.12.1): convert between sequence numbers and Unix times with the latest
 * manifest's sequence tracker (RFC 0012 samples, about one a minute), rounding down (default) or up (`--round`).
 * Text output is slatedb-cli's: an RFC 3339 time ("+00:00"), a sequence number, or "not found".
 *
 * Invariants: read-only; no database or no sample on that side prints "not found" (JSON: null) and exits 0.
 * Concurrency: safe beside anything.
 */
import { type Command, Option } from 'commander';
import { parseRounding } from '../../admin/admin-util.js';
import { chronoRfc3339, serdeTime } from '../../admin/json-text.js';
import { argParser, usageError } from '../args.js';
import { type CliContext, withGlobalOptions } from '../context.js';
import { printJson } from '../io.js';

const roundOption = () =>
  new Option('--round <direction>', 'when between two samples: down (the earlier) or up (the later)')
    .default('down')
    .argParser(
      argParser((t) => {
        try {
          return parseRounding(t);
        } catch (e) {
          throw usageError(`--round: ${(e as Error).message}`);
        }
      }),
    );

const integer = (what: string, signed: boolean) =>
  argParser((t) => {
    if (!(signed ? /^-?\d+$/ : /^\d+$/).test(t))
      throw usageError(`${what}: not an integer: ${JSON.stringify(t)}`);
    const v = BigInt(t);
    if (v >= 1n << 64n || v < -(1n << 63n)) throw usageError(`${what}: out of range: ${t}`);
    return v;
  });

/** Registers the sequence/time conversion commands. */
export function registerSeqCommands(program: Command, ctx: CliContext): void {
  withGlobalOptions(
    program
      .command('seq-to-ts')
      .description("The time of a sequence number, from the latest manifest's sequence tracker")
      .argument('<seq>', 'sequence number', integer('seq', false))
      .addOption(roundOption()),
  ).action(async (seq: bigint, o: { round: 'up' | 'down' }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const ts = await db.admin.getTimestampForSequence(seq, o.round);
      if (ctx.json(cmd))
        return printJson(ctx.io, {
          seq,
          round: o.round,
          ts: ts === undefined ? null : serdeTime(ts.getTime()),
        });
      ctx.io.out(ts === undefined ? 'not found\n' : `${chronoRfc3339(ts.getTime())}\n`);
    }),
  );

  withGlobalOptions(
    program
      .command('ts-to-seq')
      .description(
        "The sequence number at a Unix time (seconds), from the latest manifest's sequence tracker",
      )
      .argument('<ts_secs>', 'Unix time in seconds', integer('ts_secs', true))
      .addOption(roundOption()),
  ).action(async (ts: bigint, o: { round: 'up' | 'down' }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      if (ts < -8_334_601_228_800n || ts > 8_210_266_876_799n)
        throw usageError('ts_secs: invalid unix seconds');
      const seq = await db.admin.getSequenceForTimestamp(Number(ts) * 1000, o.round);
      if (ctx.json(cmd)) return printJson(ctx.io, { ts_secs: ts, round: o.round, seq: seq ?? null });
      ctx.io.out(seq === undefined ? 'not found\n' : `${seq}\n`);
    }),
  );
}
