/**
 * "shaledb/level": the abstract-level adapter. `new ShaleLevel(url, { path, db })` is a Level-ecosystem database
 * (encodings, sublevels, batches, iterators, events) backed by ShaleDB; see shale-level.ts.
 */
export {
  ShaleLevel,
  ShaleLevelIterator,
  type ShaleLevelOptions,
  ShaleLevelSnapshot,
} from './shale-level.js';
