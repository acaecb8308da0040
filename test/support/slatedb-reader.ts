/**
 * SlateDB 0.12.1's DbReader through the binding (@slatedb/uniffi): opens a reader on a `file://` directory, managed
 * (it creates its own checkpoint) or pinned to a checkpoint id, scans every visible row, and shuts it down,
 * disposing every native handle (ShaleDB readers scan into the same row shape with db-interop.ts shaleScan).
 *
 * Invariants: `close()` shuts the reader down (which deletes a managed reader's checkpoint) and disposes the reader,
 * its builder and its store exactly once.
 * Concurrency: one test at a time per reader.
 */
import type * as Slate from '@slatedb/uniffi';
import type { VisibleRow } from './slatedb-workload.js';

type SlateModule = typeof Slate;

const num = (v: bigint | number | undefined): number | undefined => (v === undefined ? undefined : Number(v));

/** A SlateDB reader held open by a test. */
export class OracleReader {
  readonly #store: Slate.ObjectStore;
  readonly #reader: Slate.DbReader;
  #closed = false;

  private constructor(store: Slate.ObjectStore, reader: Slate.DbReader) {
    this.#store = store;
    this.#reader = reader;
  }

  /** Opens SlateDB's reader on `dir`/`path`; pinned when `checkpointId` is given. */
  static async open(
    m: SlateModule,
    dir: string,
    options: {
      path?: string;
      checkpointId?: string;
      pollMs?: number;
      lifetimeMs?: number;
      concat?: boolean;
    } = {},
  ): Promise<OracleReader> {
    const store = m.ObjectStore.resolve(`file://${dir}`);
    const builder = new m.DbReaderBuilder(options.path ?? 'db', store);
    try {
      if (options.checkpointId !== undefined) builder.with_checkpoint_id(options.checkpointId);
      builder.with_options({
        manifest_poll_interval_ms: options.pollMs ?? 60_000,
        checkpoint_lifetime_ms: options.lifetimeMs ?? 600_000,
        max_memtable_bytes: 64 * 1024 * 1024,
        skip_wal_replay: false,
      });
      if (options.concat !== false) {
        builder.with_merge_operator({
          merge: (_key, existing, operand) =>
            existing === undefined ? operand : Buffer.concat([existing, operand]),
        });
      }
      return new OracleReader(store, await builder.build());
    } catch (e) {
      store.dispose();
      throw e;
    } finally {
      builder.dispose();
    }
  }

  /** Every visible row, through SlateDB's reader scan. */
  async scan(): Promise<VisibleRow[]> {
    const it = await this.#reader.scan({
      start: undefined,
      start_inclusive: true,
      end: undefined,
      end_inclusive: false,
    });
    const out: VisibleRow[] = [];
    try {
      for (let kv = await it.next(); kv !== undefined; kv = await it.next()) {
        out.push({
          key: kv.key,
          value: kv.value,
          seq: Number(kv.seq),
          createTs: num(kv.create_ts),
          expireTs: num(kv.expire_ts),
        });
      }
    } finally {
      it.dispose();
    }
    return out;
  }

  /** The value of `key`, through SlateDB's reader. */
  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#reader.get(key);
  }

  /** Shuts the reader down (deleting a managed reader's checkpoint) and disposes its handles. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#reader.shutdown();
    } finally {
      this.#reader.dispose();
      this.#store.dispose();
    }
  }
}
