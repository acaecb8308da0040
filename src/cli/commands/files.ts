/**
 * The metadata-file commands of slatedb-cli 0.12.1: `read-manifest`, `list-manifests`, `read-compactions`,
 * `list-compactions`, `read-compaction`. Text output summarizes; `--json` prints what slatedb-cli prints
 * (`[id, manifest]`, `[id, compactions]`, arrays of file metadata, one compaction).
 *
 * Invariants: read-only; a missing file prints slatedb-cli's "no manifest file found" (JSON: null) and exits 0.
 * Concurrency: safe beside any writer, reader, compactor or collector.
 */
import type { Command } from 'commander';
import {
  compactionsToJson,
  compactionToJson,
  manifestToJson,
  versionFilesToJson,
} from '../../admin/admin-json.js';
import type { VersionFileInfo } from '../../admin/admin-types.js';
import { serdeTime } from '../../admin/json-text.js';
import { compactionDestination } from '../../format/compactions.js';
import { Ulid } from '../../util/ids.js';
import { argParser, parseId, usageError } from '../args.js';
import type { CliContext, DbHandle } from '../context.js';
import { withGlobalOptions } from '../context.js';
import { printJsonText } from '../io.js';
import { describeManifest } from '../lsm-shape.js';
import { humanBytes, table } from '../text.js';

const id = (option: string) => argParser((t) => parseId(t, option));

type ListFiles = (
  db: DbHandle,
  range: { start: number | undefined; end: number | undefined },
) => Promise<readonly VersionFileInfo[]>;

/** `list-manifests` / `list-compactions`: the version files of one kind, optionally ids in [--start, --end). */
function registerListCommand(
  program: Command,
  ctx: CliContext,
  kind: 'manifest' | 'compactions',
  list: ListFiles,
) {
  const name = kind === 'manifest' ? 'manifests' : 'compactions';
  withGlobalOptions(
    program
      .command(`list-${name}`)
      .description(`Lists the ${kind} files, optionally ids in [--start, --end)`)
      .option('-s, --start <id>', 'first id', id('--start'))
      .option('-e, --end <id>', 'end id (exclusive)', id('--end')),
  ).action(async (o: { start?: number; end?: number }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const files = await list(db, { start: o.start, end: o.end });
      if (ctx.json(cmd)) return printJsonText(ctx.io, versionFilesToJson(files));
      if (files.length === 0) return ctx.io.out(`no ${kind} files\n`);
      ctx.io.out(
        table(
          ['ID', 'SIZE', 'LAST MODIFIED', 'LOCATION'],
          files.map((f) => [
            String(f.id),
            humanBytes(f.size),
            serdeTime(f.lastModified.getTime()),
            f.location,
          ]),
        ),
      );
    }),
  );
}

/** Registers the manifest and compactions file commands. */
export function registerFileCommands(program: Command, ctx: CliContext): void {
  withGlobalOptions(
    program
      .command('read-manifest')
      .description('Reads the latest manifest (or --id) and prints it')
      .option('-i, --id <id>', 'manifest id to read (default: the latest)', id('--id')),
  ).action(async (o: { id?: number }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const r = await db.admin.readManifest(o.id);
      if (ctx.json(cmd)) return printJsonText(ctx.io, r === undefined ? 'null' : manifestToJson(r));
      if (r === undefined) return ctx.io.out('no manifest file found\n');
      ctx.io.out(`${describeManifest(Number(r.id), r.manifest).join('\n')}\n`);
    }),
  );

  registerListCommand(program, ctx, 'manifest', (db, range) => db.admin.listManifests(range));

  withGlobalOptions(
    program
      .command('read-compactions')
      .description('Reads the latest compactions file (or --id) and prints it')
      .option('-i, --id <id>', 'compactions file id to read (default: the latest)', id('--id')),
  ).action(async (o: { id?: number }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const r = await db.admin.readCompactions(o.id);
      if (ctx.json(cmd)) return printJsonText(ctx.io, r === undefined ? 'null' : compactionsToJson(r));
      if (r === undefined) return ctx.io.out('no compactions file found\n');
      const c = r.compactions;
      ctx.io.out(`compactions ${r.id}: compactor epoch ${c.compactorEpoch}\n`);
      if (c.recentCompactions.length === 0) return ctx.io.out('  no recent compactions\n');
      ctx.io.out(
        table(
          ['  ID', 'STATUS', 'SOURCES', 'DESTINATION', 'OUTPUT SSTS'],
          c.recentCompactions.map((x) => [
            `  ${x.id.toString()}`,
            x.status,
            [
              ...x.spec.l0ViewIds.map((v) => `L0 ${v.toString()}`),
              ...x.spec.sortedRuns.map((s) => `SR ${s}`),
            ].join(', '),
            `SR ${compactionDestination(x.spec)}`,
            String(x.outputSsts.length),
          ]),
        ),
      );
    }),
  );

  registerListCommand(program, ctx, 'compactions', (db, range) => db.admin.listCompactions(range));

  withGlobalOptions(
    program
      .command('read-compaction')
      .description('Reads one compaction by ULID from the latest compactions file (or --compactions-id)')
      .requiredOption(
        '-i, --id <ulid>',
        'the compaction ULID',
        argParser((t) => {
          try {
            return Ulid.parse(t);
          } catch {
            throw usageError(`not a ULID: ${JSON.stringify(t)}`);
          }
        }),
      )
      .option('--compactions-id <id>', 'compactions file id (default: the latest)', id('--compactions-id')),
  ).action(async (o: { id: Ulid; compactionsId?: number }, cmd: Command) =>
    ctx.withDb(cmd, async (db) => {
      const want = o.id.toString();
      const c = await db.admin.readCompaction(want, o.compactionsId);
      if (ctx.json(cmd)) return printJsonText(ctx.io, c === undefined ? 'null' : compactionToJson(c));
      if (c === undefined) return ctx.io.out('no compaction found\n');
      const sources = [
        ...c.spec.l0ViewIds.map((v) => `L0 ${v.toString()}`),
        ...c.spec.sortedRuns.map((s) => `SR ${s}`),
      ];
      ctx.io.out(
        `compaction ${want}: ${c.status}\n  sources: ${sources.join(', ')}\n  destination: SR ${compactionDestination(c.spec)}\n  output SSTs: ${c.outputSsts.length}\n`,
      );
    }),
  );
}
