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
import { basename, dirname, isAbsolute } from 'node:path';
import { invalidError } from '../util/errors.js';
import { type Rand, systemRand } from '../util/random.js';
import { ensureDirectory, removeQuietly, syncDirStep } from './directories.js';
import {
  type DurabilityMethod,
  flushFile,
  type ResolvedDurability,
  resolveDurability,
} from './durability.js';
import type { FileHandle, FileSystem } from './file-system.js';
import { alreadyExistsError, errnoOf, IoError, toIoError } from './io-error.js';
import { nodeFileSystem } from './node-file-system.js';
import { isTempFileName, tempPathFor } from './temp-name.js';

/** How many temp names are tried before giving up with an EEXIST IoError. */
export const TEMP_CREATE_ATTEMPTS_MAX = 8;

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

interface TempFile {
  readonly path: string;
  readonly handle: FileHandle;
}

/**
 * Atomically and durably writes `data` (one buffer or a list of chunks) to `finalPath`.
 * Throws IoError (code ALREADY_EXISTS in mode 'create' when the path exists; IO_ENOSPC, IO_EIO, ... otherwise).
 */
export async function publishFile(
  finalPath: string,
  data: Uint8Array | readonly Uint8Array[],
  options: PublishOptions,
): Promise<void> {
  const ctx = contextFor(finalPath, options);
  options.signal?.throwIfAborted();
  const temp = await openTemp(ctx);
  try {
    let pos = 0;
    for (const chunk of data instanceof Uint8Array ? [data] : data) {
      await writeAt(temp, chunk, pos);
      pos += chunk.length;
    }
    await sealTemp(ctx, temp);
  } catch (e) {
    await discardTemp(ctx, temp);
    throw e;
  }
  await commitTemp(ctx, temp.path);
}

/**
 * Like {@link publishFile} for large objects: streams `chunks` into the temp file, holding one chunk at a time.
 * If the source throws, the temp file is removed and the source's error is rethrown as is.
 */
export async function publishFileFromChunks(
  finalPath: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PublishOptions,
): Promise<void> {
  const ctx = contextFor(finalPath, options);
  options.signal?.throwIfAborted();
  const temp = await openTemp(ctx);
  try {
    let pos = 0;
    for await (const chunk of chunks) {
      options.signal?.throwIfAborted();
      await writeAt(temp, chunk, pos);
      pos += chunk.length;
    }
    await sealTemp(ctx, temp);
  } catch (e) {
    await discardTemp(ctx, temp);
    throw e;
  }
  await commitTemp(ctx, temp.path);
}

function contextFor(finalPath: string, options: PublishOptions): PublishContext {
  if (typeof finalPath !== 'string' || !isAbsolute(finalPath) || finalPath.endsWith('/')) {
    throw invalidError(
      'INVALID_ARGUMENT',
      `publish: not an absolute file path: ${JSON.stringify(finalPath)}`,
    );
  }
  if (options?.mode !== 'replace' && options?.mode !== 'create') {
    throw invalidError('INVALID_ARGUMENT', `publish: mode must be 'replace' or 'create'`);
  }
  const name = basename(finalPath);
  if (name.includes('#')) {
    const why = isTempFileName(name)
      ? 'is a temp-file name'
      : "contains '#', so its temp name would be listed";
    throw invalidError('INVALID_ARGUMENT', `publish: ${finalPath}: the file name ${why}`);
  }
  const method = resolveDurability(options.durability ?? 'auto');
  return { finalPath, dir: dirname(finalPath), fs: options.fs ?? nodeFileSystem, method, options };
}

/** Step 1: exclusive-create a fresh temp name, making the parent directories if allowed. */
async function openTemp(ctx: PublishContext): Promise<TempFile> {
  const rand = ctx.options.rand ?? systemRand;
  let madeParents = false;
  let attempts = 0;
  while (attempts < TEMP_CREATE_ATTEMPTS_MAX) {
    const path = tempPathFor(ctx.finalPath, rand);
    try {
      return { path, handle: await ctx.fs.open(path, 'create-exclusive') };
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === 'EEXIST') {
        attempts++;
      } else if (errno === 'ENOENT' && ctx.options.createParents === true && !madeParents) {
        await ensureDirectory(ctx.fs, ctx.dir, ctx.method);
        madeParents = true;
      } else {
        throw toIoError('create-temp', path, e);
      }
    }
  }
  throw new IoError('create-temp', ctx.finalPath, `no free temp name in ${attempts} attempts`, {
    errno: 'EEXIST',
  });
}

async function writeAt(temp: TempFile, chunk: Uint8Array, pos: number): Promise<void> {
  try {
    await temp.handle.write(chunk, pos);
  } catch (e) {
    throw toIoError('write', temp.path, e);
  }
}

/** Steps 3 and 4: flush and close. */
async function sealTemp(ctx: PublishContext, temp: TempFile): Promise<void> {
  ctx.options.signal?.throwIfAborted();
  await flushFile(temp.handle, ctx.method);
  try {
    await temp.handle.close();
  } catch (e) {
    throw toIoError('close', temp.path, e);
  }
}

/** Failure path before the commit: close (if still open) and remove the temp file; never throws. */
async function discardTemp(ctx: PublishContext, temp: TempFile): Promise<void> {
  try {
    await temp.handle.close();
  } catch {
    // Already closed, or closing failed: the unlink below is what matters.
  }
  await removeQuietly(ctx.fs, temp.path);
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
