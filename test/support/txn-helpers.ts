/**
 * Shared helpers of the transaction unit tests: a database on the memory store with a concatenating merge operator,
 * string conversion, collecting a transaction scan, and commit outcomes.
 */

import { Db } from '../../src/db/db.js';
import type { DbTransaction } from '../../src/db/transaction.js';
import type { TransactionIterator } from '../../src/db/transaction-iterator.js';
import type { MergeOperator } from '../../src/lsm/merge-operator.js';
import { MemoryObjectStore } from '../../src/object-store/memory-store.js';
import { isShaleDBError } from '../../src/util/errors.js';

export const concat: MergeOperator = (_k, existing, operands) =>
  Buffer.concat([...(existing === undefined ? [] : [existing]), ...operands]);

export const settings = {
  flushInterval: '5ms',
  compactorOptions: null,
  garbageCollectorOptions: null,
} as const;

export async function withDb(f: (db: Db) => Promise<void>, mergeOperator: MergeOperator | null = concat) {
  const db = await Db.open('txn', new MemoryObjectStore(), {
    settings,
    mergeOperator: mergeOperator ?? undefined,
  });
  try {
    await f(db);
  } finally {
    await db.close();
  }
}

export const str = (v: Uint8Array | undefined) => (v === undefined ? undefined : Buffer.from(v).toString());

export async function rows(it: TransactionIterator): Promise<string[]> {
  const out: string[] = [];
  for await (const kv of it) out.push(`${Buffer.from(kv.key)}=${Buffer.from(kv.value)}`);
  return out;
}

export function isConflict(e: unknown): boolean {
  return isShaleDBError(e, 'transaction', 'TRANSACTION_CONFLICT');
}

export async function commitOutcome(txn: DbTransaction): Promise<'ok' | 'conflict'> {
  try {
    await txn.commit();
    return 'ok';
  } catch (e) {
    if (isConflict(e)) return 'conflict';
    throw e;
  }
}
