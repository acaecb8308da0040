/**
 * Deterministic workloads for the SlateDB 0.12.1 interop suites and fixtures: batches of puts (plain, with
 * long and 1 ms TTLs, empty and oversized values, binary keys), deletes and merge operands, grouped into
 * memtables that are flushed to L0 one by one, plus the rows SlateDB must have written for them.
 *
 * Invariants: the same spec always yields the same operations. Within one memtable a key is written at most
 * once, so an L0 holds exactly that memtable's rows (with values whose 1 ms TTL expired by the memtable's last
 * tick turned into tombstones, as 0.12.1's flush does); merge operands carry no TTL.
 * Concurrency: pure.
 */
import { compareRows, type RowEntry } from '../../src/format/row.js';
import { compareBytes, equalBytes } from '../../src/util/bytes.js';
import { SeededRand } from '../../src/util/random.js';

/** One operation of a write batch. */
export type WorkloadOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array; readonly ttlMs?: number }
  | { readonly type: 'delete'; readonly key: Uint8Array }
  | { readonly type: 'merge'; readonly key: Uint8Array; readonly value: Uint8Array };

/** What to generate. */
export interface WorkloadSpec {
  readonly seed: number;
  /** Batch sizes per memtable; every memtable but the last is flushed to L0 after its batches. */
  readonly memtables: readonly (readonly number[])[];
  /** Size of one oversized, repetitive value in the first batch (0 = none). */
  readonly oversizedValueBytes?: number;
}

/** Generated operations. */
export interface Workload {
  readonly spec: WorkloadSpec;
  /** memtables[m][b] = the ops of batch b of memtable m. */
  readonly memtables: WorkloadOp[][][];
}

/** The seq and create_ts SlateDB gave a batch (every row of a batch shares them). */
export interface BatchHandle {
  readonly seq: number;
  readonly createTs: number;
}

const WORDS = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'slate',
  'shale',
  'rock',
  'value',
  'row',
  'merge',
  '-',
  ' ',
];
const LONG_TTL_MS = 3_600_000;

function textValue(rand: SeededRand, maxLen: number): Uint8Array {
  const n = rand.nextInt(maxLen + 1);
  let s = '';
  while (s.length < n) s += WORDS[rand.nextInt(WORDS.length)];
  return new TextEncoder().encode(s.slice(0, n));
}

function letters(rand: SeededRand, max: number): string {
  let s = '';
  for (let i = rand.nextInt(max + 1); i > 0; i--) s += String.fromCharCode(97 + rand.nextInt(26));
  return s;
}

/** Generates the operations of `spec`. */
export function makeWorkload(spec: WorkloadSpec): Workload {
  const rand = new SeededRand(spec.seed);
  const enc = new TextEncoder();
  let counter = 0;
  const live: Uint8Array[] = [];
  const hot = Array.from({ length: 30 }, (_, i) => enc.encode(`hot${String(i).padStart(3, '0')}`));
  const mergeKeys = Array.from({ length: 20 }, (_, i) => enc.encode(`merge${String(i).padStart(3, '0')}`));
  const memtables: WorkloadOp[][][] = [];
  for (let m = 0; m < spec.memtables.length; m++) {
    const used = new Set<string>();
    const take = (pool: Uint8Array[]): Uint8Array | undefined => {
      for (let tries = 0; tries < 8 && pool.length > 0; tries++) {
        const k = pool[rand.nextInt(pool.length)]!;
        const id = Buffer.from(k).toString('hex');
        if (!used.has(id)) {
          used.add(id);
          return k;
        }
      }
      return undefined;
    };
    const sizes = spec.memtables[m]!;
    const batches: WorkloadOp[][] = [];
    for (let b = 0; b < sizes.length; b++) {
      const ops: WorkloadOp[] = [];
      if (m === 0 && b === 0 && (spec.oversizedValueBytes ?? 0) > 0) {
        const big = new Uint8Array(spec.oversizedValueBytes!);
        for (let i = 0; i < big.length; i++) big[i] = 97 + (i % 23);
        ops.push({ type: 'put', key: enc.encode('oversized'), value: big });
        used.add(Buffer.from('oversized').toString('hex'));
      }
      while (ops.length < sizes[b]!) {
        const p = rand.nextInt(100);
        const lastBatch = b === sizes.length - 1;
        if (p < 10) {
          const k = take(hot);
          if (k !== undefined) ops.push({ type: 'put', key: k, value: textValue(rand, 24) });
        } else if (p < 20) {
          const k = take(live) ?? enc.encode(`gone${counter++}`);
          ops.push({ type: 'delete', key: k });
        } else if (p < 30) {
          const k = take(mergeKeys);
          if (k !== undefined) ops.push({ type: 'merge', key: k, value: textValue(rand, 8) });
        } else {
          let key: Uint8Array;
          if (p < 40) {
            const n = counter++;
            key = Uint8Array.of(
              0xff,
              (n >>> 24) & 0xff,
              (n >>> 16) & 0xff,
              (n >>> 8) & 0xff,
              n & 0xff,
              ...rand.fillBytes(new Uint8Array(rand.nextInt(6))),
            );
          } else {
            key = enc.encode(`key${String(counter++).padStart(6, '0')}${letters(rand, 8)}`);
          }
          used.add(Buffer.from(key).toString('hex'));
          const ttlRoll = rand.nextInt(100);
          const ttlMs = ttlRoll < 8 ? LONG_TTL_MS : ttlRoll < 11 && !lastBatch ? 1 : undefined;
          const value = rand.nextInt(50) === 0 ? new Uint8Array(0) : textValue(rand, 48);
          ops.push(ttlMs === undefined ? { type: 'put', key, value } : { type: 'put', key, value, ttlMs });
          live.push(key);
        }
      }
      batches.push(ops);
    }
    memtables.push(batches);
  }
  return { spec, memtables };
}

/** The rows one batch writes (ascending key order, as SlateDB appends them to the WAL). */
export function batchRows(ops: readonly WorkloadOp[], h: BatchHandle): RowEntry[] {
  const rows = ops.map(
    (op): RowEntry => ({
      key: op.key,
      value: op.type === 'delete' ? new Uint8Array(0) : op.value,
      seq: h.seq,
      kind: op.type === 'put' ? 'value' : op.type === 'delete' ? 'tombstone' : 'merge',
      createTs: h.createTs,
      expireTs: op.type === 'put' && op.ttlMs !== undefined ? h.createTs + op.ttlMs : undefined,
    }),
  );
  return rows.sort((a, b) => compareBytes(a.key, b.key));
}

/** All WAL rows in commit order. `handles[m][b]` belongs to batch b of memtable m. */
export function walRows(w: Workload, handles: readonly (readonly BatchHandle[])[]): RowEntry[] {
  return w.memtables.flatMap((batches, m) => batches.flatMap((ops, b) => batchRows(ops, handles[m]![b]!)));
}

/** The rows of the L0 SST that flushing memtable `m` produced. */
export function l0Rows(w: Workload, handles: readonly (readonly BatchHandle[])[], m: number): RowEntry[] {
  const rows = w.memtables[m]!.flatMap((ops, b) => batchRows(ops, handles[m]![b]!));
  const lastTick = Math.max(...handles[m]!.map((h) => h.createTs));
  return rows
    .map((r) =>
      r.kind === 'value' && r.expireTs !== undefined && r.expireTs <= lastTick
        ? { ...r, kind: 'tombstone' as const, value: new Uint8Array(0), expireTs: undefined }
        : r,
    )
    .sort(compareRows);
}

/** A visible key-value as SlateDB's scan reports it. */
export interface VisibleRow {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly seq: number;
  readonly createTs: number | undefined;
  readonly expireTs: number | undefined;
}

/**
 * Resolves all versions of every key (any order) the way a 0.12.1 read does with the concatenating merge
 * operator: newest first, merge operands folded onto the newest value (or onto nothing below a tombstone);
 * seq = newest, create_ts = max, expire_ts = min over the folded rows. Expired rows are not filtered (0.12.1
 * reads do not filter them).
 */
export function resolveVisible(rows: readonly RowEntry[]): VisibleRow[] {
  const sorted = [...rows].sort(compareRows);
  const out: VisibleRow[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && equalBytes(sorted[j]!.key, sorted[i]!.key)) j++;
    const versions = sorted.slice(i, j);
    i = j;
    const ops: RowEntry[] = [];
    let base: RowEntry | undefined;
    for (const v of versions) {
      if (v.kind === 'merge') ops.push(v);
      else {
        base = v;
        break;
      }
    }
    if (ops.length === 0 && (base === undefined || base.kind === 'tombstone')) continue;
    const folded = [...(base?.kind === 'value' ? [base] : []), ...ops];
    const parts = [...(base?.kind === 'value' ? [base.value] : []), ...ops.map((o) => o.value).reverse()];
    const exp = folded.map((r) => r.expireTs).filter((e): e is number => e !== undefined);
    out.push({
      key: versions[0]!.key,
      value: Buffer.concat(parts),
      seq: versions[0]!.seq,
      createTs: Math.max(...folded.map((r) => r.createTs ?? Number.MIN_SAFE_INTEGER)),
      expireTs: exp.length === 0 ? undefined : Math.min(...exp),
    });
  }
  return out;
}
