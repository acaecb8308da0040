/**
 * The SlateDB 0.12.1 oracle: opens a real SlateDB (`@slatedb/uniffi@0.12.1`) on a `file://` directory with the
 * settings, block size and merge operator a suite asks for, writes workloads, flushes, reads back through its
 * own API (get, scan, WalReader), and drops or shuts it down, disposing every native handle.
 *
 * Invariants: every handle this module creates is disposed by `close()`; the garbage collector is off unless
 * asked for (files stay put while suites read them); the compactor is off unless `compactor` is given. The
 * merge operator `'concat'` is associative with merge(None, x) = x, as 0.12.1 requires.
 * Caution: a database dropped without shutdown keeps SlateDB's native background threads running until the
 * process exits; an earlier in-process version of the format interop suite died with SIGSEGV at exit in one of
 * eight runs. To drop databases as a crash would, run the job in a child (slatedb-oracle-process.ts), which the
 * format suites do; in-process, prefer close('shutdown').
 * Concurrency: one OracleDb per directory at a time (unless a test deliberately opens a second writer).
 */
import type * as Slate from '@slatedb/uniffi';
import type { CompressionCodec } from '../../src/format/compression.js';
import type { RowEntry } from '../../src/format/row.js';
import type { BatchHandle, VisibleRow, WorkloadOp } from './slatedb-workload.js';

type SlateModule = typeof Slate;

let loaded: SlateModule | undefined;
let loadError: unknown;

/** Loads the oracle module; undefined when it cannot load (the error is kept for {@link requireOracle}). */
export async function loadOracle(): Promise<SlateModule | undefined> {
  if (loaded !== undefined) return loaded;
  try {
    loaded = (await import('@slatedb/uniffi')) as SlateModule;
  } catch (e) {
    loadError = e;
    return undefined;
  }
  return loaded;
}

/**
 * The oracle, or an error that fails the calling suite. The oracle is a devDependency, so a binding that cannot
 * load is a broken install, never a reason to skip: whatever the environment (CI or not), the suite fails with
 * the load error and the command that fixes it.
 */
export async function requireOracle(): Promise<SlateModule> {
  const m = await loadOracle();
  if (m !== undefined) return m;
  const detail = loadError instanceof Error ? loadError.message : String(loadError);
  throw new Error(
    `@slatedb/uniffi@0.12.1 (the SlateDB oracle) could not be loaded, so this suite cannot run (it never skips): ${detail}\nInstall: npm ci`,
  );
}

/** Block sizes SlateDB accepts, in KiB. */
export type OracleBlockSizeKib = 1 | 2 | 4 | 8 | 16 | 32 | 64;

/** How to open the oracle. */
export interface OracleOptions {
  /** Absolute directory used as the `file://` store root. */
  readonly dir: string;
  /** Database path inside the store (default 'db'). */
  readonly path?: string;
  readonly codec?: CompressionCodec;
  readonly blockSizeKib?: OracleBlockSizeKib;
  /** 'concat' (default) appends operands; undefined for no merge operator. */
  readonly mergeOperator?: 'concat' | null;
  /** Run the embedded compactor with these options (off when absent). */
  readonly compactor?: { readonly pollInterval?: string; readonly maxSstSize?: number };
  /** WAL flush interval (default "10ms"). */
  readonly flushInterval?: string;
  /** Extra settings, JSON values by key. */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly seed?: number;
}

const CODEC_NAMES: Record<CompressionCodec, string | null> = {
  none: null,
  snappy: 'Snappy',
  zlib: 'Zlib',
  lz4: 'Lz4',
  zstd: 'Zstd',
};

function toNumber(v: bigint | number | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

/** A SlateDB 0.12.1 database held open for a test. */
export class OracleDb {
  readonly m: SlateModule;
  readonly path: string;
  readonly dir: string;
  readonly #store: Slate.ObjectStore;
  readonly #db: Slate.Db;
  #closed = false;

  private constructor(m: SlateModule, dir: string, path: string, store: Slate.ObjectStore, db: Slate.Db) {
    this.m = m;
    this.dir = dir;
    this.path = path;
    this.#store = store;
    this.#db = db;
  }

  /** Opens (creating if needed) a database. */
  static async open(m: SlateModule, o: OracleOptions): Promise<OracleDb> {
    const path = o.path ?? 'db';
    const store = m.ObjectStore.resolve(`file://${o.dir}`);
    const settings = m.Settings.default();
    const builder = new m.DbBuilder(path, store);
    try {
      settings.set('flush_interval', JSON.stringify(o.flushInterval ?? '10ms'));
      settings.set('compression_codec', JSON.stringify(CODEC_NAMES[o.codec ?? 'none']));
      settings.set('garbage_collector_options', 'null');
      settings.set(
        'compactor_options',
        o.compactor === undefined
          ? 'null'
          : JSON.stringify({
              poll_interval: o.compactor.pollInterval ?? '100ms',
              manifest_update_timeout: '300s',
              max_sst_size: o.compactor.maxSstSize ?? 256 * 1024 * 1024,
              max_concurrent_compactions: 4,
              max_fetch_tasks: 4,
              scheduler_options: {},
            }),
      );
      for (const [k, v] of Object.entries(o.settings ?? {})) settings.set(k, JSON.stringify(v));
      builder.with_settings(settings);
      builder.with_sst_block_size(m.SstBlockSize[`Block${o.blockSizeKib ?? 4}Kib`]);
      if (o.seed !== undefined) builder.with_seed(o.seed);
      if ((o.mergeOperator ?? 'concat') === 'concat') {
        builder.with_merge_operator({
          merge: (_key, existing, operand) =>
            existing === undefined ? operand : Buffer.concat([existing, operand]),
        });
      }
      const db = await builder.build();
      return new OracleDb(m, o.dir, path, store, db);
    } catch (e) {
      store.dispose();
      throw e;
    } finally {
      builder.dispose();
      settings.dispose();
    }
  }

  /** The native database handle, for suites that read through SlateDB's whole API (owned by this OracleDb). */
  get native(): Slate.Db {
    return this.#db;
  }

  /** Writes one batch (awaiting durability by default); returns its seq and create_ts. */
  async write(ops: readonly WorkloadOp[], awaitDurable = true): Promise<BatchHandle> {
    const m = this.m;
    const batch = new m.WriteBatch();
    try {
      for (const op of ops) {
        if (op.type === 'delete') batch.delete(op.key);
        else if (op.type === 'merge') batch.merge(op.key, op.value);
        else if (op.ttlMs === undefined) batch.put(op.key, op.value);
        else batch.put_with_options(op.key, op.value, { ttl: m.Ttl.ExpireAfterTicks(op.ttlMs) });
      }
      const h = await this.#db.write_with_options(batch, { await_durable: awaitDurable });
      return { seq: Number(h.seqnum), createTs: Number(h.create_ts) };
    } finally {
      batch.dispose();
    }
  }

  /** Flushes the WAL buffer. */
  async flushWal(): Promise<void> {
    await this.#db.flush_with_options({ flush_type: this.m.FlushType.Wal });
  }

  /** Flushes the memtable to an L0 SST (and the manifest). */
  async flushMemtable(): Promise<void> {
    await this.#db.flush_with_options({ flush_type: this.m.FlushType.MemTable });
  }

  /** Every visible key-value, through SlateDB's own scan. */
  async scan(): Promise<VisibleRow[]> {
    return this.#collect(
      await this.#db.scan({
        start: undefined,
        start_inclusive: true,
        end: undefined,
        end_inclusive: false,
      }),
    );
  }

  /** The visible key-values starting with `prefix`, through SlateDB's scan_prefix. */
  async scanPrefix(prefix: Uint8Array): Promise<VisibleRow[]> {
    return this.#collect(await this.#db.scan_prefix(prefix));
  }

  async #collect(it: Slate.DbIterator): Promise<VisibleRow[]> {
    const out: VisibleRow[] = [];
    try {
      for (let kv = await it.next(); kv !== undefined; kv = await it.next()) {
        out.push({
          key: kv.key,
          value: kv.value,
          seq: Number(kv.seq),
          createTs: toNumber(kv.create_ts),
          expireTs: toNumber(kv.expire_ts),
        });
      }
    } finally {
      it.dispose();
    }
    return out;
  }

  /** Drops the database without shutdown (a crash, as far as files go) or shuts it down cleanly. */
  async close(mode: 'drop' | 'shutdown' = 'drop'): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (mode === 'shutdown') await this.#db.shutdown();
    } finally {
      this.#db.dispose();
      this.#store.dispose();
    }
  }
}

/** Every row of every WAL file, as SlateDB's WalReader reads them, by WAL id. */
export async function oracleWalRows(
  m: SlateModule,
  dir: string,
  path = 'db',
): Promise<Map<number, RowEntry[]>> {
  const store = m.ObjectStore.resolve(`file://${dir}`);
  const reader = new m.WalReader(path, store);
  const out = new Map<number, RowEntry[]>();
  try {
    const files = await reader.list(undefined, undefined);
    for (const f of files) {
      const rows: RowEntry[] = [];
      const it = await f.iterator();
      try {
        for (let r = await it.next(); r !== undefined; r = await it.next()) {
          rows.push({
            key: r.key,
            value: r.value ?? new Uint8Array(0),
            seq: Number(r.seq),
            kind: r.kind === 'Value' ? 'value' : r.kind === 'Tombstone' ? 'tombstone' : 'merge',
            createTs: toNumber(r.create_ts),
            expireTs: toNumber(r.expire_ts),
          });
        }
      } finally {
        it.dispose();
      }
      out.set(Number(f.id()), rows);
      f.dispose();
    }
  } finally {
    reader.dispose();
    store.dispose();
  }
  return out;
}

/** What running a workload on the oracle produced. */
export interface OracleRun {
  readonly handles: BatchHandle[][];
  readonly scan: VisibleRow[];
  readonly wal: Map<number, RowEntry[]>;
}

/**
 * Writes `workload` through a fresh oracle database: each memtable's batches, then a memtable flush for all but
 * the last; with `waitForCompaction`, waits until a sorted run replaced the L0s before writing the last
 * memtable. Then scans, drops the database without shutdown, and reads the WAL back through WalReader.
 */
export async function runOracleWorkload(
  m: SlateModule,
  options: OracleOptions,
  workload: { readonly memtables: readonly (readonly (readonly WorkloadOp[])[])[] },
  waitForCompaction?: (dir: string) => boolean,
): Promise<OracleRun> {
  const db = await OracleDb.open(m, options);
  const handles: BatchHandle[][] = [];
  let scan: VisibleRow[];
  try {
    const n = workload.memtables.length;
    for (let i = 0; i < n; i++) {
      if (i === n - 1 && waitForCompaction !== undefined) {
        for (let tries = 0; !waitForCompaction(options.dir); tries++) {
          if (tries > 300) throw new Error('the oracle did not compact within 30 s');
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const hs: BatchHandle[] = [];
      for (const batch of workload.memtables[i]!) hs.push(await db.write(batch));
      handles.push(hs);
      if (i < n - 1) await db.flushMemtable();
    }
    scan = await db.scan();
  } finally {
    await db.close('drop');
  }
  const wal = await oracleWalRows(m, options.dir, options.path ?? 'db');
  return { handles, scan, wal };
}
