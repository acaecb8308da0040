/**
 * The SVG chart: hand-written SVG (no browser, no library) of throughput per workload phase and value size, one
 * bar per engine on a logarithmic axis, with the value printed at each bar's end and a legend.
 *
 * Invariants: the output is a standalone, well-formed SVG 1.1 document; all text is XML-escaped; failed cells
 * and cells with zero throughput are left out (the markdown lists them).
 * Concurrency: pure.
 */
import { ENGINE_IDS, type EngineId } from '../engines/engine.js';
import { ENGINE_NAMES, rateUnit, slotKey, sortCells, valueLabel } from './format.js';
import { fmtRate } from './progress.js';
import type { BenchReport, CellResult } from './result.js';

/** Bar colour per engine. */
export const ENGINE_COLORS: Readonly<Record<EngineId, string>> = {
  shaledb: '#d9480f',
  'shaledb-journal': '#f08c00',
  slatedb: '#1c7ed6',
  leveldb: '#2f9e44',
  lmdb: '#7048e8',
  rocksdb: '#868e96',
};

const WIDTH = 980;
const LABEL_W = 250;
const PLOT_X = LABEL_W + 10;
const PLOT_W = 600;
const BAR_H = 11;
const BAR_GAP = 2;
const GROUP_GAP = 12;
const TOP = 96;

/** Escapes text for XML. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Group {
  readonly label: string;
  readonly cells: CellResult[];
}

function groups(r: BenchReport): Group[] {
  const out = new Map<string, Group>();
  for (const c of sortCells(r.results)) {
    // The paced workload's rate is its schedule, not a speed: it has its own table.
    if (c.error || c.opsPerSec <= 0 || c.workload === 'loop') continue;
    const key = slotKey(c);
    let g = out.get(key);
    if (g === undefined) {
      g = { label: `${c.workload} ${c.phase} · ${valueLabel(c.valueBytes)} (${rateUnit(c)})`, cells: [] };
      out.set(key, g);
    }
    g.cells.push(c);
  }
  return [...out.values()];
}

/** 10^d as "1", "10", "100", "1k", ..., "10M". */
function decade(d: number): string {
  const units = ['', 'k', 'M', 'G'];
  const u = Math.min(units.length - 1, Math.floor(d / 3));
  return `${10 ** (d - 3 * u)}${units[u]}`;
}

function axis(lo: number, hi: number, height: number): string[] {
  const out: string[] = [];
  for (let d = lo; d <= hi; d++) {
    const x = PLOT_X + ((d - lo) / (hi - lo)) * PLOT_W;
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${TOP - 6}" x2="${x.toFixed(1)}" y2="${height - 20}" stroke="#dee2e6"/>`,
    );
    out.push(`<text x="${x.toFixed(1)}" y="${TOP - 10}" text-anchor="middle" class="ax">${decade(d)}</text>`);
  }
  return out;
}

function legend(engines: readonly EngineId[]): string[] {
  return engines.map((e, i) => {
    const x = PLOT_X + i * 110;
    return (
      `<rect x="${x}" y="52" width="12" height="12" fill="${ENGINE_COLORS[e]}"/>` +
      `<text x="${x + 16}" y="62" class="lg">${ENGINE_NAMES[e]}</text>`
    );
  });
}

/** Renders the chart. */
export function renderSvg(r: BenchReport): string {
  const gs = groups(r);
  const all = gs.flatMap((g) => g.cells.map((c) => c.opsPerSec));
  const lo = Math.floor(Math.log10(Math.max(1, Math.min(...all, 10))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all, 10))));
  const scale = (v: number): number => ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * PLOT_W;
  const body: string[] = [];
  let y = TOP;
  for (const g of gs) {
    const h = g.cells.length * (BAR_H + BAR_GAP);
    body.push(
      `<text x="${LABEL_W}" y="${(y + h / 2 + 4).toFixed(1)}" text-anchor="end" class="gl">${xmlEscape(g.label)}</text>`,
    );
    for (const c of g.cells) {
      const w = Math.max(1, scale(c.opsPerSec));
      body.push(
        `<rect x="${PLOT_X}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${ENGINE_COLORS[c.engine]}">` +
          `<title>${xmlEscape(`${ENGINE_NAMES[c.engine]}: ${Math.round(c.opsPerSec)} ${rateUnit(c)}`)}</title></rect>`,
        `<text x="${(PLOT_X + w + 4).toFixed(1)}" y="${y + BAR_H - 2}" class="v">${fmtRate(c.opsPerSec)}</text>`,
      );
      y += BAR_H + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  const height = y + 30;
  const engines = ENGINE_IDS.filter((e) => r.results.some((c) => c.engine === e && !c.error));
  const m = r.machine;
  const sub = `${r.mode} mode · ${r.startedAt.slice(0, 10)} · ${m.gitCommit.slice(0, 10)} · ${m.cpuModel}, ${m.cores} cores · Node ${m.node}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    '<style>text{font-family:Helvetica,Arial,sans-serif}.t{font-size:16px;font-weight:bold}.s{font-size:11px;fill:#495057}' +
      '.ax{font-size:10px;fill:#868e96}.lg{font-size:12px}.gl{font-size:11px}.v{font-size:9px;fill:#343a40}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    '<text x="16" y="24" class="t">ShaleDB side-by-side benchmark: throughput (log scale, higher is better)</text>',
    `<text x="16" y="42" class="s">${xmlEscape(sub)}</text>`,
    ...legend(engines),
    ...axis(lo, hi, height),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
