/**
 * SlateDB 0.12.1 transactions as a test oracle: opens a real SlateDB (`@slatedb/uniffi@0.12.1`) in process on a
 * `file://` directory (no compactor, no GC, the concatenating merge operator) and exposes Db.begin and the
 * DbTransaction calls the differential transaction suite needs, with outcomes shaped like ShaleDB's.
 *
 * Invariants: every native handle it creates is disposed by `close()` (which shuts the database down cleanly, as
 * slatedb-oracle.ts recommends in process); a commit's outcome is 'ok', 'empty' or 'conflict' (SlateDB's
 * Transaction error), anything else is rethrown.
 * Concurrency: one test at a time per directory.
 */
import type * as Slate from '@slatedb/uniffi';

type SlateModule = typeof Slate;

/** How a commit ended. */
export type CommitOutcome = 'ok' | 'empty' | 'conflict';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('latin1'));

/** A SlateDB 0.12.1 database for transaction tests. */
export class SlateTxnDb {
  readonly #m: SlateModule;
  readonly #store: Slate.ObjectStore;
  readonly #db: Slate.Db;
  readonly #txns = new Set<Slate.DbTransaction>();

  private constructor(m: SlateModule, store: Slate.ObjectStore, db: Slate.Db) {
    this.#m = m;
    this.#store = store;
    this.#db = db;
  }

  static async open(m: SlateModule, dir: string, path = 'db'): Promise<SlateTxnDb> {
    const store = m.ObjectStore.resolve(`file://${dir}`);
    const settings = m.Settings.default();
    const builder = new m.DbBuilder(path, store);
    try {
      settings.set('flush_interval', JSON.stringify('10ms'));
      settings.set('garbage_collector_options', 'null');
      settings.set('compactor_options', 'null');
      builder.with_settings(settings);
      builder.with_merge_operator({
        merge: (_key, existing, operand) =>
          existing === undefined ? operand : Buffer.concat([existing, operand]),
      });
      return new SlateTxnDb(m, store, await builder.build());
    } catch (e) {
      store.dispose();
      throw e;
    } finally {
      builder.dispose();
      settings.dispose();
    }
  }

  async begin(level: 'snapshot' | 'serializableSnapshot'): Promise<SlateTxn> {
    const m = this.#m;
    const t = await this.#db.begin(
      level === 'snapshot' ? m.IsolationLevel.Snapshot : m.IsolationLevel.SerializableSnapshot,
    );
    this.#txns.add(t);
    return new SlateTxn(t);
  }

  async put(key: string, value: string): Promise<void> {
    await this.#db.put(enc(key), enc(value));
  }

  async delete(key: string): Promise<void> {
    await this.#db.delete(enc(key));
  }

  async get(key: string): Promise<string | undefined> {
    return dec(await this.#db.get(enc(key)));
  }

  /** Every visible key=value, through SlateDB's scan. */
  async scanAll(): Promise<string[]> {
    const it = await this.#db.scan({
      start: undefined,
      start_inclusive: true,
      end: undefined,
      end_inclusive: false,
    });
    const out: string[] = [];
    try {
      for (let kv = await it.next(); kv !== undefined; kv = await it.next())
        out.push(`${dec(kv.key)}=${dec(kv.value)}`);
    } finally {
      it.dispose();
    }
    return out;
  }

  async close(): Promise<void> {
    try {
      await this.#db.shutdown();
    } finally {
      for (const t of this.#txns) t.dispose();
      this.#db.dispose();
      this.#store.dispose();
    }
  }
}

/** One SlateDB transaction. */
export class SlateTxn {
  readonly #t: Slate.DbTransaction;

  constructor(t: Slate.DbTransaction) {
    this.#t = t;
  }

  async get(key: string): Promise<string | undefined> {
    return dec(await this.#t.get(enc(key)));
  }

  /** The seq SlateDB reports for `key`'s visible version, or undefined. */
  async getKeyValue(key: string): Promise<{ seq: bigint } | undefined> {
    const kv = await this.#t.get_key_value(enc(key));
    return kv === undefined ? undefined : { seq: BigInt(kv.seq) };
  }

  /** key=value pairs of a scan of [gte, lt) (open bounds when undefined). */
  async scan(gte: string | undefined, lt: string | undefined): Promise<string[]> {
    const it = await this.#t.scan({
      start: gte === undefined ? undefined : enc(gte),
      start_inclusive: true,
      end: lt === undefined ? undefined : enc(lt),
      end_inclusive: false,
    });
    const out: string[] = [];
    try {
      for (let kv = await it.next(); kv !== undefined; kv = await it.next())
        out.push(`${dec(kv.key)}=${dec(kv.value)}`);
    } finally {
      it.dispose();
    }
    return out;
  }

  put(key: string, value: string): Promise<void> {
    return this.#t.put(enc(key), enc(value));
  }

  delete(key: string): Promise<void> {
    return this.#t.delete(enc(key));
  }

  merge(key: string, operand: string): Promise<void> {
    return this.#t.merge(enc(key), enc(operand));
  }

  markRead(keys: string[]): Promise<void> {
    return this.#t.mark_read(keys.map(enc));
  }

  unmarkWrite(keys: string[]): Promise<void> {
    return this.#t.unmark_write(keys.map(enc));
  }

  rollback(): Promise<void> {
    return this.#t.rollback();
  }

  async commit(): Promise<CommitOutcome> {
    try {
      const h = await this.#t.commit();
      return h === undefined ? 'empty' : 'ok';
    } catch (e) {
      if (e instanceof Error && (e as { tag?: string }).tag === 'Transaction') return 'conflict';
      throw e;
    }
  }
}
