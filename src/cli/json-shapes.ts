/**
 * The JSON slatedb-cli 0.12.1 prints, for the values the `shaledb` commands print with `--json`: serde's
 * snake_case field names, chrono's RFC 3339 times ("...Z"), UUIDs and ULIDs as strings.
 *
 * Invariants: field names and order are those of 0.12.1's serde derives (`Checkpoint`, `ManifestFileMetadata`,
 * `CompactionsFileMetadata`); fields ShaleDB adds for its own commands are snake_case too.
 * Concurrency: pure.
 */
import type { CheckpointCreateResult, CheckpointInfo } from '../db/checkpoint.js';
import type { Compaction, Compactions } from '../format/compactions.js';
import type { Manifest } from '../format/manifest.js';
import type { FileMeta } from './admin-port.js';
import { isoSerde } from './text.js';

/** A checkpoint as 0.12.1's `list-checkpoints` prints it. */
export function checkpointJson(c: CheckpointInfo): Record<string, unknown> {
  return {
    id: c.id,
    manifest_id: c.manifestId,
    expire_time: c.expireTime === undefined ? null : isoSerde(c.expireTime.getTime()),
    create_time: isoSerde(c.createTime.getTime()),
    name: c.name ?? null,
  };
}

/** A manifest or compactions file as 0.12.1's `list-manifests` / `list-compactions` print it. */
export function fileMetaJson(f: FileMeta): Record<string, unknown> {
  return { id: f.id, location: f.path, last_modified: isoSerde(f.lastModifiedMs), size: f.size };
}

/** A created checkpoint (0.12.1's CheckpointCreateResult fields). */
export function checkpointCreateJson(r: CheckpointCreateResult): Record<string, unknown> {
  return { id: r.id, manifest_id: r.manifestId };
}

/** `s` in snake_case. */
function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A value with snake_case keys, ids as strings and bytes as number arrays (as serde prints `Bytes`). */
function plain(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'bigint') return v;
  if (typeof v === 'object') {
    if (typeof (v as { toString?: unknown }).toString === 'function' && v.constructor !== Object)
      return String(v);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), plain(x)]));
  }
  return v;
}

/** `read-manifest --json`: `[id, manifest]`. */
export function manifestJson(id: number, m: Manifest): unknown {
  return [id, plain(m)];
}

/** `read-compactions --json`: `[id, compactions]`. */
export function compactionsJson(id: number, c: Compactions): unknown {
  return [id, plain(c)];
}

/** `read-compaction --json`: one compaction. */
export function compactionJson(c: Compaction): unknown {
  return plain(c);
}
