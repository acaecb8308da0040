/**
 * The manifest store of a database: the versions under `manifest/`, encoded with the manifest codec and checked
 * against the manifest invariants before every write (store/manifest-invariants.ts), and load-or-create.
 *
 * Invariants: every manifest any holder (writer, compactor, collector) writes goes through this codec, so none can
 * be written that breaks a named invariant; a database without a manifest gets manifest 1 = newManifest().
 * Concurrency: see store/transactional-object.ts.
 */
import { type Manifest, newManifest } from '../format/manifest.js';
import { decodeManifest, encodeManifest } from '../format/manifest-codec.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { checkManifestWrite } from './manifest-invariants.js';
import { manifestDir } from './paths.js';
import { type ObjectCodec, SequencedStore, TransactionalObject } from './transactional-object.js';

/** Manifest bytes <-> Manifest, with the invariant checks run before each write. */
export const manifestCodec: ObjectCodec<Manifest> = {
  encode: (m) => encodeManifest(m),
  decode: (bytes, path) => decodeManifest(bytes, path),
  check: (m, id, previous) => checkManifestWrite(m, id, previous),
};

/** The manifest versions of the database at `root` (normalized). */
export function manifestStore(store: ObjectStore, root: string): SequencedStore<Manifest> {
  return new SequencedStore(store, manifestDir(root), 'manifest', manifestCodec);
}

/** Loads the latest manifest or creates manifest 1; tolerates a concurrent creator. */
export function loadOrCreateManifest(
  store: SequencedStore<Manifest>,
): Promise<TransactionalObject<Manifest>> {
  return TransactionalObject.loadOrCreate(store, newManifest());
}
