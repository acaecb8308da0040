/**
 * GcFixture: builds database states for garbage-collector unit tests on a MemoryObjectStore driven by a
 * ManualClock: manifests (with checkpoints, L0s, sorted runs, WAL bookkeeping), WAL SSTs, compacted SSTs with
 * chosen ULID times, and compactions files; then lists what is left.
 *
 * Invariants: objects get the clock's time as their last-modified time, so tests age them with `advance`;
 * SST and WAL bodies are placeholders (the collector never reads them); manifests are written with
 * create-if-absent at the next id, as every SlateDB writer does.
 * Concurrency: one test at a time per fixture.
 */

import type { Compaction, Compactions } from '../../src/format/compactions.js';
import { type CompactedSsTable, type Manifest, newManifest } from '../../src/format/manifest.js';
import { encodeManifest } from '../../src/format/manifest-codec.js';
import { compactedSstPath, walSstPath } from '../../src/format/object-paths.js';
import type { SsTableInfo } from '../../src/format/sst-info.js';
import { GarbageCollector } from '../../src/gc/garbage-collector.js';
import { GcStore } from '../../src/gc/gc-store.js';
import { MemoryObjectStore } from '../../src/object-store/memory-store.js';
import type { ObjectStore } from '../../src/object-store/object-store.js';
import type { ResolvedGcDirectoryOptions, ResolvedGcOptions } from '../../src/store/settings.js';
import { ManualClock } from '../../src/util/clock.js';
import { Ulid, Uuid } from '../../src/util/ids.js';
import { SeededRand } from '../../src/util/random.js';
import { EMPTY_SST_INFO } from './manifest-text.js';

/** The fixture's start time: 2024-01-01T00:00:00Z. */
export const T0 = 1_704_067_200_000;

const INFO: SsTableInfo = {
  ...EMPTY_SST_INFO,
  firstEntry: new Uint8Array([1]),
  lastEntry: new Uint8Array([2]),
};

/** A database state under construction. */
export class GcFixture {
  readonly clock: ManualClock;
  readonly memory: MemoryObjectStore;
  /** The store the collector uses (the memory store unless a wrapper was given). */
  readonly store: ObjectStore;
  readonly root: string;
  readonly gcStore: GcStore;
  readonly rand = new SeededRand(7);

  constructor(options: { root?: string; wrap?: (s: ObjectStore) => ObjectStore } = {}) {
    this.clock = new ManualClock(T0);
    this.memory = new MemoryObjectStore({ clock: this.clock });
    this.store = options.wrap === undefined ? this.memory : options.wrap(this.memory);
    this.root = options.root ?? 'db';
    this.gcStore = new GcStore(this.memory, this.root);
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): Promise<void> {
    return this.clock.advance(ms);
  }

  /** A ULID stamped `msAgo` before the clock's now (negative: in the future). */
  ulid(msAgo = 0): Ulid {
    return Ulid.generate(this.clock.nowMs() - msAgo, this.rand);
  }

  /** A manifest entry for SST `id`. */
  sst(id: Ulid): CompactedSsTable {
    return { id, info: INFO, formatVersion: 2 };
  }

  /** A checkpoint pinning `manifestId`; `expireTimeS` 0 = never. */
  checkpoint(manifestId: number, expireTimeS = 0): Manifest['checkpoints'][number] {
    return {
      id: Uuid.v4(this.rand),
      manifestId,
      expireTimeS,
      createTimeS: Math.floor(this.clock.nowMs() / 1000),
    };
  }

  /**
   * Writes the next manifest version (newManifest() with `fields`) as raw bytes, as any other process may have
   * written it (so states ShaleDB's own manifest invariants refuse, such as a checkpoint naming a later manifest,
   * can be set up); returns its id.
   */
  async writeManifest(fields: Partial<Manifest> = {}): Promise<number> {
    const versions = await this.gcStore.manifests.list();
    const id = (versions[versions.length - 1]?.id ?? 0) + 1;
    const bytes = encodeManifest({ ...newManifest(), ...fields });
    await this.memory.put(this.gcStore.manifests.pathFor(id), bytes, { mode: 'create' });
    return id;
  }

  /** Writes WAL SSTs with the given ids. */
  async writeWal(...ids: number[]): Promise<void> {
    for (const id of ids) await this.memory.put(walSstPath(this.root, id), new Uint8Array([1, 2, 3]));
  }

  /** Writes compacted SSTs with the given ids; returns them. */
  async writeSsts(...ids: Ulid[]): Promise<Ulid[]> {
    for (const id of ids) await this.memory.put(compactedSstPath(this.root, id), new Uint8Array([4, 5, 6]));
    return ids;
  }

  /** Writes the next compactions version; returns its id. */
  async writeCompactions(recent: readonly Compaction[] = [], compactorEpoch = 1): Promise<number> {
    const versions = await this.gcStore.compactions.list();
    const id = (versions[versions.length - 1]?.id ?? 0) + 1;
    const value: Compactions = { compactorEpoch, recentCompactions: recent };
    await this.gcStore.compactions.write(id, value);
    return id;
  }

  /** A compaction record with id `id`. */
  compaction(id: Ulid, status: Compaction['status'] = 'running'): Compaction {
    return { id, spec: { l0ViewIds: [], sortedRuns: [0] }, status, outputSsts: [] };
  }

  /** Every object path under the root, sorted. */
  async paths(dir?: string): Promise<string[]> {
    const out: string[] = [];
    const prefix = dir === undefined ? `${this.root}/` : `${this.root}/${dir}/`;
    for await (const m of this.memory.list(prefix)) out.push(m.path);
    return out;
  }

  /** A collector over the fixture with one minimum age (and interval) for every resource. */
  collector(
    minAgeMs: number,
    overrides: Partial<ResolvedGcOptions> = {},
    intervalMs = 60_000,
  ): GarbageCollector {
    const d: ResolvedGcDirectoryOptions = { intervalMs, minAgeMs };
    return new GarbageCollector({
      store: this.store,
      root: this.root,
      options: { manifest: d, wal: d, compacted: d, compactions: d, ...overrides },
      clock: this.clock,
      rand: this.rand,
    });
  }
}
