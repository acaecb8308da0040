/**
 * The epochs that fence holders of the manifest and the compactions file (spec §6.1, §6.6): the writer's and the
 * compactor's epoch in the manifest, and the compactor's epoch in the compactions file (which a compactor sets to
 * its manifest epoch).
 *
 * Invariants: each accessor reads and writes exactly one field, and writing leaves every other field as it was.
 * Concurrency: pure.
 */
import type { Compactions } from '../format/compactions.js';
import type { Manifest } from '../format/manifest.js';
import type { EpochAccess } from './transactional-object.js';

/** The writer's epoch in a manifest. */
export const WRITER_EPOCH: EpochAccess<Manifest> = {
  name: 'writer',
  get: (m) => m.writerEpoch,
  set: (m, e) => ({ ...m, writerEpoch: e }),
};

/** The compactor's epoch in a manifest. */
export const COMPACTOR_EPOCH: EpochAccess<Manifest> = {
  name: 'compactor',
  get: (m) => m.compactorEpoch,
  set: (m, e) => ({ ...m, compactorEpoch: e }),
};

/** The compactor's epoch in the compactions file. */
export const COMPACTIONS_EPOCH: EpochAccess<Compactions> = {
  name: 'compactor (compactions file)',
  get: (c) => c.compactorEpoch,
  set: (c, e) => ({ ...c, compactorEpoch: e }),
};
