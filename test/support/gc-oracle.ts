/**
 * SlateDB 0.12.1 helpers for the garbage-collector interop suite: the `garbage_collector_options` JSON with short
 * intervals and minimum ages, reading a database through SlateDB's DbReader (at the latest state or pinned to a
 * checkpoint), and a simple string workload written through the oracle.
 *
 * Invariants: every native handle made here is disposed; a reader opened without a checkpoint id removes its own
 * checkpoint when shut down, as 0.12.1 does; rows come back as UTF-8 strings (the workloads use ASCII only).
 * Concurrency: one call per directory at a time.
 */
import type * as Slate from '@slatedb/uniffi';
import type { SeededRand } from '../../src/util/random.js';
import type { VisibleRow, WorkloadOp } from './slatedb-workload.js';

/** What the helpers need of an open SlateDB database (in-process OracleDb or RemoteOracle). */
export interface SlateHandle {
  write(ops: readonly WorkloadOp[]): Promise<unknown>;
  scan(): Promise<VisibleRow[]>;
}

type SlateModule = typeof Slate;

/** `garbage_collector_options` with one interval and minimum age for every resource (SlateDB duration strings). */
export function slateGcOptions(interval: string, minAge: string): Record<string, unknown> {
  const d = { interval, min_age: minAge };
  return { manifest_options: d, wal_options: d, compacted_options: d, compactions_options: d };
}

const concat: Slate.MergeOperator = {
  merge: (_key, existing, operand) => (existing === undefined ? operand : Buffer.concat([existing, operand])),
};

async function drain(it: Slate.DbIterator): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  try {
    for (let kv = await it.next(); kv !== undefined; kv = await it.next()) {
      out.set(Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString());
    }
  } finally {
    it.dispose();
  }
  return out;
}

const ALL: Slate.KeyRange = { start: undefined, start_inclusive: true, end: undefined, end_inclusive: false };

/** Everything SlateDB's DbReader reads, at the latest state or at checkpoint `checkpointId`. */
export async function slateReadAll(
  m: SlateModule,
  dir: string,
  path: string,
  checkpointId?: string,
): Promise<Map<string, string>> {
  const store = m.ObjectStore.resolve(`file://${dir}`);
  const builder = new m.DbReaderBuilder(path, store);
  try {
    if (checkpointId !== undefined) builder.with_checkpoint_id(checkpointId);
    builder.with_merge_operator(concat);
    const reader = await builder.build();
    try {
      return await drain(await reader.scan(ALL));
    } finally {
      await reader.shutdown();
      reader.dispose();
    }
  } finally {
    builder.dispose();
    store.dispose();
  }
}

/** Everything an open oracle database reads, as strings. */
export async function slateScan(db: SlateHandle): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of await db.scan()) out.set(Buffer.from(r.key).toString(), Buffer.from(r.value).toString());
  return out;
}

/** Writes one batch of random puts, deletes and merge operands (ASCII keys `key000`..`key079`). */
export async function slateWriteBatch(db: SlateHandle, rand: SeededRand, tag: string): Promise<void> {
  const enc = new TextEncoder();
  const ops: WorkloadOp[] = [];
  const used = new Set<number>();
  for (let i = 0; i < 12; i++) {
    const k = rand.nextInt(80);
    if (used.has(k)) continue;
    used.add(k);
    const key = enc.encode(`key${String(k).padStart(3, '0')}`);
    const p = rand.nextInt(10);
    if (p === 0) ops.push({ type: 'delete', key });
    else if (p < 3) ops.push({ type: 'merge', key, value: enc.encode(`+${tag}.${i}`) });
    else ops.push({ type: 'put', key, value: enc.encode(`${tag}.${i}-${'y'.repeat(rand.nextInt(30))}`) });
  }
  await db.write(ops);
}
