/**
 * `shaledb stats` (object counts and bytes per directory, L0 and sorted-run totals, checkpoints, WAL SSTs awaiting
 * replay, unreferenced SSTs) and `shaledb inspect` (the LSM shape: every L0 SST and sorted run with its size and key
 * range, and the checkpoints), both from the latest manifest (or `--id`) and one listing per directory.
 *
 * Invariants: read-only; no database is a data error MANIFEST_MISSING.
 * Concurrency: a snapshot; safe beside any writer, compactor or collector.
 */
import { type Command, Option } from 'commander';
import { dataError } from '../../util/errors.js';
import { argParser, parseId } from '../args.js';
import { type CliContext, type DbHandle, withGlobalOptions } from '../context.js';
import { printJson } from '../io.js';
import { dbStats, formatShape, formatStats, lsmShape } from '../lsm-shape.js';
import { BYTE_ENCODINGS, type ByteEncoding } from '../text.js';

async function manifestOf(db: DbHandle, id: number | undefined) {
  const r = await db.admin.readManifest(id);
  if (r === undefined) {
    throw dataError(
      'MANIFEST_MISSING',
      id === undefined ? `${db.path}: no manifest (is this a database?)` : `${db.path}: no manifest ${id}`,
    );
  }
  return r;
}

/** Registers `stats` and `inspect`. */
export function registerInspectCommands(program: Command, ctx: CliContext): void {
  const idOption = () =>
    new Option('-i, --id <id>', 'manifest id (default: the latest)').argParser(
      argParser((t) => parseId(t, '--id')),
    );

  withGlobalOptions(
    program
      .command('stats')
      .description('Object counts and sizes of a database, with L0, sorted-run and checkpoint totals')
      .addOption(idOption()),
  ).action(async (o: { id?: number }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const { id, manifest } = await manifestOf(db, o.id);
      const s = await dbStats(db.store, db.admin.path, Number(id), manifest);
      if (ctx.json(cmd)) return printJson(ctx.io, s);
      ctx.io.out(formatStats(s));
    }),
  );

  withGlobalOptions(
    program
      .command('inspect')
      .description('The LSM shape: L0 SSTs, sorted runs, sizes, key ranges, checkpoints')
      .addOption(idOption())
      .addOption(
        new Option('--encoding <encoding>', 'how keys are printed').choices(BYTE_ENCODINGS).default('escape'),
      ),
  ).action(async (o: { id?: number; encoding: ByteEncoding }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const { id, manifest } = await manifestOf(db, o.id);
      const shape = await lsmShape(db.store, db.admin.path, Number(id), manifest, o.encoding);
      if (ctx.json(cmd)) return printJson(ctx.io, shape);
      ctx.io.out(formatShape(shape));
    }),
  );
}
