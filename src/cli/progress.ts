/**
 * A one-line progress indicator for long commands (scan --count, garbage collection, compaction), drawn on stderr
 * only when stdout and stderr are terminals, so piped and JSON output never carry it.
 *
 * Invariants: redraws at most every 100 ms; `done()` erases the line; with no total it shows a count and a
 * spinner, with a total a bar and a percentage.
 * Concurrency: one bar per command.
 */
import type { CliIo } from './io.js';

/** A progress line. */
export interface Progress {
  /** Sets the current count (and total, once known). */
  update(current: number, total?: number): void;
  /** Erases the line. */
  done(): void;
}

const NONE: Progress = { update: () => {}, done: () => {} };
const SPIN = '|/-\\';

/** A progress line labelled `label` on `io.err`, or one that draws nothing when not on a terminal. */
export function progress(io: CliIo, label: string, unit = ''): Progress {
  if (!io.isTTY) return NONE;
  let last = 0;
  let frame = 0;
  let total: number | undefined;
  let drawn = false;
  const width = Math.max(10, Math.min(40, io.columns - label.length - 30));
  const draw = (current: number) => {
    const suffix = unit === '' ? '' : ` ${unit}`;
    let line: string;
    if (total !== undefined && total > 0) {
      const f = Math.min(1, current / total);
      const full = Math.round(f * width);
      line = `${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${current}/${total}${suffix} ${Math.floor(f * 100)}%`;
    } else {
      line = `${label} ${SPIN[frame++ % SPIN.length]} ${current}${suffix}`;
    }
    io.err(`\r${line}\x1b[K`);
    drawn = true;
  };
  return {
    update(current, t) {
      if (t !== undefined) total = t;
      const now = Date.now();
      if (now - last < 100 && !(total !== undefined && current >= total)) return;
      last = now;
      draw(current);
    },
    done() {
      if (drawn) io.err('\r\x1b[K');
    },
  };
}
