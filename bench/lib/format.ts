/**
 * Number and label formatting shared by the markdown and SVG reports.
 *
 * Invariants: pure functions; missing values render as "–".
 * Concurrency: pure.
 */
import { ENGINE_IDS, type EngineId } from '../engines/engine.js';
import { type CellResult, WORKLOAD_IDS, type WorkloadId } from './result.js';

/** Short engine names for tables and charts. */
export const ENGINE_NAMES: Readonly<Record<EngineId, string>> = {
  shaledb: 'ShaleDB',
  'shaledb-journal': 'ShaleDB+journal',
  slatedb: 'SlateDB',
  leveldb: 'LevelDB',
  lmdb: 'LMDB',
  rocksdb: 'RocksDB',
};

/** Section titles of the workloads. */
export const WORKLOAD_TITLES: Readonly<Record<WorkloadId, string>> = {
  put: '1. Non-durable puts, one at a time',
  batch: '2. Batched puts, 1 000 keys per batch (keys/s; latency per batch)',
  durable: '3. Durable puts (latency per put)',
  get: '4. Random gets over the loaded data set (cold: right after reopening)',
  scan: '5. Scans (full: rows/s; range: 100-key scans/s)',
  mixed: '6. Mixed: 80% gets, 20% non-durable puts',
  s3: '8. ShaleDB on the S3 latency model, against the bound the model implies',
  loop: '9. Event-loop delay while ingesting at a fixed rate (batches of 1 000, non-durable)',
};

const DASH = '–';

/** 1234567 -> "1,234,567"; fractional values below 100 keep one decimal. */
export function fmtNumber(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return DASH;
  if (Math.abs(x) < 100 && !Number.isInteger(x)) return x.toFixed(1);
  return Math.round(x).toLocaleString('en-US');
}

/** Microseconds with 3 significant figures: 4.52, 45.2, 452, 4,520. */
export function fmtUs(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return DASH;
  if (x < 10) return x.toFixed(2);
  if (x < 100) return x.toFixed(1);
  return Math.round(x).toLocaleString('en-US');
}

/** Three significant figures without exponent: 0.00412, 0.5, 1.2, 12.3, 1,234. */
export function fmtSig(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return DASH;
  if (x === 0) return '0';
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return String(Number(x.toPrecision(3)));
}

/** A ratio as "12.3×", "1.23×" or, below 0.1, two significant figures ("0.0034×"). */
export function fmtRatio(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return DASH;
  if (x >= 10) return `${x.toFixed(1)}×`;
  return x >= 0.1 ? `${x.toFixed(2)}×` : `${fmtSig(Number(x.toPrecision(2)))}×`;
}

/** A value size as "100 B" or "1 KiB". */
export function valueLabel(vb: number): string {
  return vb >= 1024 && vb % 1024 === 0 ? `${vb / 1024} KiB` : `${vb} B`;
}

/** Bytes as "100 B", "1 KiB", "23.5 GiB". */
export function fmtBytes(x: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = x;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

/** Milliseconds as "950 ms", "12.3 s", "7m12s". */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

/** The unit of a cell's rate column. */
export function rateUnit(c: CellResult): string {
  return c.unit === 'key' ? 'keys/s' : c.unit === 'row' ? 'rows/s' : c.unit === 'scan' ? 'scans/s' : 'ops/s';
}

/** The key identifying a comparable measurement (workload, phase, value size). */
export function slotKey(c: Pick<CellResult, 'workload' | 'phase' | 'valueBytes'>): string {
  return `${c.workload}|${c.phase}|${c.valueBytes}`;
}

/** ShaleDB's throughput divided by `peer`'s for the same slot, when both measured it. */
export function ratioToShale(results: readonly CellResult[], peer: CellResult): number | undefined {
  const shale = results.find((r) => r.engine === 'shaledb' && slotKey(r) === slotKey(peer) && !r.error);
  if (shale === undefined || peer.error || peer.opsPerSec <= 0) return undefined;
  return shale.opsPerSec / peer.opsPerSec;
}

/**
 * Cells in report order: workload, value size, phase (in the order phases first appear), engine. Stable, so
 * cells that tie keep their run order.
 */
export function sortCells(cells: readonly CellResult[]): CellResult[] {
  const phaseOrder = new Map<string, number>();
  for (const c of cells) {
    const k = `${c.workload}|${c.phase}`;
    if (!phaseOrder.has(k)) phaseOrder.set(k, phaseOrder.size);
  }
  return [...cells].sort(
    (a, b) =>
      WORKLOAD_IDS.indexOf(a.workload) - WORKLOAD_IDS.indexOf(b.workload) ||
      a.valueBytes - b.valueBytes ||
      phaseOrder.get(`${a.workload}|${a.phase}`)! - phaseOrder.get(`${b.workload}|${b.phase}`)! ||
      ENGINE_IDS.indexOf(a.engine) - ENGINE_IDS.indexOf(b.engine),
  );
}
