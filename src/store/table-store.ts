/**
 * TableStore: where the database meets its SST files: writing WAL SSTs, the writer fence and L0 SSTs
 * (create-if-absent), reading WAL SSTs for replay, listing WAL ids, and opening compacted SSTs for reads through
 * one shared block cache.
 *
 * Compacted SSTs are read where the manifest says they live: a clone's shared SSTs under the external database's
 * root (store/sst-paths.ts, set from the manifest with `setExternalDbs`); everything is written under the own root.
 *
 * Invariants: every write of a WAL SST, fence or L0 SST is a create-if-absent PUT (AlreadyExists on a WAL id means
 * fenced, and is passed up unchanged); an L0 create that finds an object with identical bytes (an earlier attempt
 * that landed) counts as success; every block read is checksum-verified by the format layer; a reader is opened once
 * per SST and shared.
 * Concurrency: all methods may run concurrently; readers are opened at most once (concurrent opens share a promise).
 */

import { BlockCache } from '../format/block-cache.js';
import type { CompactedSsTable, ExternalDb, SortedRun } from '../format/manifest.js';
import { compactedSstPath, parseWalId, walSstPath } from '../format/object-paths.js';
import type { RowEntry } from '../format/row.js';
import { collectRows, type KeyRange, type MaybePromise, type RowIterator } from '../format/row-iterator.js';
import { encodeFenceSst, type SstBuilder, sstBytes } from '../format/sst-builder.js';
import type { SsTableInfo } from '../format/sst-info.js';
import { type FilterStats, SstReader } from '../format/sst-reader.js';
import { isObjectStoreError, type ObjectStore } from '../object-store/object-store.js';
import { assert } from '../util/assert.js';
import { equalBytes } from '../util/bytes.js';
import { internalError, ShaleDBError } from '../util/errors.js';
import type { Ulid } from '../util/ids.js';
import { ROWS_PER_CHECK_MASK, TimeSlice } from '../util/time-slice.js';
import type { L0Encoder } from './l0-encoder-pool.js';
import {
  formatCodec,
  packRows,
  type SstBuildSettings,
  tableSstBuilder,
  tableWalBuilder,
} from './l0-encoding.js';
import { walDir } from './paths.js';
import type { CompressionCodec, ResolvedSettings } from './settings.js';
import type { ScanIoOptions, SortedRunRef, SstRef, SstView } from './sorted-run.js';
import { SstPaths } from './sst-paths.js';

/** Options of the table store. */
export interface TableStoreOptions {
  readonly codec: CompressionCodec;
  readonly blockSize: number;
  readonly minFilterKeys: number;
  readonly filterBitsPerKey: number;
  readonly blockCacheBytes: number;
  /** Told the size of each L0 SST written (metrics). */
  readonly onL0Written?: (bytes: number) => void;
}

/** Table options from resolved settings plus the open options that are not settings. */
export function tableStoreOptions(
  settings: Pick<ResolvedSettings, 'compressionCodec' | 'minFilterKeys' | 'filterBitsPerKey'>,
  blockSize: number,
  blockCacheBytes: number,
): TableStoreOptions {
  return {
    codec: settings.compressionCodec,
    blockSize,
    minFilterKeys: settings.minFilterKeys,
    filterBitsPerKey: settings.filterBitsPerKey,
    blockCacheBytes,
  };
}

export { formatCodec };

/** Lazily opened reader of one compacted SST (synchronously when the store can read synchronously). */
class LazySst implements SstView {
  readonly #open: () => Promise<SstReader>;
  readonly #openSync: () => SstReader | undefined;
  #reader: SstReader | undefined;
  #opening: Promise<SstReader> | undefined;

  constructor(open: () => Promise<SstReader>, openSync: () => SstReader | undefined) {
    this.#open = open;
    this.#openSync = openSync;
  }

  reader(): MaybePromise<SstReader> {
    if (this.#reader !== undefined) return this.#reader;
    if (this.#opening === undefined) {
      this.#reader = this.#openSync();
      if (this.#reader !== undefined) return this.#reader;
    }
    this.#opening ??= this.#open().then(
      (r) => {
        this.#reader = r;
        this.#opening = undefined;
        return r;
      },
      (e) => {
        this.#opening = undefined;
        throw e;
      },
    );
    return this.#opening;
  }

  lookup(key: Uint8Array, maxSeq: number, out: RowEntry[], cacheBlocks = true): MaybePromise<boolean> {
    const r = this.reader();
    if (r instanceof Promise) return r.then((reader) => reader.lookup(key, maxSeq, out, true, cacheBlocks));
    return r.lookup(key, maxSeq, out, true, cacheBlocks);
  }

  iterator(range: KeyRange, order: 'asc' | 'desc', io: ScanIoOptions = {}): RowIterator {
    const options = {
      order,
      cacheBlocks: io.cacheBlocks,
      readAheadBytes: io.readAheadBytes,
      readAheadFixed: io.readAheadFixed,
      maxFetchTasks: io.maxFetchTasks,
    };
    const r = this.reader();
    if (!(r instanceof Promise)) return r.iter(range, options);
    return new DeferredIterator(r.then((reader) => reader.iter(range, options)));
  }
}

/** A RowIterator whose underlying iterator is still being created. */
class DeferredIterator implements RowIterator {
  #it: RowIterator | undefined;
  readonly #pending: Promise<RowIterator>;
  #closed = false;

  constructor(pending: Promise<RowIterator>) {
    this.#pending = pending.then((it) => {
      this.#it = it;
      if (this.#closed) it.close();
      return it;
    });
    this.#pending.catch(() => {});
  }

  next(): MaybePromise<RowEntry | undefined> {
    if (this.#it !== undefined) return this.#it.next();
    return this.#pending.then((it) => it.next());
  }

  seek(key: Uint8Array): MaybePromise<void> {
    if (this.#it !== undefined) return this.#it.seek(key);
    return this.#pending.then((it) => it.seek(key));
  }

  close(): void {
    this.#closed = true;
    this.#it?.close();
  }
}

/** The database's SST files. */
export class TableStore {
  readonly store: ObjectStore;
  readonly root: string;
  readonly options: TableStoreOptions;
  readonly blockCache: BlockCache;
  /** Bloom filter outcomes of point lookups in this database's SSTs (metrics). */
  readonly filterStats: FilterStats = { positives: 0, negatives: 0, falsePositives: 0 };
  /** Where each compacted SST is read from (own root, or an external database's for a clone's shared SSTs). */
  readonly paths: SstPaths;
  readonly #refs = new Map<string, SstRef>();

  constructor(store: ObjectStore, root: string, options: TableStoreOptions) {
    this.store = store;
    this.root = root;
    this.options = options;
    this.blockCache = new BlockCache(options.blockCacheBytes);
    this.paths = new SstPaths(root);
  }

  /**
   * Takes the manifest's external databases (a clone's parents): their SSTs are read from their roots. Call it
   * with the manifest a reader or writer opens on, before the first read.
   */
  setExternalDbs(dbs: readonly ExternalDb[]): void {
    this.paths.setExternalDbs(dbs);
  }

  /** WAL ids present in the store, ascending. */
  async listWalIds(): Promise<number[]> {
    const ids: number[] = [];
    for await (const m of this.store.list(`${walDir(this.root)}/`)) {
      const id = parseWalId(m.path);
      if (id !== undefined) ids.push(id);
    }
    return ids.sort((a, b) => a - b);
  }

  /** The highest WAL id present (0 when none). */
  async lastWalId(): Promise<number> {
    const ids = await this.listWalIds();
    return ids.length === 0 ? 0 : ids[ids.length - 1]!;
  }

  /** 1 + the highest WAL id >= replayAfterWalId, or replayAfterWalId + 1 when there is none (spec §6.1). */
  async nextWalId(replayAfterWalId: number): Promise<number> {
    const ids = (await this.listWalIds()).filter((id) => id >= replayAfterWalId);
    return ids.length === 0 ? replayAfterWalId + 1 : ids[ids.length - 1]! + 1;
  }

  /** Writes the writer fence (an empty SST) at WAL id `id`; AlreadyExists propagates. */
  async writeFence(id: number): Promise<void> {
    await this.store.put(walSstPath(this.root, id), encodeFenceSst(formatCodec(this.options.codec)), {
      mode: 'create',
    });
  }

  /**
   * Writes WAL SST `id` holding `rows` (commit order); AlreadyExists propagates (the caller is fenced). With an
   * `encoder` that has an idle started worker, this thread only packs the rows and the worker encodes them (the
   * same bytes); if the worker dies, the SST is encoded here instead, so a worker failure never fails a WAL write.
   */
  async writeWal(id: number, rows: readonly RowEntry[], sizeHint = 0, encoder?: L0Encoder): Promise<void> {
    assert(rows.length > 0, 'an empty WAL buffer is never written');
    let bytes: Uint8Array | undefined;
    // A WAL write (a durable write's latency) never waits for a worker to start or to finish another task.
    if (encoder?.warm() === true) {
      try {
        const packed = await packRows(rows, sizeHint);
        bytes = (await encoder.encodeWal({ table: this.#buildSettings(), rows: packed, sizeHint })).bytes;
      } catch (e) {
        if (!(e instanceof ShaleDBError && e.code === 'FLUSH_WORKER_FAILED')) throw e;
      }
    }
    if (bytes === undefined) {
      const b = tableWalBuilder(this.options, sizeHint);
      const slice = new TimeSlice();
      for (let i = 0; i < rows.length; i++) {
        b.add(rows[i]!);
        if ((i & ROWS_PER_CHECK_MASK) === 0 && slice.due) await slice.next();
      }
      bytes = sstBytes(b.finish());
    }
    await this.store.put(walSstPath(this.root, id), bytes, { mode: 'create' });
  }

  /** The settings SST builders need, as a plain value that can cross threads. */
  #buildSettings(): SstBuildSettings {
    const o = this.options;
    return {
      codec: o.codec,
      blockSize: o.blockSize,
      minFilterKeys: o.minFilterKeys,
      filterBitsPerKey: o.filterBitsPerKey,
    };
  }

  /** Reads WAL SST `id` (or a fence) into rows; undefined when it does not exist. */
  async readWal(id: number): Promise<RowEntry[] | undefined> {
    let reader: SstReader;
    try {
      reader = await SstReader.open(this.store, walSstPath(this.root, id));
    } catch (e) {
      if (isObjectStoreError(e, 'not-found')) return undefined;
      throw e;
    }
    if (reader.info.sstType === 'compacted') {
      // The writer fence: an empty compacted-type SST.
      return [];
    }
    return collectRows(reader.iter());
  }

  /** A builder of L0 and compacted SSTs with the table settings (the one place they are configured). */
  sstBuilder(sizeHint = 0): SstBuilder {
    return tableSstBuilder(this.options, sizeHint);
  }

  /** Builds an SST from rows (in LSM order) with the table settings. */
  async buildSst(rows: RowIterator, sizeHint = 0): Promise<ReturnType<SstBuilder['finish']>> {
    const b = this.sstBuilder(sizeHint);
    const slice = new TimeSlice();
    for (let i = 1; ; i++) {
      let r = rows.next();
      if (r instanceof Promise) r = await r;
      if (r === undefined) break;
      b.add(r);
      if ((i & ROWS_PER_CHECK_MASK) === 0 && slice.due) await slice.next();
    }
    return b.finishAsync(slice);
  }

  /**
   * Writes an L0 SST with create-if-absent and returns its manifest entry. With an `encoder`, this thread only
   * packs the rows and a worker encodes them (the same bytes as in-thread encoding).
   */
  async writeL0(id: Ulid, rows: RowIterator, sizeHint = 0, encoder?: L0Encoder): Promise<CompactedSsTable> {
    let sst: { readonly bytes: Uint8Array; readonly info: SsTableInfo; readonly formatVersion: number };
    if (encoder === undefined) {
      const built = await this.buildSst(rows, sizeHint);
      sst = { bytes: sstBytes(built), info: built.info, formatVersion: built.formatVersion };
    } else {
      sst = await encoder.encode({
        table: this.#buildSettings(),
        rows: await packRows(rows, sizeHint),
        sizeHint,
      });
    }
    const bytes = sst.bytes;
    const path = compactedSstPath(this.root, id);
    try {
      await this.store.put(path, bytes, { mode: 'create' });
    } catch (e) {
      if (!isObjectStoreError(e, 'already-exists')) throw e;
      const existing = await this.store.get(path);
      if (!equalBytes(existing.bytes, bytes)) {
        throw internalError('SST_ID_COLLISION', `${path} already exists with other content`);
      }
    }
    this.options.onL0Written?.(bytes.length);
    return { id, info: sst.info, formatVersion: sst.formatVersion };
  }

  /**
   * Writes compacted SST `id` from a stream of its bytes with a plain PUT (a compaction output: fresh ULID,
   * referenced by nothing until the result manifest).
   */
  async writeCompactedStream(
    id: Ulid,
    chunks: AsyncIterable<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.store.putStream(compactedSstPath(this.root, id), chunks, { signal });
  }

  /** The read handle of a compacted SST (shared per SST id). */
  sstRef(sst: CompactedSsTable): SstRef {
    const key = sst.id.toString();
    let ref = this.#refs.get(key);
    if (ref === undefined) {
      const path = this.paths.compactedPath(sst.id);
      const options = {
        formatVersion: sst.formatVersion,
        blockCache: this.blockCache,
        filterStats: this.filterStats,
      };
      const lazy = new LazySst(
        () => SstReader.open(this.store, path, options),
        () => SstReader.tryOpenSync(this.store, path, options),
      );
      ref = { firstKey: sst.info.firstEntry, lastKey: sst.info.lastEntry, view: () => lazy };
      this.#refs.set(key, ref);
    }
    return ref;
  }

  /** The first key of each data block of a compacted SST (from its index; used to split compactions evenly). */
  async blockFirstKeys(sst: CompactedSsTable): Promise<readonly Uint8Array[]> {
    const path = compactedSstPath(this.root, sst.id);
    const reader = await SstReader.open(this.store, path, {
      formatVersion: sst.formatVersion,
      blockCache: this.blockCache,
    });
    const index = await reader.index();
    return index.keys;
  }

  /** The read handles of a sorted run's SSTs. */
  sortedRunRef(sr: SortedRun): SortedRunRef {
    return { id: sr.id, ssts: sr.ssts.map((s) => this.sstRef(s)) };
  }

  /** Forgets cached readers and blocks. */
  close(): void {
    this.#refs.clear();
  }
}
