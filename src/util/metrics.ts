/**
 * Metrics: the recorder interface ShaleDB publishes its metrics through (modelled on SlateDB 0.12.1's
 * `MetricsRecorder`: counters, gauges, up-down counters and histograms, each registered once with a dotted name,
 * a description and a label set), the in-memory default recorder behind `db.metrics()`, a no-op recorder, and a
 * tee that feeds two recorders. Metric names are SlateDB's (`slatedb.db.write_ops`, ...), listed in metric-names.ts.
 *
 * Invariants: registering the same (name, labels) twice in one recorder returns the same instrument; a snapshot
 * lists each instrument once, sorted by name then labels; counters never decrease; label sets are sorted by key.
 * Concurrency: single event loop; recording is synchronous and cheap (a field update).
 */

/** A label: key and value. */
export interface MetricLabel {
  readonly key: string;
  readonly value: string;
}

/** A monotonic counter. */
export interface Counter {
  increment(value: number): void;
}

/** A gauge: the last value set. */
export interface Gauge {
  set(value: number): void;
}

/** A counter that can go down. */
export interface UpDownCounter {
  increment(value: number): void;
}

/** A histogram with fixed bucket boundaries. */
export interface Histogram {
  record(value: number): void;
}

/** Where metrics go (0.12.1 `MetricsRecorder`). Implement it to bridge to another system. */
export interface MetricsRecorder {
  registerCounter(name: string, description: string, labels: readonly MetricLabel[]): Counter;
  registerGauge(name: string, description: string, labels: readonly MetricLabel[]): Gauge;
  registerUpDownCounter(name: string, description: string, labels: readonly MetricLabel[]): UpDownCounter;
  registerHistogram(
    name: string,
    description: string,
    labels: readonly MetricLabel[],
    boundaries: readonly number[],
  ): Histogram;
}

/** Latency boundaries in seconds (0.12.1 `LATENCY_BOUNDARIES`). */
export const LATENCY_BOUNDARIES: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/** A histogram's state in a snapshot. */
export interface HistogramValue {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly boundaries: readonly number[];
  /** Observations per bucket: `bucketCounts[i]` counts values <= boundaries[i] (and > the previous boundary); the last counts the rest. */
  readonly bucketCounts: readonly number[];
}

/** One metric in a snapshot. */
export type Metric = {
  readonly name: string;
  readonly description: string;
  readonly labels: readonly MetricLabel[];
} & (
  | { readonly kind: 'counter'; readonly value: number }
  | { readonly kind: 'gauge'; readonly value: number }
  | { readonly kind: 'upDownCounter'; readonly value: number }
  | { readonly kind: 'histogram'; readonly value: HistogramValue }
);

/** The value of the metric with this name and these labels (all of them), or undefined. */
export function findMetric(
  metrics: readonly Metric[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Metric | undefined {
  const want = Object.entries(labels);
  return metrics.find(
    (m) =>
      m.name === name &&
      m.labels.length === want.length &&
      want.every(([k, v]) => m.labels.some((l) => l.key === k && l.value === v)),
  );
}

function sortedLabels(labels: readonly MetricLabel[]): MetricLabel[] {
  return [...labels].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function idOf(name: string, labels: readonly MetricLabel[]): string {
  return `${name}{${labels.map((l) => `${l.key}=${JSON.stringify(l.value)}`).join(',')}}`;
}

class CounterCell implements Counter, UpDownCounter, Gauge {
  value = 0;
  constructor(readonly monotonic: boolean) {}
  increment(v: number): void {
    if (this.monotonic && !(v >= 0)) return;
    this.value += v;
  }
  set(v: number): void {
    this.value = v;
  }
}

class HistogramCell implements Histogram {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly buckets: number[];
  constructor(readonly boundaries: readonly number[]) {
    this.buckets = new Array<number>(boundaries.length + 1).fill(0);
  }
  record(v: number): void {
    if (Number.isNaN(v)) return;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    let i = 0;
    while (i < this.boundaries.length && v > this.boundaries[i]!) i++;
    this.buckets[i]!++;
  }
}

interface Entry {
  readonly name: string;
  readonly description: string;
  readonly labels: readonly MetricLabel[];
  readonly kind: Metric['kind'];
  readonly cell: CounterCell | HistogramCell;
}

/** The in-memory recorder (0.12.1 `DefaultMetricsRecorder`): keeps every value for `snapshot()`. */
export class DefaultMetricsRecorder implements MetricsRecorder {
  readonly #entries = new Map<string, Entry>();

  #register(
    kind: Metric['kind'],
    name: string,
    description: string,
    labels: readonly MetricLabel[],
    make: () => CounterCell | HistogramCell,
  ): CounterCell | HistogramCell {
    const sorted = sortedLabels(labels);
    const id = idOf(name, sorted);
    const found = this.#entries.get(id);
    if (found !== undefined) {
      if (found.kind !== kind) throw new Error(`metric ${id} registered as ${found.kind} and ${kind}`);
      return found.cell;
    }
    const cell = make();
    this.#entries.set(id, { name, description, labels: sorted, kind, cell });
    return cell;
  }

  registerCounter(name: string, description: string, labels: readonly MetricLabel[]): Counter {
    return this.#register('counter', name, description, labels, () => new CounterCell(true)) as CounterCell;
  }

  registerGauge(name: string, description: string, labels: readonly MetricLabel[]): Gauge {
    return this.#register('gauge', name, description, labels, () => new CounterCell(false)) as CounterCell;
  }

  registerUpDownCounter(name: string, description: string, labels: readonly MetricLabel[]): UpDownCounter {
    return this.#register(
      'upDownCounter',
      name,
      description,
      labels,
      () => new CounterCell(false),
    ) as CounterCell;
  }

  registerHistogram(
    name: string,
    description: string,
    labels: readonly MetricLabel[],
    boundaries: readonly number[],
  ): Histogram {
    return this.#register(
      'histogram',
      name,
      description,
      labels,
      () => new HistogramCell([...boundaries]),
    ) as HistogramCell;
  }

  /** Every registered metric with its current value, sorted by name, then labels. */
  snapshot(): Metric[] {
    const out: Metric[] = [];
    for (const [, e] of [...this.#entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const base = { name: e.name, description: e.description, labels: e.labels };
      if (e.cell instanceof HistogramCell) {
        const h = e.cell;
        out.push({
          ...base,
          kind: 'histogram',
          value: {
            count: h.count,
            sum: h.sum,
            min: h.count === 0 ? 0 : h.min,
            max: h.count === 0 ? 0 : h.max,
            boundaries: h.boundaries,
            bucketCounts: [...h.buckets],
          },
        });
      } else {
        out.push({ ...base, kind: e.kind as 'counter', value: e.cell.value });
      }
    }
    return out;
  }
}

const NOOP = {
  increment(): void {},
  set(): void {},
  record(): void {},
};

/** A recorder that drops everything. */
export const noopMetricsRecorder: MetricsRecorder = {
  registerCounter: () => NOOP,
  registerGauge: () => NOOP,
  registerUpDownCounter: () => NOOP,
  registerHistogram: () => NOOP,
};

/** A recorder that feeds both `a` and `b` (the database's own recorder and a user's). */
export function teeMetricsRecorder(a: MetricsRecorder, b: MetricsRecorder): MetricsRecorder {
  return {
    registerCounter: (n, d, l) => {
      const x = a.registerCounter(n, d, l);
      const y = b.registerCounter(n, d, l);
      return {
        increment: (v) => {
          x.increment(v);
          y.increment(v);
        },
      };
    },
    registerGauge: (n, d, l) => {
      const x = a.registerGauge(n, d, l);
      const y = b.registerGauge(n, d, l);
      return {
        set: (v) => {
          x.set(v);
          y.set(v);
        },
      };
    },
    registerUpDownCounter: (n, d, l) => {
      const x = a.registerUpDownCounter(n, d, l);
      const y = b.registerUpDownCounter(n, d, l);
      return {
        increment: (v) => {
          x.increment(v);
          y.increment(v);
        },
      };
    },
    registerHistogram: (n, d, l, bounds) => {
      const x = a.registerHistogram(n, d, l, bounds);
      const y = b.registerHistogram(n, d, l, bounds);
      return {
        record: (v) => {
          x.record(v);
          y.record(v);
        },
      };
    },
  };
}

/** Shorthand: labels from an object. */
export function labels(o: Readonly<Record<string, string>>): MetricLabel[] {
  return Object.entries(o).map(([key, value]) => ({ key, value }));
}
