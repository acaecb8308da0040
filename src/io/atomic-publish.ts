/**
 * Atomic publish: makes a file appear at its final path whole or not at all, and durable before it resolves.
 *
 * Steps: (1) create `<final>#<14 digits>` in the final's directory with O_CREAT|O_EXCL (new digits on EEXIST, at
 * most 8 tries; `mkdir -p` on ENOENT when `createParents`, fsyncing each new level's parent); (2) write every
 * byte; (3) flush by the durability method (fdatasync / fsync / nothing); (4) close; (5) `replace`: rename onto
 * the final name, or `create`: link to the final name (EEXIST is an ALREADY_EXISTS IoError) then unlink the temp;
 * (6) fsync the parent directory. The temp name is the one Rust's LocalFileSystem uses, so SlateDB's listings skip
 * it (see temp-name.ts).
 *
 * Invariants: on any failure before step 5 succeeds the temp file is removed (best effort: if even the unlink
 * fails, the leftover is still a hidden temp name) and the final path is untouched; every error is an IoError
 * naming the step and path (source and abort errors of `publishFileFromChunks` pass through). After step 5 the
 * final name exists; a failure in step 6 is reported, as the publish is then not known to be durable.
 * Concurrency: any number of publishes may run at once, to the same or different paths; for one path in 'create'
 * mode exactly one wins. Memory stays bounded by one chunk for `publishFileFromChunks`.
 */
import { dirname } from 'node:path';
import { invalidError } from '../util/errors.js';
import { type Rand, systemRand } from '../util/random.js';
import { removeQuietly, syncDirStep } from './directories.js';
import {
  type DurabilityMethod,
  flushFile,
  type ResolvedDurability,
  resolveDurability,
} from './durability.js';
import type { FileSystem } from './file-system.js';
import { alreadyExistsError, errnoOf, toIoError } from './io-error.js';
import { nodeFileSystem } from './node-file-system.js';
import {
  closeTemp,
  createTempFile,
  discardTemp,
  type TempFile,
  validateFinalPath,
  writeTemp,
} from './temp-file.js';

export { TEMP_CREATE_ATTEMPTS_MAX } from './temp-file.js';

/** Options for {@link publishFile} and {@link publishFileFromChunks}. */
export interface PublishOptions {
  /** 'replace': rename over any existing file. 'create': link, failing with ALREADY_EXISTS if the path exists. */
  readonly mode: 'replace' | 'create';
  /** Default 'auto'. 'none' is UNSAFE (tests and benchmarks only). */
  readonly durability?: DurabilityMethod;
  /** `mkdir -p` the parent on ENOENT (and make the new directories durable). Default false. */
  readonly createParents?: boolean;
  /** The file layer; default the real node:fs one. */
  readonly fs?: FileSystem;
  /** Source of temp-name digits; default crypto-strength. */
  readonly rand?: Rand;
  /** Aborts between steps; the temp file is removed and `signal.reason` is thrown. */
  readonly signal?: AbortSignal;
}

interface PublishContext {
  readonly finalPath: string;
  readonly dir: string;
  readonly fs: FileSystem;
  readonly method: ResolvedDurability;
  readonly options: PublishOptions;
}

/**
 * Atomically and durably writes `data` (one buffer or a list of chunks) to `finalPath`.
 * Throws IoError (code ALREADY_EXISTS in mode 'create' when the path exists; IO_ENOSPC, IO_EIO, ... otherwise).
 */
export function publishFile(
  finalPath: string,
  data: Uint8Array | readonly Uint8Array[],
  options: PublishOptions,
): Promise<void> {
  return publishChunks(finalPath, data instanceof Uint8Array ? [data] : data, options);
}

/**
 * Like {@link publishFile} for large objects: streams `chunks` into the temp file, holding one chunk at a time.
 * If the source throws, the temp file is removed and the source's error is rethrown as is.
 */
export function publishFileFromChunks(
  finalPath: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PublishOptions,
): Promise<void> {
  return publishChunks(finalPath, chunks, options);
}

async function publishChunks(
  finalPath: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options: PublishOptions,
): Promise<void> {
  const ctx = contextFor(finalPath, options);
  options.signal?.throwIfAborted();
  const temp = await openTemp(ctx);
  try {
    let pos = 0;
    for await (const chunk of chunks) {
      options.signal?.throwIfAborted();
      await writeTemp(temp, chunk, pos);
      pos += chunk.length;
    }
    await sealTemp(ctx, temp);
  } catch (e) {
    await discardTemp(ctx.fs, temp);
    throw e;
  }
  await commitTemp(ctx, temp.path);
}

function contextFor(finalPath: string, options: PublishOptions): PublishContext {
  validateFinalPath(finalPath, 'publish');
  if (options?.mode !== 'replace' && options?.mode !== 'create') {
    throw invalidError('INVALID_ARGUMENT', `publish: mode must be 'replace' or 'create'`);
  }
  const method = resolveDurability(options.durability ?? 'auto');
  return { finalPath, dir: dirname(finalPath), fs: options.fs ?? nodeFileSystem, method, options };
}

function openTemp(ctx: PublishContext): Promise<TempFile> {
  const rand = ctx.options.rand ?? systemRand;
  return createTempFile(ctx.fs, ctx.finalPath, rand, ctx.options.createParents === true, ctx.method);
}

/** Steps 3 and 4: flush and close. */
async function sealTemp(ctx: PublishContext, temp: TempFile): Promise<void> {
  ctx.options.signal?.throwIfAborted();
  await flushFile(temp.handle, ctx.method);
  await closeTemp(temp);
}

/** Steps 5 and 6: rename or link into place, then fsync the directory. */
async function commitTemp(ctx: PublishContext, tempPath: string): Promise<void> {
  if (ctx.options.mode === 'replace') {
    try {
      await ctx.fs.rename(tempPath, ctx.finalPath);
    } catch (e) {
      await removeQuietly(ctx.fs, tempPath);
      throw toIoError('rename', ctx.finalPath, e);
    }
  } else {
    try {
      await ctx.fs.link(tempPath, ctx.finalPath);
    } catch (e) {
      await removeQuietly(ctx.fs, tempPath);
      throw errnoOf(e) === 'EEXIST'
        ? alreadyExistsError(ctx.finalPath, e)
        : toIoError('link', ctx.finalPath, e);
    }
    // The final name is in place: a failed unlink leaves only a hidden temp name, so the publish still succeeds.
    await removeQuietly(ctx.fs, tempPath);
  }
  if (ctx.method !== 'none') await syncDirStep(ctx.fs, ctx.dir);
}
