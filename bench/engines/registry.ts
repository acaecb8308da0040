/**
 * The engine registry: every engine the harness can run, in report order, and the default set.
 *
 * Invariants: ids are unique and follow ENGINE_IDS order.
 * Concurrency: immutable.
 */
import { ENGINE_IDS, type EngineDefinition, type EngineId } from './engine.js';
import { levelDbDefinition } from './leveldb.js';
import { lmdbDefinition } from './lmdb.js';
import { rocksDbDefinition } from './rocksdb.js';
import { shaleDbDefinition, shaleDbJournalDefinition } from './shaledb.js';
import { slateDbDefinition } from './slatedb.js';

/** Every known engine, in report order. */
export const ENGINES: readonly EngineDefinition[] = [
  shaleDbDefinition,
  shaleDbJournalDefinition,
  slateDbDefinition,
  levelDbDefinition,
  lmdbDefinition,
  rocksDbDefinition,
];

/** The definition of `id`. */
export function engineById(id: EngineId): EngineDefinition {
  const e = ENGINES.find((d) => d.id === id);
  if (e === undefined) throw new Error(`unknown engine ${id}`);
  return e;
}

/** True when `s` names a known engine. */
export function isEngineId(s: string): s is EngineId {
  return (ENGINE_IDS as readonly string[]).includes(s);
}
