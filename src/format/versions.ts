/**
 * Format versions: every SST, manifest and compactions version ShaleDB reads or writes, each with what it adds
 * (docs/format.md#versions).
 *
 * Invariants: writers emit only the `*_WRITE_VERSION` constants, which are the versions SlateDB 0.12.1 writes
 * (SST 2, manifest 1, compactions 1); readers accept every version listed here and nothing else.
 * Concurrency: constants; safe anywhere.
 */

/** SST footer version 1: data blocks in the V1 layout (per-entry offsets, row codec V0). Read only. */
export const SST_FORMAT_V1 = 1;
/** SST footer version 2: data blocks in the V2 layout (restart points, row codec V2). What 0.12.1 writes. */
export const SST_FORMAT_V2 = 2;
/** The SST version ShaleDB writes. */
export const SST_WRITE_VERSION = SST_FORMAT_V2;

/** Manifest version 1 (`ManifestV1`). What 0.12.1 writes. */
export const MANIFEST_FORMAT_V1 = 1;
/** Manifest version 2 (`ManifestV2`, SST views). 0.12.1 decodes it but never writes it. Read only. */
export const MANIFEST_FORMAT_V2 = 2;
/** The manifest version ShaleDB writes. */
export const MANIFEST_WRITE_VERSION = MANIFEST_FORMAT_V1;

/** Compactions file version 1 (`CompactionsV1`). The only one. */
export const COMPACTIONS_FORMAT_V1 = 1;
/** The compactions version ShaleDB writes. */
export const COMPACTIONS_WRITE_VERSION = COMPACTIONS_FORMAT_V1;

/** One entry of the version list. */
export interface FormatVersion {
  readonly object: 'sst' | 'manifest' | 'compactions';
  readonly version: number;
  readonly written: boolean;
  readonly adds: string;
}

/** Every version, oldest first per object kind. */
export const FORMAT_VERSIONS: readonly FormatVersion[] = [
  {
    object: 'sst',
    version: SST_FORMAT_V1,
    written: false,
    adds: 'blocks with one u16 offset per entry; row codec V0 (u16 lengths, key prefix shared with the first key)',
  },
  {
    object: 'sst',
    version: SST_FORMAT_V2,
    written: true,
    adds: 'blocks with a restart point every 16 entries; row codec V2 (varints, prefix shared with the previous key)',
  },
  {
    object: 'manifest',
    version: MANIFEST_FORMAT_V1,
    written: true,
    adds: 'ManifestV1: L0 and sorted runs as CompactedSsTable lists, l0_last_compacted as an SST id',
  },
  {
    object: 'manifest',
    version: MANIFEST_FORMAT_V2,
    written: false,
    adds: 'ManifestV2: one SST table plus views (view id, SST id, visible range); no wal_object_store_uri',
  },
  {
    object: 'compactions',
    version: COMPACTIONS_FORMAT_V1,
    written: true,
    adds: 'CompactionsV1: compactor epoch and recent compactions (tiered specs, status, output SSTs)',
  },
];

/** True for an SST footer version this build can read. */
export function isSupportedSstVersion(version: number): boolean {
  return version === SST_FORMAT_V1 || version === SST_FORMAT_V2;
}
