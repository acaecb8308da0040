/**
 * OpenTelemetry bridge: a MetricsRecorder that forwards to an OpenTelemetry `Meter` (from `@opentelemetry/api`'s
 * `metrics.getMeter(...)`), typed structurally so ShaleDB does not depend on the OpenTelemetry packages. Counters
 * map to `createCounter`, up-down counters to `createUpDownCounter`, histograms to `createHistogram` (with the
 * bucket boundaries as advice), gauges to `createGauge` when the meter has it, else to an observable gauge that
 * reports the last value set. Labels become attributes; names keep SlateDB's dotted form (OpenTelemetry allows '.').
 *
 * Invariants: each register call creates at most one OpenTelemetry instrument per name (shared by label sets).
 * Concurrency: as the meter.
 */
import type { Counter, Gauge, Histogram, MetricLabel, MetricsRecorder, UpDownCounter } from './metrics.js';

type Attributes = Record<string, string>;

/** The part of an OpenTelemetry `Meter` the bridge uses. */
export interface OtelMeterLike {
  createCounter(name: string, options?: { description?: string }): { add(v: number, a?: Attributes): void };
  createUpDownCounter(
    name: string,
    options?: { description?: string },
  ): { add(v: number, a?: Attributes): void };
  createHistogram(
    name: string,
    options?: { description?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): { record(v: number, a?: Attributes): void };
  createGauge?(name: string, options?: { description?: string }): { record(v: number, a?: Attributes): void };
  createObservableGauge(
    name: string,
    options?: { description?: string },
  ): {
    addCallback(cb: (result: { observe(v: number, a?: Attributes): void }) => void): void;
  };
}

function attrs(labels: readonly MetricLabel[]): Attributes {
  const a: Attributes = {};
  for (const l of labels) a[l.key] = l.value;
  return a;
}

/** A recorder that publishes to an OpenTelemetry meter. */
export function openTelemetryRecorder(meter: OtelMeterLike): MetricsRecorder {
  const instruments = new Map<string, unknown>();
  function once<T>(key: string, make: () => T): T {
    let i = instruments.get(key) as T | undefined;
    if (i === undefined) {
      i = make();
      instruments.set(key, i);
    }
    return i;
  }
  const gaugeValues = new Map<string, Map<string, { a: Attributes; v: number }>>();
  return {
    registerCounter(name, description, labels): Counter {
      const c = once(`c:${name}`, () => meter.createCounter(name, { description }));
      const a = attrs(labels);
      return { increment: (v) => c.add(v, a) };
    },
    registerUpDownCounter(name, description, labels): UpDownCounter {
      const c = once(`u:${name}`, () => meter.createUpDownCounter(name, { description }));
      const a = attrs(labels);
      return { increment: (v) => c.add(v, a) };
    },
    registerHistogram(name, description, labels, boundaries): Histogram {
      const h = once(`h:${name}`, () =>
        meter.createHistogram(name, { description, advice: { explicitBucketBoundaries: [...boundaries] } }),
      );
      const a = attrs(labels);
      return { record: (v) => h.record(v, a) };
    },
    registerGauge(name, description, labels): Gauge {
      const a = attrs(labels);
      if (meter.createGauge !== undefined) {
        const create = meter.createGauge.bind(meter);
        const g = once(`g:${name}`, () => create(name, { description }));
        return { set: (v) => g.record(v, a) };
      }
      let values = gaugeValues.get(name);
      if (values === undefined) {
        const vs = new Map<string, { a: Attributes; v: number }>();
        values = vs;
        gaugeValues.set(name, vs);
        meter.createObservableGauge(name, { description }).addCallback((r) => {
          for (const { a: at, v } of vs.values()) r.observe(v, at);
        });
      }
      const key = JSON.stringify(a);
      const cell = { a, v: 0 };
      values.set(key, cell);
      return {
        set: (v) => {
          cell.v = v;
        },
      };
    },
  };
}
