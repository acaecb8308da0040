/**
 * Progress: the live display of a benchmark run on stderr. On a terminal it redraws one status line (cell,
 * phase, operations, rate, elapsed time against the phase's cap, run ETA) at most ten times a second; elsewhere it
 * prints one line when a cell starts and one when it ends, so logs stay short.
 *
 * Invariants: never writes to stdout (stdout carries the report); `tick` is cheap enough to call per operation.
 * Concurrency: single event loop.
 */
import { nowMs } from './timer.js';

/** Where progress goes and how. */
export interface ProgressOptions {
  /** false: print nothing. */
  readonly enabled: boolean;
  /** Redraw a status line (terminal) rather than print lines. */
  readonly tty: boolean;
  readonly write: (text: string) => void;
}

const REDRAW_MS = 100;

/** The progress display of one run. */
export class Progress {
  readonly #opts: ProgressOptions;
  readonly #runStartMs = nowMs();
  #cellsTotal = 0;
  #cellsDone = 0;
  #cell = '';
  #phase = '';
  #phaseStartMs = 0;
  #phaseCapMs: number | undefined;
  #ops = 0;
  #lastDrawMs = 0;
  #lineOpen = false;

  constructor(opts: ProgressOptions) {
    this.#opts = opts;
  }

  /** Declares how many cells the run has (for the ETA). */
  setTotal(cells: number): void {
    this.#cellsTotal = cells;
  }

  /** Starts a cell (one workload on one engine and value size). */
  startCell(label: string): void {
    this.#cell = label;
    this.#phase = '';
    this.#ops = 0;
    if (!this.#opts.tty) this.#line(`[${this.#cellsDone + 1}/${this.#cellsTotal}] ${label}`);
    this.#draw(true);
  }

  /** Starts a phase of the current cell; `capMs` is its time budget, when it has one. */
  phase(name: string, capMs?: number): void {
    this.#phase = name;
    this.#phaseStartMs = nowMs();
    this.#phaseCapMs = capMs;
    this.#ops = 0;
    this.#draw(true);
  }

  /** Reports the operations done so far in the current phase. */
  tick(ops: number): void {
    this.#ops = ops;
    if (this.#opts.tty && this.#opts.enabled) {
      const t = nowMs();
      if (t - this.#lastDrawMs >= REDRAW_MS) this.#draw(false, t);
    }
  }

  /** Ends the current cell with a one-line summary. */
  endCell(summary: string): void {
    this.#cellsDone++;
    const cell = this.#cell;
    this.#cell = '';
    this.#line(`  ${cell}: ${summary}`);
  }

  /** Prints a line (above the status line on a terminal). */
  log(text: string): void {
    this.#line(text);
  }

  /** Clears the status line at the end of the run. */
  finish(): void {
    this.#clear();
  }

  /** Milliseconds since the run started. */
  elapsedMs(): number {
    return nowMs() - this.#runStartMs;
  }

  #line(text: string): void {
    if (!this.#opts.enabled) return;
    this.#clear();
    this.#opts.write(`${text}\n`);
    this.#draw(true);
  }

  #clear(): void {
    if (this.#lineOpen) {
      this.#opts.write('\r\x1b[2K');
      this.#lineOpen = false;
    }
  }

  #draw(force: boolean, t = nowMs()): void {
    if (!this.#opts.enabled || !this.#opts.tty || this.#cell === '') return;
    if (!force && t - this.#lastDrawMs < REDRAW_MS) return;
    this.#lastDrawMs = t;
    const phaseMs = t - this.#phaseStartMs;
    const rate = phaseMs > 0 ? (this.#ops * 1000) / phaseMs : 0;
    const cap = this.#phaseCapMs === undefined ? '' : `/${fmtSec(this.#phaseCapMs)}`;
    const run = this.elapsedMs();
    const eta =
      this.#cellsDone > 0 && this.#cellsTotal > this.#cellsDone
        ? ` eta ${fmtSec((run / this.#cellsDone) * (this.#cellsTotal - this.#cellsDone))}`
        : '';
    const text =
      `[${this.#cellsDone + 1}/${this.#cellsTotal}] ${this.#cell} ${this.#phase} ` +
      `${this.#ops} ops ${fmtRate(rate)}/s ${fmtSec(phaseMs)}${cap} | run ${fmtSec(run)}${eta}`;
    const width = process.stderr.columns || 120;
    this.#opts.write(`\r\x1b[2K${text.slice(0, Math.max(20, width - 1))}`);
    this.#lineOpen = true;
  }
}

function fmtSec(ms: number): string {
  return ms >= 60_000
    ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
    : `${(ms / 1000).toFixed(1)}s`;
}

/** Formats an operation rate compactly: 950, 12.3k, 1.05M. */
export function fmtRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M`;
  if (r >= 1e4) return `${(r / 1e3).toFixed(1)}k`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(2)}k`;
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}
