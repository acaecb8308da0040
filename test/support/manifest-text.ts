/**
 * A compact text form of manifests for data-driven tests (testdata/): SSTs and checkpoints have short names
 * instead of ULIDs and UUIDs, and only the fields the protocol rules use are written.
 *
 * Tokens (space-separated, any order; omitted fields keep newManifest()'s values):
 *   l0=a,b:100        L0 SSTs newest first; `:n` sets the SST's size estimate (index offset + length)
 *   sr.5=x,y:40       sorted run 5 with SSTs x, y (runs listed in the order written)
 *   l0-last-compacted=c   writer-epoch=1   compactor-epoch=1   replay-after=3   wal-last-seen=5
 *   last-l0-seq=10   last-l0-tick=7   snapshot-min-seq=4   checkpoints=1,2 (the manifest ids they pin)
 *
 * Invariants: a name always maps to the same id within one NameTable, so printing gives the names back.
 * Concurrency: single-threaded test helper.
 */
import type { CompactedSsTable, Manifest, SortedRun } from '../../src/format/manifest.js';
import { newManifest } from '../../src/format/manifest.js';
import type { SsTableInfo } from '../../src/format/sst-info.js';
import { Ulid, Uuid } from '../../src/util/ids.js';

/** The info of an SST with no keys and no blocks; tests override the fields they need. */
export const EMPTY_SST_INFO: SsTableInfo = {
  firstEntry: undefined,
  lastEntry: undefined,
  indexOffset: 0,
  indexLen: 0,
  filterOffset: 0,
  filterLen: 0,
  compressionCodec: 'none',
  sstType: 'compacted',
  statsOffset: 0,
  statsLen: 0,
};

/** Short names <-> ids. */
export class NameTable {
  readonly #ids = new Map<string, Ulid>();
  readonly #names = new Map<string, string>();

  /**
   * The ULID named `name`, made on first use with ULID time `timeMs` (default 2024-06-10) and a counter as its
   * random part (so ULIDs of one time are in order of first use).
   */
  ulid(name: string, timeMs = 0x0190_0000_0000): Ulid {
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = new Ulid(BigInt(timeMs) << 16n, BigInt(this.#ids.size + 1));
      this.#ids.set(name, id);
      this.#names.set(id.toString(), name);
    }
    return id;
  }

  /** The name of `id` (its text when it was never named). */
  name(id: Ulid): string {
    return this.#names.get(id.toString()) ?? id.toString();
  }

  /** `text` with every named ULID replaced by its name. */
  replaceIds(text: string): string {
    let out = text;
    for (const [id, name] of this.#names) out = out.split(id).join(name);
    return out;
  }

  /** An SST named `spec` (`name` or `name:size`). */
  sst(spec: string): CompactedSsTable {
    const [name, size] = spec.split(':');
    return {
      id: this.ulid(name!),
      info: { ...EMPTY_SST_INFO, indexLen: Number(size ?? 0) },
      formatVersion: 2,
    };
  }
}

function list(v: string): string[] {
  return v === '' ? [] : v.split(',');
}

/** Parses manifest tokens (see the header). */
export function parseManifest(tokens: readonly string[], names: NameTable): Manifest {
  let m: Manifest = newManifest();
  const runs: SortedRun[] = [];
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq < 0) throw new Error(`manifest token without "=": ${t}`);
    const k = t.slice(0, eq);
    const v = t.slice(eq + 1);
    if (k.startsWith('sr.')) {
      runs.push({ id: Number(k.slice(3)), ssts: list(v).map((s) => names.sst(s)) });
      continue;
    }
    switch (k) {
      case 'l0':
        m = { ...m, l0: list(v).map((s) => names.sst(s)) };
        break;
      case 'l0-last-compacted':
        m = { ...m, l0LastCompacted: names.ulid(v) };
        break;
      case 'writer-epoch':
        m = { ...m, writerEpoch: Number(v) };
        break;
      case 'compactor-epoch':
        m = { ...m, compactorEpoch: Number(v) };
        break;
      case 'replay-after':
        m = { ...m, replayAfterWalId: Number(v) };
        break;
      case 'wal-last-seen':
        m = { ...m, walIdLastSeen: Number(v) };
        break;
      case 'last-l0-seq':
        m = { ...m, lastL0Seq: Number(v) };
        break;
      case 'last-l0-tick':
        m = { ...m, lastL0ClockTick: BigInt(v) };
        break;
      case 'snapshot-min-seq':
        m = { ...m, recentSnapshotMinSeq: Number(v) };
        break;
      case 'checkpoints':
        m = {
          ...m,
          checkpoints: list(v).map((id, i) => ({
            id: Uuid.fromHighLow(0n, BigInt(i + 1)),
            manifestId: Number(id),
            expireTimeS: 0,
            createTimeS: 0,
          })),
        };
        break;
      default:
        throw new Error(`unknown manifest token: ${t}`);
    }
  }
  return { ...m, compacted: runs };
}

/** Prints a manifest in the token form, one field group a line. */
export function printManifest(m: Manifest, names: NameTable): string {
  const ssts = (l: readonly CompactedSsTable[]): string => l.map((s) => names.name(s.id)).join(',');
  const lines = [
    `l0=${ssts(m.l0)}` +
      (m.l0LastCompacted === undefined ? '' : ` l0-last-compacted=${names.name(m.l0LastCompacted)}`),
    m.compacted.length === 0 ? 'sr=(none)' : m.compacted.map((r) => `sr.${r.id}=${ssts(r.ssts)}`).join(' '),
    `writer-epoch=${m.writerEpoch} compactor-epoch=${m.compactorEpoch}`,
    `replay-after=${m.replayAfterWalId} wal-last-seen=${m.walIdLastSeen} last-l0-seq=${m.lastL0Seq} ` +
      `last-l0-tick=${m.lastL0ClockTick} snapshot-min-seq=${m.recentSnapshotMinSeq}`,
    `checkpoints=${m.checkpoints.map((c) => c.manifestId).join(',')}`,
  ];
  return lines.join('\n');
}
