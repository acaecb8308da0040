/**
 * The object-store requests section (workload 7): for each phase of each object-store engine, the requests issued
 * while it ran (foreground and background), by API, per 1 000 operations, with the S3 billing classes summed:
 * write-class (PUT, POST, LIST, multipart calls) and read-class (GET, HEAD).
 *
 * Invariants: only cells that carry request counts appear; rates divide by the cell's counted units.
 * Concurrency: pure.
 */
import { ENGINE_NAMES, fmtSig, sortCells, valueLabel } from './format.js';
import type { BenchReport, CellResult } from './result.js';

/** S3 billing class of an API name (ShaleDB's or SlateDB's). */
export function requestClass(api: string): 'write' | 'read' | 'free' {
  if (api === 'delete') return 'free';
  if (api.startsWith('get') || api === 'head') return 'read';
  return 'write';
}

function per1k(n: number, c: CellResult): string {
  return c.ops <= 0 ? '–' : fmtSig((n * 1000) / c.ops);
}

/** Renders the section (empty when no cell counted requests). */
export function requestsSection(r: BenchReport): string[] {
  const cells = sortCells(
    r.results.filter((c) => c.requests !== undefined && !c.error && c.workload !== 's3'),
  );
  if (cells.length === 0) return [];
  const apis = [...new Set(cells.flatMap((c) => Object.keys(c.requests ?? {})))].sort();
  const head = ['workload', 'phase', 'value', 'engine', 'write-class', 'read-class', ...apis];
  const rows = cells.map((c) => {
    const q = c.requests ?? {};
    let write = 0;
    let read = 0;
    for (const [api, n] of Object.entries(q)) {
      const k = requestClass(api);
      if (k === 'write') write += n;
      else if (k === 'read') read += n;
    }
    return [
      c.workload,
      c.phase,
      valueLabel(c.valueBytes),
      ENGINE_NAMES[c.engine],
      per1k(write, c),
      per1k(read, c),
      ...apis.map((a) => (q[a] === undefined ? '0' : per1k(q[a], c))),
    ];
  });
  const sep = ['---', '---', '---:', '---', ...head.slice(4).map(() => '---:')].join(' | ');
  return [
    '## 7. Object-store requests per 1 000 operations (keys for batches, rows for full scans)',
    '',
    'Requests issued while the phase ran, foreground and background (WAL and L0 uploads, compaction, manifest ' +
      "polls). ShaleDB counts through the object-store layer's CountingObjectStore; SlateDB through its metrics " +
      'recorder (`slatedb.object_store.request_count`; it does not count LIST).',
    '',
    `| ${head.join(' | ')} |`,
    `| ${sep} |`,
    ...rows.map((x) => `| ${x.join(' | ')} |`),
    '',
  ];
}
