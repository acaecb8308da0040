/**
 * DbState: the writer's in-memory view of the database: the active memtable, the immutable memtables waiting for
 * L0 upload (newest first), and the local manifest (what this writer believes the latest manifest is, plus its
 * own unpublished changes). Reads take a ReadView from it.
 *
 * Invariants: `imms` and every array inside `manifest` are replaced, never mutated, so a ReadView taken earlier
 * stays consistent; an immutable memtable leaves `imms` in the same synchronous step that puts its SST at the
 * front of `manifest.l0`; the manifest's L0 list is newest first and its sorted runs are in descending id order.
 * Concurrency: single event loop; the writer, the WAL task and the flusher change it only in synchronous stretches.
 */

import type { Manifest } from '../format/manifest.js';
import { Memtable } from '../lsm/memtable.js';
import type { ReadView } from '../store/sorted-run.js';
import type { TableStore } from '../store/table-store.js';
import { Deferred } from '../util/deferred.js';

/** A frozen memtable waiting for (or in) its L0 upload. */
export interface ImmutableMemtable {
  readonly table: Memtable;
  /** The newest WAL id already written when the memtable froze: replay may start after it once this is in L0. */
  readonly recentFlushedWalId: number;
  /** Settles when the memtable's SST is in a published manifest. */
  readonly uploaded: Deferred<void>;
}

/** The writer's state. */
export class DbState {
  memtable = new Memtable();
  /** Settles when the active memtable reaches a published manifest (used when the WAL is disabled). */
  memtableUploaded = new Deferred<void>();
  imms: readonly ImmutableMemtable[] = [];
  #manifest: Manifest;
  readonly #tableStore: TableStore;
  #view: ReadView | undefined;

  constructor(manifest: Manifest, tableStore: TableStore) {
    this.#manifest = manifest;
    this.#tableStore = tableStore;
  }

  get manifest(): Manifest {
    return this.#manifest;
  }

  /** Replaces the local manifest (a merge of a remote one, or a local change). */
  setManifest(m: Manifest): void {
    this.#manifest = m;
    this.#view = undefined;
  }

  /** Freezes the active memtable (if not empty) and starts a new one; returns the frozen one. */
  freezeMemtable(recentFlushedWalId: number): ImmutableMemtable | undefined {
    if (this.memtable.isEmpty) return undefined;
    this.memtable.freeze();
    const imm: ImmutableMemtable = {
      table: this.memtable,
      recentFlushedWalId,
      uploaded: this.memtableUploaded,
    };
    this.imms = [imm, ...this.imms];
    this.memtable = new Memtable();
    this.memtableUploaded = new Deferred<void>();
    this.#view = undefined;
    return imm;
  }

  /** Replaces the active memtable (WAL replay). */
  replaceMemtable(table: Memtable): void {
    this.memtable = table;
    this.#view = undefined;
  }

  /** Removes the oldest immutable memtables, which must be exactly `done` (oldest first). */
  removeOldestImms(count: number): void {
    this.imms = this.imms.slice(0, this.imms.length - count);
    this.#view = undefined;
  }

  /** The sources of a read, newest first. */
  readView(): ReadView {
    const active = this.memtable;
    const cached = this.#view;
    if (cached !== undefined && cached.memtables[0] === active) return cached;
    const m = this.#manifest;
    const view: ReadView = {
      memtables: [active, ...this.imms.map((i) => i.table)],
      l0: m.l0.map((h) => this.#tableStore.sstRef(h)),
      sortedRuns: m.compacted.map((sr) => this.#tableStore.sortedRunRef(sr)),
    };
    this.#view = view;
    return view;
  }

  /** Estimated bytes held by immutable memtables (backpressure). */
  get immBytes(): number {
    let n = 0;
    for (const i of this.imms) n += i.table.sizeBytes;
    return n;
  }
}
