/**
 * Metrics tests: the in-memory recorder (registration identity, counters that never go down, histogram buckets,
 * sorted snapshots), the tee, the Prometheus text exposition (exact output, escaping, cumulative buckets) and the
 * OpenTelemetry bridge (against a recording fake meter, with and without createGauge).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DefaultMetricsRecorder, findMetric, labels, teeMetricsRecorder } from './metrics.js';
import { type OtelMeterLike, openTelemetryRecorder } from './metrics-otel.js';
import { prometheusName, toPrometheusText } from './metrics-prometheus.js';

test('the default recorder keeps one instrument per name and labels, and snapshots them sorted', () => {
  const r = new DefaultMetricsRecorder();
  const a = r.registerCounter('slatedb.db.request_count', 'reqs', labels({ op: 'get' }));
  const b = r.registerCounter('slatedb.db.request_count', 'reqs', labels({ op: 'scan' }));
  const a2 = r.registerCounter('slatedb.db.request_count', 'reqs', labels({ op: 'get' }));
  assert.equal(a, a2);
  a.increment(2);
  a2.increment(3);
  a.increment(-5); // counters never go down
  b.increment(1);
  const g = r.registerGauge('slatedb.db.l0_sst_count', 'l0', []);
  g.set(7);
  g.set(4);
  const u = r.registerUpDownCounter('slatedb.compactor.running_compactions', 'running', []);
  u.increment(2);
  u.increment(-1);
  const h = r.registerHistogram('x.seconds', 'lat', labels({ z: '1', a: '2' }), [0.1, 1]);
  for (const v of [0.05, 0.1, 0.5, 3]) h.record(v);
  const s = r.snapshot();
  assert.deepEqual(
    s.map((m) => m.name),
    [
      'slatedb.compactor.running_compactions',
      'slatedb.db.l0_sst_count',
      'slatedb.db.request_count',
      'slatedb.db.request_count',
      'x.seconds',
    ],
  );
  assert.equal(findMetric(s, 'slatedb.db.request_count', { op: 'get' })?.value, 5);
  assert.equal(findMetric(s, 'slatedb.db.request_count', { op: 'scan' })?.value, 1);
  assert.equal(findMetric(s, 'slatedb.db.l0_sst_count')?.value, 4);
  assert.equal(findMetric(s, 'slatedb.compactor.running_compactions')?.value, 1);
  const hist = findMetric(s, 'x.seconds', { a: '2', z: '1' });
  assert.equal(hist?.kind, 'histogram');
  assert.deepEqual(hist?.labels, [
    { key: 'a', value: '2' },
    { key: 'z', value: '1' },
  ]);
  if (hist?.kind === 'histogram') {
    assert.deepEqual(hist.value.bucketCounts, [2, 1, 1]);
    assert.equal(hist.value.count, 4);
    assert.equal(hist.value.sum, 3.65);
    assert.equal(hist.value.min, 0.05);
    assert.equal(hist.value.max, 3);
  }
  assert.throws(() => r.registerGauge('slatedb.db.request_count', 'x', labels({ op: 'get' })));
});

test('the tee feeds both recorders', () => {
  const a = new DefaultMetricsRecorder();
  const b = new DefaultMetricsRecorder();
  const t = teeMetricsRecorder(a, b);
  t.registerCounter('c', '', []).increment(3);
  t.registerGauge('g', '', []).set(9);
  t.registerHistogram('h', '', [], [1]).record(0.5);
  for (const r of [a, b]) {
    assert.equal(findMetric(r.snapshot(), 'c')?.value, 3);
    assert.equal(findMetric(r.snapshot(), 'g')?.value, 9);
  }
});

test('Prometheus text exposition', () => {
  const r = new DefaultMetricsRecorder();
  r.registerCounter('slatedb.db.request_count', 'Database requests', labels({ op: 'get' })).increment(3);
  r.registerCounter('slatedb.db.request_count', 'Database requests', labels({ op: 'scan' })).increment(1);
  r.registerGauge('slatedb.db.l0_sst_count', 'L0 SSTs\nin the manifest', []).set(2);
  const h = r.registerHistogram(
    'slatedb.object_store.request_duration_seconds',
    'Latency',
    labels({ api: 'get "x"' }),
    [0.01, 0.1],
  );
  h.record(0.005);
  h.record(0.05);
  h.record(0.5);
  assert.equal(
    toPrometheusText(r.snapshot()),
    [
      '# HELP slatedb_db_l0_sst_count L0 SSTs\\nin the manifest',
      '# TYPE slatedb_db_l0_sst_count gauge',
      'slatedb_db_l0_sst_count 2',
      '# HELP slatedb_db_request_count Database requests',
      '# TYPE slatedb_db_request_count counter',
      'slatedb_db_request_count{op="get"} 3',
      'slatedb_db_request_count{op="scan"} 1',
      '# HELP slatedb_object_store_request_duration_seconds Latency',
      '# TYPE slatedb_object_store_request_duration_seconds histogram',
      'slatedb_object_store_request_duration_seconds_bucket{api="get \\"x\\"",le="0.01"} 1',
      'slatedb_object_store_request_duration_seconds_bucket{api="get \\"x\\"",le="0.1"} 2',
      'slatedb_object_store_request_duration_seconds_bucket{api="get \\"x\\"",le="+Inf"} 3',
      'slatedb_object_store_request_duration_seconds_sum{api="get \\"x\\""} 0.555',
      'slatedb_object_store_request_duration_seconds_count{api="get \\"x\\""} 3',
      '',
    ].join('\n'),
  );
  assert.equal(prometheusName('slatedb.db_cache.access_count'), 'slatedb_db_cache_access_count');
  assert.equal(prometheusName('9x-y'), '_9x_y');
});

function fakeMeter(withGauge: boolean): { meter: OtelMeterLike; log: string[]; observe: () => void } {
  const log: string[] = [];
  const callbacks: ((r: { observe(v: number, a?: Record<string, string>): void }) => void)[] = [];
  const meter: OtelMeterLike = {
    createCounter: (n) => ({ add: (v, a) => log.push(`counter ${n} +${v} ${JSON.stringify(a)}`) }),
    createUpDownCounter: (n) => ({ add: (v, a) => log.push(`updown ${n} ${v} ${JSON.stringify(a)}`) }),
    createHistogram: (n, o) => ({
      record: (v, a) =>
        log.push(
          `hist ${n} ${v} ${JSON.stringify(a)} ${JSON.stringify(o?.advice?.explicitBucketBoundaries)}`,
        ),
    }),
    createObservableGauge: (n) => ({
      addCallback: (cb) => {
        log.push(`observable ${n}`);
        callbacks.push(cb);
      },
    }),
  };
  if (withGauge)
    meter.createGauge = (n) => ({ record: (v, a) => log.push(`gauge ${n} ${v} ${JSON.stringify(a)}`) });
  const observe = (): void => {
    for (const cb of callbacks) cb({ observe: (v, a) => log.push(`observed ${v} ${JSON.stringify(a)}`) });
  };
  return { meter, log, observe };
}

test('OpenTelemetry bridge forwards every kind with labels as attributes', () => {
  const { meter, log } = fakeMeter(true);
  const r = openTelemetryRecorder(meter);
  r.registerCounter('slatedb.db.write_ops', 'ops', []).increment(4);
  r.registerUpDownCounter('slatedb.compactor.running_compactions', 'r', []).increment(-1);
  r.registerHistogram('h', 'd', labels({ api: 'get' }), [0.1]).record(0.2);
  r.registerGauge('slatedb.db.l0_sst_count', 'l0', labels({ a: 'b' })).set(3);
  assert.deepEqual(log, [
    'counter slatedb.db.write_ops +4 {}',
    'updown slatedb.compactor.running_compactions -1 {}',
    'hist h 0.2 {"api":"get"} [0.1]',
    'gauge slatedb.db.l0_sst_count 3 {"a":"b"}',
  ]);
  const old = fakeMeter(false);
  const r2 = openTelemetryRecorder(old.meter);
  r2.registerGauge('g', '', labels({ k: '1' })).set(5);
  r2.registerGauge('g', '', labels({ k: '2' })).set(6);
  old.observe();
  assert.deepEqual(old.log, ['observable g', 'observed 5 {"k":"1"}', 'observed 6 {"k":"2"}']);
});
