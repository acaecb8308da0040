/**
 * Parent side of the SlateDB differential suite: drives one SlateDB 0.12.1 database held in a child process
 * (slatedb-differential-child.ts) one command at a time, and reads SlateDB's latest manifests from its directory
 * (decoded with ShaleDB's own codec) to know its sorted runs and whether its compactor has work left.
 *
 * Invariants: every call resolves or rejects with the child's reply (or its death); `close` always kills the child.
 * Concurrency: calls are queued in order in the child.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSizeTieredOptions, SizeTieredScheduler } from '../../src/compactor/scheduler.js';
import type { Manifest } from '../../src/format/manifest.js';
import { decodeManifest } from '../../src/format/manifest-codec.js';
import { parseManifestId } from '../../src/format/object-paths.js';
import { ChildRpc } from './child-rpc.js';
import type { ReadRequest } from './differential-reads.js';
import type { DifferentialCommand, HexOp } from './slatedb-differential-child.js';
import type { OracleOptions } from './slatedb-oracle.js';

const CHILD = fileURLToPath(new URL('./slatedb-differential-child.ts', import.meta.url));

/** A SlateDB 0.12.1 database in a child process. */
export class DifferentialSlate {
  readonly #rpc = new ChildRpc(CHILD, 'SlateDB');

  private constructor() {}

  /** Opens (creating) a SlateDB database in a new child; fails when the binding cannot load. */
  static async open(options: OracleOptions): Promise<DifferentialSlate> {
    const s = new DifferentialSlate();
    try {
      await s.#call({ cmd: 'open', options });
    } catch (e) {
      s.#rpc.kill();
      throw e;
    }
    return s;
  }

  #call(c: DifferentialCommand): Promise<unknown> {
    return this.#rpc.call(c);
  }

  /** Writes one batch (durably unless told otherwise); returns its seq. */
  async write(ops: readonly HexOp[], awaitDurable = true): Promise<number> {
    return (await this.#call({ cmd: 'write', ops, awaitDurable })) as number;
  }

  async flushWal(): Promise<void> {
    await this.#call({ cmd: 'flushWal' });
  }

  async flushMemtable(): Promise<void> {
    await this.#call({ cmd: 'flushMemtable' });
  }

  async snapshot(snap: number): Promise<void> {
    await this.#call({ cmd: 'snapshot', snap });
  }

  async release(snap: number): Promise<void> {
    await this.#call({ cmd: 'release', snap });
  }

  /** Answers to the requests, in order (see differential-reads.ts). */
  async reads(requests: readonly ReadRequest[]): Promise<string[][]> {
    return (await this.#call({ cmd: 'reads', requests })) as string[][];
  }

  /** Shuts SlateDB down cleanly, then ends the child. */
  async close(): Promise<void> {
    try {
      if (!this.#rpc.dead) await this.#call({ cmd: 'shutdown' });
    } finally {
      this.#rpc.kill();
    }
  }

  /** Kills the child without shutdown (after a failure). */
  kill(): void {
    this.#rpc.kill();
  }
}

/** Manifests with id > `after` in the database at `dir`/`path`, ascending by id. */
export function manifestsAfter(
  dir: string,
  after: number,
  path = 'db',
): Array<{ id: number; manifest: Manifest }> {
  const mdir = join(dir, path, 'manifest');
  const out: Array<{ id: number; manifest: Manifest }> = [];
  for (const name of readdirSync(mdir)) {
    if (/#\d+$/.test(name)) continue;
    const id = parseManifestId(`manifest/${name}`);
    if (id === undefined || id <= after) continue;
    out.push({ id, manifest: decodeManifest(new Uint8Array(readFileSync(join(mdir, name)))) });
  }
  return out.sort((a, b) => a.id - b.id);
}

const scheduler = new SizeTieredScheduler(parseSizeTieredOptions({}));

/** True when 0.12.1's size-tiered scheduler (default options) has nothing to compact in `manifest`. */
export function compactorIdle(manifest: Manifest): boolean {
  return scheduler.propose({ manifest, active: [] }, 4).length === 0;
}
