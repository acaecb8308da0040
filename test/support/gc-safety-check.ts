/**
 * GC safety checks for test suites: after a collection, everything the latest manifest and every checkpoint of
 * it reference must still exist, and the database must reopen at each of those manifests and read exactly the
 * rows the workload wrote up to the sequence number that manifest covers.
 *
 * Method: a RecordingStore remembers every object path ever written; `checkReferences` requires each SST a live
 * manifest names and each WAL SST in its (replayAfterWalId, walIdLastSeen] range that was ever written to exist;
 * `reopenAt` copies the store into a fresh memory store trimmed to one manifest (that manifest as the latest, WAL
 * SSTs up to its walIdLastSeen) and opens a real Db on it, which replays the WAL and reads every SST in a scan.
 * Invariants: checks only read the store under test; every Db they open is closed.
 * Concurrency: run when no other actor is writing.
 */
import assert from 'node:assert/strict';
import { Db } from '../../src/db/db.js';
import type { Manifest } from '../../src/format/manifest.js';
import { compactedSstPath, parseManifestId, parseWalId, walSstPath } from '../../src/format/object-paths.js';
import { GcStore } from '../../src/gc/gc-store.js';
import type { MergeOperator } from '../../src/lsm/merge-operator.js';
import { MemoryObjectStore } from '../../src/object-store/memory-store.js';
import {
  type GetOptions,
  type GetResult,
  isObjectStoreError,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  type PutOptions,
  type PutResult,
  type PutStreamOptions,
} from '../../src/object-store/object-store.js';
import { manifestDir } from '../../src/store/paths.js';
import { ManualClock } from '../../src/util/clock.js';
import { SeededRand } from '../../src/util/random.js';

/**
 * An ObjectStore wrapper that remembers every path ever written (in a set several wrappers may share), and can
 * run a hook after each put, before the writer sees it return (to inject a race at that point).
 */
export class RecordingStore implements ObjectStore {
  readonly inner: ObjectStore;
  readonly description: string;
  readonly written: Set<string>;
  afterPut: ((path: string) => Promise<void>) | undefined;

  constructor(inner: ObjectStore, written = new Set<string>()) {
    this.inner = inner;
    this.description = `recording(${inner.description})`;
    this.written = written;
  }

  async put(path: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult> {
    const r = await this.inner.put(path, bytes, options);
    this.written.add(path);
    await this.afterPut?.(path);
    return r;
  }

  async putStream(
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    options?: PutStreamOptions,
  ): Promise<PutResult> {
    const r = await this.inner.putStream(path, chunks, options);
    this.written.add(path);
    return r;
  }

  get(path: string, options?: GetOptions): Promise<GetResult> {
    return this.inner.get(path, options);
  }

  head(path: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectMeta> {
    return this.inner.head(path, options);
  }

  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    return this.inner.list(prefix, options);
  }

  delete(path: string, options?: { readonly signal?: AbortSignal }): Promise<void> {
    return this.inner.delete(path, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The manifests a collector must keep alive: the latest and every one its checkpoints name. */
export async function liveManifests(store: ObjectStore, root: string): Promise<Map<number, Manifest>> {
  const gcStore = new GcStore(store, root);
  return gcStore.readReferencedManifests(await gcStore.readLatestManifest());
}

/** Paths a manifest needs: its SSTs, and its WAL SSTs (replayAfterWalId, walIdLastSeen]. */
export function neededPaths(root: string, m: Manifest): { ssts: string[]; wal: string[] } {
  const ssts = [...m.l0, ...m.compacted.flatMap((r) => r.ssts)].map((s) => compactedSstPath(root, s.id));
  const wal: string[] = [];
  for (let id = m.replayAfterWalId + 1; id <= m.walIdLastSeen; id++) wal.push(walSstPath(root, id));
  return { ssts, wal };
}

/**
 * Every live manifest's SSTs exist, and every WAL SST in its range exists (only those ever written, when
 * `written` is given: a range may name an id whose WAL SST a crashed or fenced writer never wrote).
 */
export async function checkReferences(
  store: ObjectStore,
  root: string,
  written?: ReadonlySet<string>,
): Promise<number> {
  // Manifests first: anything a manifest names was written before it, so the listing after sees it.
  const live = await liveManifests(store, root);
  const present = new Set<string>();
  for await (const m of store.list(`${root}/`)) present.add(m.path);
  let checked = 0;
  for (const [id, m] of live) {
    const { ssts, wal } = neededPaths(root, m);
    for (const p of ssts) {
      assert.ok(present.has(p), `manifest ${id} references ${p}, which is gone`);
      checked++;
    }
    for (const p of wal) {
      if (written !== undefined && !written.has(p)) continue;
      assert.ok(present.has(p), `manifest ${id} needs ${p}, which is gone`);
      checked++;
    }
  }
  return checked;
}

/** Copies `store`'s objects under `root` into a fresh memory store, trimmed to manifest `manifestId` if given. */
export async function cloneAt(
  store: ObjectStore,
  root: string,
  manifest?: { id: number; m: Manifest },
): Promise<MemoryObjectStore> {
  const clone = new MemoryObjectStore();
  // Manifests first, then the objects they name (written before them), so a concurrent writer or compactor
  // cannot leave the clone with a manifest whose SSTs were listed before they existed.
  const metas: ObjectMeta[] = [];
  for await (const meta of store.list(`${manifestDir(root)}/`)) metas.push(meta);
  for await (const meta of store.list(`${root}/`))
    if (!meta.path.startsWith(`${manifestDir(root)}/`)) metas.push(meta);
  for (const meta of metas) {
    if (manifest !== undefined) {
      if (meta.path.startsWith(`${manifestDir(root)}/`) && parseManifestId(meta.path) !== manifest.id)
        continue;
      if (meta.path.startsWith(`${root}/wal/`) && (parseWalId(meta.path) ?? 0) > manifest.m.walIdLastSeen)
        continue;
      if (meta.path.startsWith(`${root}/compactions/`)) continue;
    }
    let got: GetResult;
    try {
      got = await store.get(meta.path);
    } catch (e) {
      // Deleted since the listing (a collector runs concurrently): what was needed is checked separately.
      if (isObjectStoreError(e, 'not-found')) continue;
      throw e;
    }
    await clone.put(meta.path, got.bytes);
  }
  return clone;
}

/** What a reopened database holds. */
export interface ReopenedState {
  /** The database's last committed seq after open (what the manifest and its WAL cover). */
  readonly seq: number;
  readonly rows: Map<string, string>;
}

/** Opens a real Db on `store` (no compactor, no collector) and scans everything. */
export async function reopenAndScan(
  store: ObjectStore,
  root: string,
  nowMs: number,
  mergeOperator?: MergeOperator,
): Promise<ReopenedState> {
  const db = await Db.open(root, store, {
    mergeOperator,
    clock: new ManualClock(nowMs),
    rand: new SeededRand(99),
    retry: false,
    settings: { flushInterval: null, compactorOptions: null, garbageCollectorOptions: null },
  });
  try {
    const rows = new Map<string, string>();
    for await (const kv of db.scan())
      rows.set(Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString());
    return { seq: Number(db.status().lastCommittedSeq), rows };
  } finally {
    await db.close();
  }
}

/** Reopens the database at manifest `id` (as the latest, with the WAL it covers) and scans it. */
export async function reopenAt(
  store: ObjectStore,
  root: string,
  id: number,
  m: Manifest,
  nowMs: number,
  mergeOperator?: MergeOperator,
): Promise<ReopenedState> {
  return reopenAndScan(await cloneAt(store, root, { id, m }), root, nowMs, mergeOperator);
}

/** The writes of a workload: key -> value (undefined = deleted) by seq. */
export class WriteLog {
  readonly #entries: Array<{ seq: number; key: string; value: string | undefined }> = [];

  add(seq: number, key: string, value: string | undefined): void {
    const last = this.#entries[this.#entries.length - 1];
    assert.ok(last === undefined || last.seq <= seq, 'writes are logged in seq order');
    this.#entries.push({ seq, key, value });
  }

  /** The visible rows after every write with seq <= `seq`. */
  at(seq = Number.MAX_SAFE_INTEGER): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of this.#entries) {
      if (e.seq > seq) break;
      if (e.value === undefined) out.delete(e.key);
      else out.set(e.key, e.value);
    }
    return out;
  }
}

/** Sorted `key=value` lines, for readable diffs. */
export function lines(rows: ReadonlyMap<string, string>): string[] {
  return [...rows].map(([k, v]) => `${k}=${v}`).sort();
}
