/**
 * Test stand-ins for the other processes that write a database's manifest beside a writer, following SlateDB
 * 0.12.1's protocols (spec §6.6, §6.7): SimCompactor (fences itself with the compactor epoch, records each
 * compaction in the compactions file before writing outputs, writes a 900 s checkpoint manifest before the
 * result manifest, marks the compaction finished) and SimCheckpoints (unfenced CAS that adds or deletes
 * checkpoints, as DbReader and Admin do).
 *
 * Invariants: every compactor manifest write goes through a FenceableObject, so a third party that lowered the
 * compactor epoch makes the next write fail (EPOCH_REGRESSED); outputs are newer (by ULID) than their compaction
 * id; the compactions file keeps the active compactions plus the latest finished one; only the newest version
 * of each key is kept (no snapshots exist in these suites), tombstones included.
 * Concurrency: one SimCompactor per database; its methods run one at a time; writers, readers and collectors
 * may run meanwhile (conflicts are retried on the refreshed version).
 */

import type { Compaction, Compactions } from '../../src/format/compactions.js';
import type { Checkpoint, CompactedSsTable, Manifest, SortedRun } from '../../src/format/manifest.js';
import { compactedSstPath } from '../../src/format/object-paths.js';
import { compareRows, type RowEntry } from '../../src/format/row.js';
import { collectRows } from '../../src/format/row-iterator.js';
import { sstBytes } from '../../src/format/sst-builder.js';
import { SstReader } from '../../src/format/sst-reader.js';
import { GcStore } from '../../src/gc/gc-store.js';
import { ArrayRowIterator } from '../../src/lsm/array-iterator.js';
import type { ObjectStore } from '../../src/object-store/object-store.js';
import { COMPACTOR_EPOCH } from '../../src/store/epochs.js';
import { manifestStore } from '../../src/store/manifest-store.js';
import { TableStore } from '../../src/store/table-store.js';
import {
  FenceableObject,
  type SequencedStore,
  TransactionalObject,
} from '../../src/store/transactional-object.js';
import { equalBytes } from '../../src/util/bytes.js';
import type { Clock } from '../../src/util/clock.js';
import { Ulid, Uuid } from '../../src/util/ids.js';
import type { Rand } from '../../src/util/random.js';

/** Lifetime of the checkpoint a compaction writes before its result (0.12.1: 15 minutes). */
export const COMPACTOR_CHECKPOINT_S = 900;

/** What a compaction consumes. */
export type CompactionKind = 'l0' | 'all';

/** Keeps active compactions plus the latest finished one (0.12.1's retention). */
function trim(list: readonly Compaction[]): Compaction[] {
  const active = list.filter((c) => c.status === 'submitted' || c.status === 'running');
  const finished = list.filter((c) => c.status === 'completed' || c.status === 'failed');
  finished.sort((a, b) => b.id.compare(a.id));
  return [...active, ...finished.slice(0, 1)].sort((a, b) => a.id.compare(b.id));
}

/** A compactor stand-in. */
export class SimCompactor {
  readonly store: ObjectStore;
  readonly root: string;
  readonly #clock: Clock;
  readonly #rand: Rand;
  readonly #manifest: FenceableObject<Manifest>;
  readonly #compactions: TransactionalObject<Compactions>;
  readonly #tables: TableStore;
  /** SSTs per output: a small number makes multi-SST runs. */
  rowsPerSst = 40;
  /** Runs after the outputs are written and before any manifest names them (to inject a race there). */
  beforeResult: (() => Promise<void>) | undefined;

  private constructor(
    store: ObjectStore,
    root: string,
    clock: Clock,
    rand: Rand,
    manifest: FenceableObject<Manifest>,
    compactions: TransactionalObject<Compactions>,
  ) {
    this.store = store;
    this.root = root;
    this.#clock = clock;
    this.#rand = rand;
    this.#manifest = manifest;
    this.#compactions = compactions;
    this.#tables = new TableStore(store, root, {
      codec: null,
      blockSize: 1024,
      minFilterKeys: 10,
      filterBitsPerKey: 10,
      blockCacheBytes: 0,
    });
  }

  /** Bumps the compactor epoch and takes over the compactions file (spec §6.6 init). */
  static async open(store: ObjectStore, root: string, clock: Clock, rand: Rand): Promise<SimCompactor> {
    const manifests = manifestStore(store, root);
    const loaded = await TransactionalObject.tryLoad(manifests);
    if (loaded === undefined) throw new Error('SimCompactor: no database');
    const manifest = await FenceableObject.init(loaded, COMPACTOR_EPOCH, clock, 60_000);
    const gcStore = new GcStore(store, root);
    let compactions = await TransactionalObject.tryLoad(gcStore.compactions);
    compactions ??= await TransactionalObject.create(gcStore.compactions, {
      compactorEpoch: 0,
      recentCompactions: [],
    });
    await compactions.maybeApplyUpdate((c) => ({ ...c, compactorEpoch: manifest.localEpoch }));
    return new SimCompactor(store, root, clock, rand, manifest, compactions);
  }

  get compactorEpoch(): number {
    return this.#manifest.localEpoch;
  }

  /**
   * Compacts every L0 into a new sorted run ('l0'), or every L0 and run into run 0 ('all'). With
   * `crashBeforeManifest`, stops after writing the outputs (they stay orphans) and the compaction is later found
   * failed. Returns false when there was nothing to compact.
   */
  async compact(kind: CompactionKind, crashBeforeManifest = false): Promise<boolean> {
    await this.#compactions.refresh(); // compactions first, then the manifest (0.12.1's order)
    const m = await this.#manifest.refresh();
    const l0 = [...m.l0];
    const runs = kind === 'all' ? m.compacted.map((r) => r.id) : [];
    if (l0.length + runs.length < (kind === 'all' ? 1 : 2)) return false;
    const dest = runs.length > 0 ? Math.min(...runs) : m.compacted.reduce((x, r) => Math.max(x, r.id + 1), 0);
    const job: Compaction = {
      id: Ulid.generate(this.#clock.nowMs(), this.#rand),
      spec: { l0ViewIds: l0.map((s) => s.id), sortedRuns: [...runs].sort((a, b) => b - a) },
      status: 'running',
      outputSsts: [],
    };
    await this.#setCompaction(job);
    const inputs = [...l0, ...m.compacted.filter((r) => runs.includes(r.id)).flatMap((r) => r.ssts)];
    const outputs = await this.#writeOutputs(inputs);
    await this.beforeResult?.();
    if (crashBeforeManifest) {
      await this.#setCompaction({ ...job, status: 'failed' });
      return true;
    }
    await this.#writeCheckpointManifest();
    await this.#manifest.maybeApplyUpdate((cur) => applyResult(cur, l0, runs, { id: dest, ssts: outputs }));
    await this.#setCompaction({ ...job, status: 'completed' });
    return true;
  }

  async #setCompaction(job: Compaction): Promise<void> {
    await this.#compactions.maybeApplyUpdate((c) => ({
      compactorEpoch: this.compactorEpoch,
      recentCompactions: trim([...c.recentCompactions.filter((x) => !x.id.equals(job.id)), job]),
    }));
  }

  async #writeOutputs(inputs: readonly CompactedSsTable[]): Promise<CompactedSsTable[]> {
    const rows: RowEntry[] = [];
    for (const sst of inputs) {
      const path = compactedSstPath(this.root, sst.id);
      const reader = await SstReader.open(this.store, path, { formatVersion: sst.formatVersion });
      rows.push(...(await collectRows(reader.iter())));
    }
    rows.sort(compareRows);
    const newest = rows.filter((r, i) => i === 0 || !equalBytes(r.key, rows[i - 1]!.key));
    const out: CompactedSsTable[] = [];
    for (let i = 0; i < newest.length; i += this.rowsPerSst) {
      const part = newest.slice(i, i + this.rowsPerSst);
      const built = await this.#tables.buildSst(new ArrayRowIterator(part));
      const id = Ulid.generate(this.#clock.nowMs(), this.#rand);
      await this.store.put(compactedSstPath(this.root, id), sstBytes(built));
      out.push({ id, info: built.info, formatVersion: built.formatVersion });
    }
    return out;
  }

  async #writeCheckpointManifest(): Promise<void> {
    const nowS = Math.floor(this.#clock.nowMs() / 1000);
    await this.#manifest.maybeApplyUpdate((cur) => ({
      ...cur,
      checkpoints: [
        ...cur.checkpoints,
        {
          id: Uuid.v4(this.#rand),
          manifestId: this.#manifest.id + 1,
          expireTimeS: nowS + COMPACTOR_CHECKPOINT_S,
          createTimeS: nowS,
        },
      ],
    }));
  }
}

/** The result manifest: sources out, the output run in at `dest` (runs stay in descending id order). */
function applyResult(
  cur: Manifest,
  l0: readonly CompactedSsTable[],
  runs: readonly number[],
  output: SortedRun,
): Manifest {
  const consumed = new Set(l0.map((s) => s.id.toString()));
  const compacted = cur.compacted.filter((r) => !runs.includes(r.id) && r.id !== output.id);
  if (output.ssts.length > 0) compacted.push(output);
  compacted.sort((a, b) => b.id - a.id);
  return {
    ...cur,
    l0: cur.l0.filter((s) => !consumed.has(s.id.toString())),
    compacted,
    l0LastCompacted: l0.length > 0 ? l0[0]!.id : cur.l0LastCompacted,
  };
}

/** Adds and deletes checkpoints by unfenced CAS, as DbReader and Admin do in 0.12.1. */
export class SimCheckpoints {
  readonly #manifests: SequencedStore<Manifest>;
  readonly #clock: Clock;
  readonly #rand: Rand;

  constructor(store: ObjectStore, root: string, clock: Clock, rand: Rand) {
    this.#manifests = manifestStore(store, root);
    this.#clock = clock;
    this.#rand = rand;
  }

  /** Adds a checkpoint on the latest manifest (it pins the version that adds it); lifetime 0 = never expires. */
  async create(lifetimeS: number): Promise<Checkpoint> {
    const t = await TransactionalObject.tryLoad(this.#manifests);
    if (t === undefined) throw new Error('SimCheckpoints: no database');
    let made: Checkpoint | undefined;
    await t.maybeApplyUpdate((cur) => {
      const nowS = Math.floor(this.#clock.nowMs() / 1000);
      made = {
        id: Uuid.v4(this.#rand),
        manifestId: t.id + 1,
        expireTimeS: lifetimeS === 0 ? 0 : nowS + lifetimeS,
        createTimeS: nowS,
      };
      return { ...cur, checkpoints: [...cur.checkpoints, made] };
    });
    return made!;
  }

  /** Adds a checkpoint that pins an existing manifest (like creating one from an existing checkpoint). */
  async pin(manifestId: number, lifetimeS: number): Promise<Checkpoint> {
    const t = await TransactionalObject.tryLoad(this.#manifests);
    if (t === undefined) throw new Error('SimCheckpoints: no database');
    const nowS = Math.floor(this.#clock.nowMs() / 1000);
    const made: Checkpoint = {
      id: Uuid.v4(this.#rand),
      manifestId,
      expireTimeS: lifetimeS === 0 ? 0 : nowS + lifetimeS,
      createTimeS: nowS,
    };
    await t.maybeApplyUpdate((cur) => ({ ...cur, checkpoints: [...cur.checkpoints, made] }));
    return made;
  }

  /** Deletes a checkpoint by id (no-op when it is gone). */
  async delete(id: Uuid): Promise<void> {
    const t = await TransactionalObject.tryLoad(this.#manifests);
    if (t === undefined) throw new Error('SimCheckpoints: no database');
    await t.maybeApplyUpdate((cur) =>
      cur.checkpoints.some((c) => c.id.equals(id))
        ? { ...cur, checkpoints: cur.checkpoints.filter((c) => !c.id.equals(id)) }
        : undefined,
    );
  }
}
