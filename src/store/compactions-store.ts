/**
 * The compactions store of a database: the versions of the `.compactions` file under `compactions/`, with their
 * codec, and load-or-create (spec §3, §6.6).
 *
 * Invariants: a database without a compactions file gets version 1 = { compactorEpoch: 0, recentCompactions: [] }.
 * Concurrency: see store/transactional-object.ts.
 */
import { type Compactions, decodeCompactions, encodeCompactions } from '../format/compactions.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { compactionsDir } from './paths.js';
import { type ObjectCodec, SequencedStore, TransactionalObject } from './transactional-object.js';

/** Compactions bytes <-> Compactions. */
export const compactionsCodec: ObjectCodec<Compactions> = {
  encode: (c) => encodeCompactions(c),
  decode: (bytes, path) => decodeCompactions(bytes, path),
};

/** The compactions versions of the database at `root` (normalized). */
export function compactionsStore(store: ObjectStore, root: string): SequencedStore<Compactions> {
  return new SequencedStore(store, compactionsDir(root), 'compactions', compactionsCodec);
}

/** Loads the latest compactions file or creates version 1; tolerates a concurrent creator. */
export function loadOrCreateCompactions(
  store: SequencedStore<Compactions>,
): Promise<TransactionalObject<Compactions>> {
  return TransactionalObject.loadOrCreate(store, { compactorEpoch: 0, recentCompactions: [] });
}
