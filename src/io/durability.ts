/**
 * Durability methods: how a write is made to survive power loss, and what is really in force on this platform.
 *
 * - `sync`: fsync(2): the file's data and all its metadata.
 * - `data`: fdatasync(2): the data and the metadata needed to read it back (size, allocation), not timestamps.
 * - `none`: no flush at all. UNSAFE: a crash or power loss may lose or tear anything written. For tests and
 *   benchmarks only.
 * - `auto`: the cheapest safe method here: `data` on Linux and macOS (on macOS libuv makes both F_FULLFSYNC),
 *   `sync` elsewhere.
 *
 * Every method other than `none` also fsyncs the parent directory after a name is created, renamed or removed.
 *
 * Invariants: `resolveDurability` never returns 'auto'; `describeDurability(...).safe` is false only for 'none'.
 * Concurrency: pure functions, plus `flushFile`/`syncDirectory`, which may run concurrently on distinct targets.
 */
import { invalidError } from '../util/errors.js';
import type { FileHandle, FileSystem } from './file-system.js';
import { toIoError } from './io-error.js';
import { nodeFileSystem } from './node-file-system.js';

/** A requested durability method. */
export type DurabilityMethod = 'sync' | 'data' | 'none' | 'auto';

/** A method after `auto` is resolved. */
export type ResolvedDurability = 'sync' | 'data' | 'none';

/** What is in force: observable on every publisher, batch lane and journal. */
export interface DurabilityInForce {
  /** What was asked for. */
  readonly requested: DurabilityMethod;
  /** What is used. */
  readonly method: ResolvedDurability;
  /** The primitive behind it on this file system, e.g. 'fdatasync(2)', or 'none (UNSAFE)'. */
  readonly primitive: string;
  /** False only for 'none': nothing is promised across a crash. */
  readonly safe: boolean;
}

const METHODS: ReadonlySet<string> = new Set(['sync', 'data', 'none', 'auto']);

/** Throws an 'invalid' error unless `m` is a durability method. */
export function validateDurability(m: unknown): asserts m is DurabilityMethod {
  if (typeof m !== 'string' || !METHODS.has(m)) {
    throw invalidError(
      'INVALID_ARGUMENT',
      `durability must be one of sync, data, none, auto; got ${JSON.stringify(m)}`,
    );
  }
}

/** Resolves 'auto' for `platform` (default: this process's). */
export function resolveDurability(
  m: DurabilityMethod,
  platform: NodeJS.Platform = process.platform,
): ResolvedDurability {
  validateDurability(m);
  if (m !== 'auto') return m;
  return platform === 'linux' || platform === 'darwin' ? 'data' : 'sync';
}

/** Describes the method in force for `requested` on `fs`. */
export function describeDurability(
  requested: DurabilityMethod,
  fs: FileSystem = nodeFileSystem,
): DurabilityInForce {
  const method = resolveDurability(requested);
  if (method === 'none') return { requested, method, primitive: 'none (UNSAFE: not durable)', safe: false };
  return { requested, method, primitive: fs.primitive(method === 'data' ? 'data' : 'full'), safe: true };
}

/** Flushes an open file by `method` ('none' does nothing). Failures are IoErrors with step 'flush'. */
export async function flushFile(handle: FileHandle, method: ResolvedDurability): Promise<void> {
  if (method === 'none') return;
  try {
    await handle.sync(method === 'data' ? 'data' : 'full');
  } catch (e) {
    throw toIoError('flush', handle.path, e);
  }
}

/** Options for {@link syncDirectory}. */
export interface SyncDirectoryOptions {
  readonly fs?: FileSystem;
  /** 'none' skips the fsync. Default 'auto'. */
  readonly durability?: DurabilityMethod;
}

/**
 * Makes a directory's entries durable (fsync of the directory), so that files created, renamed, linked or
 * removed in it stay so after power loss. Failures are IoErrors with step 'fsync-dir'.
 */
export async function syncDirectory(dir: string, options: SyncDirectoryOptions = {}): Promise<void> {
  if (resolveDurability(options.durability ?? 'auto') === 'none') return;
  const fs = options.fs ?? nodeFileSystem;
  try {
    await fs.syncDir(dir);
  } catch (e) {
    throw toIoError('fsync-dir', dir, e);
  }
}
