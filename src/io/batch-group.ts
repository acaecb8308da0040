/**
 * One batch-lane group: several batches executed in four phases so that they share flushes.
 *
 * (1) prepare: write each write/copy target into its own temp file, writes all at once, copies then in op order
 * (a copy reads the state its batch has built so far); (2) flush every temp file once, concurrently, and close it; (3) apply, per batch
 * in op order: rename/link each temp into place, unlink each delete; (4) fsync each directory touched, once.
 * So a group of n files in d directories costs n file flushes and d directory fsyncs, where publishing one by one
 * would cost n of each. A batch that fails at op k keeps ops 0..k-1 (applied, then made durable in phase 4) and
 * applies nothing from k on; other batches of the group are unaffected.
 *
 * Invariants: a file is renamed or linked into place only after its data was flushed; a batch resolves only
 * after the directories of all its applied ops were fsynced; every temp file not settled into place is removed.
 * Batches in one group touch disjoint paths (the lane ensures it), so phases 1-2 run them side by side.
 * Concurrency: one group at a time per lane.
 */
import { dirname } from 'node:path';
import type { ShaleDBError } from '../util/errors.js';
import type { Rand } from '../util/random.js';
import {
  BatchError,
  type BatchError as BatchErrorType,
  type BatchOp,
  type BatchResult,
  targetOf,
} from './batch-ops.js';
import { removeQuietly, syncDirStep } from './directories.js';
import { flushFile, type ResolvedDurability } from './durability.js';
import type { FileSystem } from './file-system.js';
import { alreadyExistsError, errnoOf, IoError, isNotFound, toIoError } from './io-error.js';
import { closeTemp, createTempFile, discardTemp, type TempFile, writeTemp } from './temp-file.js';

/** Copy buffer size. */
const COPY_CHUNK_BYTES = 1 << 20;

/** Counters kept by the lane. */
export interface BatchLaneStats {
  groups: number;
  batches: number;
  ops: number;
  fileFlushes: number;
  dirSyncs: number;
}

/** What a group needs from its lane. */
export interface GroupContext {
  readonly fs: FileSystem;
  readonly method: ResolvedDurability;
  readonly rand: Rand;
  readonly createParents: boolean;
  readonly stats: BatchLaneStats;
}

interface Prepared {
  temp: TempFile | undefined;
  settled: boolean;
}

interface BatchRun {
  readonly ops: readonly BatchOp[];
  readonly prepared: Prepared[];
  failure: { index: number; error: ShaleDBError } | undefined;
  /** Directory -> index of the first op applied in it. */
  readonly appliedDirs: Map<string, number>;
}

/** Runs the batches of one group; returns each batch's result or error, in order. */
export async function runGroup(
  ctx: GroupContext,
  batches: ReadonlyArray<readonly BatchOp[]>,
): Promise<Array<BatchResult | BatchErrorType>> {
  const runs: BatchRun[] = batches.map((ops) => ({
    ops,
    prepared: [],
    failure: undefined,
    appliedDirs: new Map(),
  }));
  try {
    await Promise.all(runs.map((run) => prepareBatch(ctx, run)));
    await flushTemps(ctx, runs);
    for (const run of runs) await applyBatch(ctx, run);
    // Before the directory fsyncs, so that they also cover these removals.
    await removeLeftovers(ctx, runs);
    await syncDirectories(ctx, runs);
  } catch (e) {
    await removeLeftovers(ctx, runs);
    throw e;
  }
  ctx.stats.groups++;
  ctx.stats.batches += runs.length;
  return runs.map((run) => {
    ctx.stats.ops += run.failure?.index ?? run.ops.length;
    if (run.failure === undefined) return { completed: run.ops.length };
    return new BatchError(run.failure.index, run.ops[run.failure.index]!, run.failure.error);
  });
}

function fail(run: BatchRun, index: number, e: unknown, step: IoError['step'], path: string): void {
  if (run.failure !== undefined && run.failure.index <= index) return;
  run.failure = { index, error: toIoError(step, path, e) };
}

/** Where a copy reads from: the real file, the temp file of an earlier op of its batch, or nothing. */
type CopySource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'op'; readonly index: number }
  | { readonly kind: 'deleted'; readonly path: string };

/**
 * Phase 1: temp files for writes (all at once) and copies (then, in op order). Copy sources are resolved first,
 * in op order, so each copy reads the state its batch has built up to it.
 */
async function prepareBatch(ctx: GroupContext, run: BatchRun): Promise<void> {
  const latest = new Map<string, number | 'deleted'>();
  const sources = run.ops.map((op, i): CopySource | undefined => {
    let source: CopySource | undefined;
    if (op.op === 'copy') {
      const s = latest.get(op.from);
      if (s === undefined) source = { kind: 'file', path: op.from };
      else if (s === 'deleted') source = { kind: 'deleted', path: op.from };
      else source = { kind: 'op', index: s };
    }
    latest.set(targetOf(op), op.op === 'delete' ? 'deleted' : i);
    run.prepared.push({ temp: undefined, settled: false });
    return source;
  });
  await Promise.all(
    run.ops.map((op, i) =>
      op.op === 'write' ? prepareOne(ctx, run, i, (t) => writeChunks(t, op.data)) : undefined,
    ),
  );
  for (let i = 0; i < run.ops.length; i++) {
    const op = run.ops[i]!;
    if (op.op !== 'copy') continue;
    if (run.failure !== undefined && run.failure.index < i) return;
    await prepareOne(ctx, run, i, (t) => copyInto(ctx.fs, sourcePath(run, sources[i]!), t));
  }
}

/** Creates and fills op `i`'s temp file; on failure removes it and records the failure. */
async function prepareOne(
  ctx: GroupContext,
  run: BatchRun,
  i: number,
  fill: (temp: TempFile) => Promise<void>,
): Promise<void> {
  const target = targetOf(run.ops[i]!);
  let temp: TempFile | undefined;
  try {
    temp = await createTempFile(ctx.fs, target, ctx.rand, ctx.createParents, ctx.method);
    run.prepared[i]!.temp = temp;
    await fill(temp);
  } catch (e) {
    if (temp !== undefined) await discardTemp(ctx.fs, temp);
    run.prepared[i]!.temp = undefined;
    fail(run, i, e, 'write', target);
  }
}

function sourcePath(run: BatchRun, source: CopySource): string {
  if (source.kind === 'file') return source.path;
  if (source.kind === 'deleted') {
    throw new IoError('open', source.path, 'deleted earlier in this batch', { errno: 'ENOENT' });
  }
  return run.prepared[source.index]!.temp!.path;
}

async function writeChunks(temp: TempFile, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  let pos = 0;
  for (const chunk of data instanceof Uint8Array ? [data] : data) {
    await writeTemp(temp, chunk, pos);
    pos += chunk.length;
  }
}

/** Streams `src` into `temp` in bounded chunks. */
async function copyInto(fs: FileSystem, src: string, temp: TempFile): Promise<void> {
  let handle: Awaited<ReturnType<FileSystem['open']>>;
  try {
    handle = await fs.open(src, 'read');
  } catch (e) {
    throw toIoError('open', src, e);
  }
  try {
    const buf = new Uint8Array(COPY_CHUNK_BYTES);
    for (let pos = 0; ; ) {
      let n: number;
      try {
        n = await handle.read(buf, pos);
      } catch (e) {
        throw toIoError('read', src, e);
      }
      if (n === 0) return;
      await writeTemp(temp, buf.subarray(0, n), pos);
      pos += n;
    }
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Phase 2: one flush per temp file, all at once; then close each. */
async function flushTemps(ctx: GroupContext, runs: BatchRun[]): Promise<void> {
  const work: Promise<void>[] = [];
  for (const run of runs) {
    run.prepared.forEach((p, i) => {
      if (p.temp === undefined || (run.failure !== undefined && run.failure.index < i)) return;
      const temp = p.temp;
      work.push(
        (async () => {
          try {
            await flushFile(temp.handle, ctx.method);
            if (ctx.method !== 'none') ctx.stats.fileFlushes++;
            await closeTemp(temp);
          } catch (e) {
            await temp.handle.close().catch(() => {});
            fail(run, i, e, 'flush', temp.path);
          }
        })(),
      );
    });
  }
  await Promise.all(work);
}

/** Phase 3: moves temp files into place and deletes, in op order, up to the batch's first failure. */
async function applyBatch(ctx: GroupContext, run: BatchRun): Promise<void> {
  const limit = run.failure?.index ?? run.ops.length;
  for (let i = 0; i < limit; i++) {
    const op = run.ops[i]!;
    const target = targetOf(op);
    try {
      const changed = await applyOp(ctx.fs, op, run.prepared[i]!);
      if (changed && !run.appliedDirs.has(dirname(target))) run.appliedDirs.set(dirname(target), i);
    } catch (e) {
      fail(run, i, e, op.op === 'delete' ? 'unlink' : op.mode === 'create' ? 'link' : 'rename', target);
      return;
    }
  }
}

/** Applies one op; returns whether a directory entry changed. */
async function applyOp(fs: FileSystem, op: BatchOp, p: Prepared): Promise<boolean> {
  if (op.op === 'delete') {
    try {
      await fs.unlink(op.path);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }
  const temp = p.temp!;
  const target = targetOf(op);
  if (op.mode === 'create') {
    try {
      await fs.link(temp.path, target);
    } catch (e) {
      throw errnoOf(e) === 'EEXIST' ? alreadyExistsError(target, e) : e;
    }
    p.settled = true;
    await removeQuietly(fs, temp.path);
  } else {
    await fs.rename(temp.path, target);
    p.settled = true;
  }
  return true;
}

/** Phase 4: one fsync per directory touched; a failure fails every batch from its first op in that directory. */
async function syncDirectories(ctx: GroupContext, runs: BatchRun[]): Promise<void> {
  if (ctx.method === 'none') return;
  const dirs = new Set<string>();
  for (const run of runs) for (const d of run.appliedDirs.keys()) dirs.add(d);
  await Promise.all(
    [...dirs].map(async (dir) => {
      try {
        await syncDirStep(ctx.fs, dir);
        ctx.stats.dirSyncs++;
      } catch (e) {
        for (const run of runs) {
          const first = run.appliedDirs.get(dir);
          if (first !== undefined) fail(run, first, e, 'fsync-dir', dir);
        }
      }
    }),
  );
}

/** Removes every temp file that was not settled into place. */
async function removeLeftovers(ctx: GroupContext, runs: BatchRun[]): Promise<void> {
  for (const run of runs) {
    for (const p of run.prepared) {
      if (p.temp !== undefined && !p.settled) {
        await removeQuietly(ctx.fs, p.temp.path);
        p.settled = true;
      }
    }
  }
}
