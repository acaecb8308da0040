/**
 * Prometheus text exposition (format 0.0.4) of a metrics snapshot: `slatedb.db.write_ops` becomes
 * `slatedb_db_write_ops` (Prometheus names cannot hold '.'), counters are `counter`, gauges and up-down counters
 * `gauge`, histograms `histogram` with cumulative `_bucket{le=...}` series, `_sum` and `_count`.
 *
 * Invariants: one `# HELP` and one `# TYPE` line per metric name, before all its series; label values and help
 * text are escaped as the format requires; the output ends with a newline.
 * Concurrency: pure.
 */
import type { Metric, MetricLabel } from './metrics.js';

/** The Prometheus name of a dotted metric name. */
export function prometheusName(name: string): string {
  const n = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelText(labels: readonly MetricLabel[], extra?: MetricLabel): string {
  const all = extra === undefined ? labels : [...labels, extra];
  if (all.length === 0) return '';
  return `{${all.map((l) => `${prometheusName(l.key)}="${escapeLabel(l.value)}"`).join(',')}}`;
}

function num(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return Number.isNaN(v) ? 'NaN' : String(v);
}

const TYPE: Record<Metric['kind'], string> = {
  counter: 'counter',
  gauge: 'gauge',
  upDownCounter: 'gauge',
  histogram: 'histogram',
};

/** Renders metrics in the Prometheus text format. */
export function toPrometheusText(metrics: readonly Metric[]): string {
  const byName = new Map<string, Metric[]>();
  for (const m of metrics) {
    const list = byName.get(m.name);
    if (list === undefined) byName.set(m.name, [m]);
    else list.push(m);
  }
  const lines: string[] = [];
  for (const [name, list] of byName) {
    const p = prometheusName(name);
    const first = list[0]!;
    lines.push(`# HELP ${p} ${escapeHelp(first.description || name)}`);
    lines.push(`# TYPE ${p} ${TYPE[first.kind]}`);
    for (const m of list) {
      if (m.kind !== 'histogram') {
        lines.push(`${p}${labelText(m.labels)} ${num(m.value)}`);
        continue;
      }
      const h = m.value;
      let cumulative = 0;
      for (let i = 0; i < h.boundaries.length; i++) {
        cumulative += h.bucketCounts[i]!;
        lines.push(
          `${p}_bucket${labelText(m.labels, { key: 'le', value: num(h.boundaries[i]!) })} ${cumulative}`,
        );
      }
      lines.push(`${p}_bucket${labelText(m.labels, { key: 'le', value: '+Inf' })} ${h.count}`);
      lines.push(`${p}_sum${labelText(m.labels)} ${num(h.sum)}`);
      lines.push(`${p}_count${labelText(m.labels)} ${h.count}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
