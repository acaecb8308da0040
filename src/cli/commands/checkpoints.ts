/**
 * The checkpoint commands of slatedb-cli 0.12.1: `create-checkpoint`, `refresh-checkpoint`, `delete-checkpoint`,
 * `list-checkpoints`, with its flags (`-l/--lifetime` in humantime syntax, `-s/--source`, `-n/--name`, `-i/--id`),
 * and `create-clone` (0.12.1's `Admin::create_clone`, which its CLI does not offer).
 * `--json` prints `{"id","manifest_id"}` for a created checkpoint and 0.12.1's `Checkpoint` array for the list.
 *
 * Invariants: each change is one unfenced compare-and-swap on the latest manifest (a writer or compactor is never
 * fenced); refreshing a missing checkpoint fails (data/INVALID_DB_STATE), deleting one changes nothing.
 * Concurrency: safe beside writers, readers, compactors and collectors.
 */
import type { Command } from 'commander';
import {
  checkpointCreateResultToJson,
  checkpointJsonValue,
  checkpointsToJson,
  checkpointToJson,
} from '../../admin/admin-json.js';
import { Uuid } from '../../util/ids.js';
import { argParser, usageError } from '../args.js';
import { type CliContext, withGlobalOptions } from '../context.js';
import { parseHumantimeMs } from '../humantime.js';
import { printJson, printJsonText } from '../io.js';
import { checkpointLine } from '../lsm-shape.js';

const uuid = argParser((t) => {
  try {
    return Uuid.parse(t).toString();
  } catch {
    throw usageError(`not a UUID: ${JSON.stringify(t)} (e.g. 01740ee5-6459-44af-9a45-85deb6e468e3)`);
  }
});
const lifetime = argParser((t) => parseHumantimeMs(t, '--lifetime'));

/** Registers the checkpoint commands. */
export function registerCheckpointCommands(program: Command, ctx: CliContext): void {
  withGlobalOptions(
    program
      .command('create-checkpoint')
      .description("Creates a checkpoint of the database's current manifest (or of --source's)")
      .option(
        '-l, --lifetime <duration>',
        'expire after this long, e.g. "7days 30min 10s" (default: never)',
        lifetime,
      )
      .option('-s, --source <uuid>', 'pin the same manifest as this existing checkpoint', uuid)
      .option('-n, --name <name>', 'a name to list it by'),
  ).action(async (o: { lifetime?: number; source?: string; name?: string }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const r = await db.admin.createDetachedCheckpoint({
        ...(o.lifetime === undefined ? {} : { lifetime: o.lifetime }),
        ...(o.source === undefined ? {} : { source: o.source }),
        ...(o.name === undefined ? {} : { name: o.name }),
      });
      if (ctx.json(cmd)) return printJsonText(ctx.io, checkpointCreateResultToJson(r));
      ctx.io.out(`created checkpoint ${r.id} pinning manifest ${r.manifestId}\n`);
    }),
  );

  withGlobalOptions(
    program
      .command('refresh-checkpoint')
      .description("Sets an existing checkpoint's expiry to now + --lifetime (no --lifetime: never expires)")
      .requiredOption('-i, --id <uuid>', 'the checkpoint', uuid)
      .option('-l, --lifetime <duration>', 'new lifetime, e.g. "1h" (default: never expires)', lifetime),
  ).action(async (o: { id: string; lifetime?: number }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      await db.admin.refreshCheckpoint(o.id, o.lifetime);
      const cp = (await db.admin.listCheckpoints()).find((c) => c.id === o.id);
      if (ctx.json(cmd)) return printJsonText(ctx.io, cp === undefined ? 'null' : checkpointToJson(cp));
      ctx.io.out(
        `refreshed checkpoint ${o.id}: ${cp?.expireTime === undefined ? 'never expires' : `expires ${cp.expireTime.toISOString()}`}\n`,
      );
    }),
  );

  withGlobalOptions(
    program
      .command('delete-checkpoint')
      .description('Deletes a checkpoint')
      .requiredOption('-i, --id <uuid>', 'the checkpoint', uuid),
  ).action(async (o: { id: string }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const existed = (await db.admin.listCheckpoints()).some((c) => c.id === o.id);
      await db.admin.deleteCheckpoint(o.id);
      if (ctx.json(cmd)) return printJson(ctx.io, { id: o.id, deleted: existed });
      ctx.io.out(existed ? `deleted checkpoint ${o.id}\n` : `no checkpoint ${o.id} (nothing changed)\n`);
    }),
  );

  withGlobalOptions(
    program
      .command('create-clone')
      .description(
        "Creates a clone at --path of the database at --parent-path (same store): it shares the parent's SSTs",
      )
      .requiredOption('--parent-path <path>', 'the database to clone, in the same object store')
      .option(
        '--parent-checkpoint <uuid>',
        'clone this checkpoint of the parent (default: a new one of its latest state)',
        uuid,
      ),
  ).action(async (o: { parentPath: string; parentCheckpoint?: string }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      await db.admin.createClone(o.parentPath, o.parentCheckpoint);
      const latest = await db.admin.readManifest();
      const manifestId = latest === undefined ? null : latest.id;
      if (ctx.json(cmd))
        return printJson(ctx.io, { path: db.admin.path, parent_path: o.parentPath, manifest_id: manifestId });
      ctx.io.out(`created clone ${db.admin.path} of ${o.parentPath} (manifest ${manifestId})\n`);
    }),
  );

  withGlobalOptions(
    program
      .command('list-checkpoints')
      .description('Lists the database\'s checkpoints (--name: those with that name; "": the unnamed ones)')
      .option('-n, --name <name>', 'only checkpoints with this name'),
  ).action(async (o: { name?: string }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const list = await db.admin.listCheckpoints(o.name);
      if (ctx.json(cmd)) return printJsonText(ctx.io, checkpointsToJson(list));
      const cps = list.map((c) => checkpointJsonValue(c) as Record<string, unknown>);
      if (cps.length === 0) return ctx.io.out('no checkpoints\n');
      for (const c of cps) ctx.io.out(`${checkpointLine(c)}\n`);
    }),
  );
}
