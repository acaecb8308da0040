/**
 * The admin JSON serializers against serde's rules for SlateDB 0.12.1's structs (field names and order from the
 * Rust sources, serde_json's encodings): a hand-built manifest, compactions file, checkpoint list and file listing
 * are written exactly as `slatedb` would print them; the JSON text writer matches JSON.stringify where both apply
 * and keeps i64/u64 exact; chrono's two time forms.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Compactions } from '../format/compactions.js';
import { type CompactedSsTable, I64_MIN, type Manifest, newManifest } from '../format/manifest.js';
import { SequenceTracker } from '../format/sequence-tracker.js';
import type { SsTableInfo } from '../format/sst-info.js';
import { Ulid, Uuid } from '../util/ids.js';
import {
  checkpointCreateResultText,
  checkpointCreateResultToJson,
  checkpointsToJson,
  compactionsToJson,
  compactionToJson,
  manifestToJson,
  versionFilesToJson,
} from './admin-json.js';
import { chronoRfc3339, serdeTime, stringifyJson } from './json-text.js';

const A = Ulid.parse('01ARZ3NDEKTSV4RRFFQ69G5FAV');
const B = Ulid.parse('01BX5ZZKBKACTAV9WEVGEMMVRZ');
const V = Ulid.parse('01BX5ZZKBKACTAV9WEVGEMMVS0');
const U = Uuid.parse('01740ee5-6459-44af-9a45-85deb6e468e3');

const INFO: SsTableInfo = {
  firstEntry: new Uint8Array([97]),
  lastEntry: new Uint8Array([122]),
  indexOffset: 100,
  indexLen: 20,
  filterOffset: 90,
  filterLen: 10,
  compressionCodec: 'lz4',
  sstType: 'compacted',
  statsOffset: 0,
  statsLen: 0,
};
const INFO_JSON =
  '{"first_entry":[97],"last_entry":[122],"index_offset":100,"index_len":20,"filter_offset":90,"filter_len":10,' +
  '"compression_codec":"Lz4","sst_type":"Compacted","stats_offset":0,"stats_len":0}';
const INFO_PLAIN_JSON = INFO_JSON.replace('"Lz4"', 'null');

const L0: CompactedSsTable = { id: A, info: INFO, formatVersion: 2 };
const PROJECTED: CompactedSsTable = {
  id: B,
  viewId: V,
  info: { ...INFO, compressionCodec: 'none' },
  formatVersion: 2,
  visibleRange: {
    start: { type: 'included', key: new Uint8Array([98]) },
    end: { type: 'excluded', key: new Uint8Array([121]) },
  },
};

test('manifestToJson writes [id, Manifest] with serde field names, order and encodings', () => {
  const tracker = new SequenceTracker();
  tracker.insert(5n, 1_800_000_000n);
  const m: Manifest = {
    ...newManifest(),
    externalDbs: [{ path: 'parent', sourceCheckpointId: U, finalCheckpointId: undefined, sstIds: [A] }],
    writerEpoch: 3,
    compactorEpoch: 2,
    replayAfterWalId: 4,
    walIdLastSeen: 6,
    l0LastCompacted: A,
    l0: [L0],
    compacted: [{ id: 1, ssts: [PROJECTED] }],
    lastL0ClockTick: 1_800_000_000_123n,
    lastL0Seq: 9,
    recentSnapshotMinSeq: 7,
    checkpoints: [{ id: U, manifestId: 8, expireTimeS: 0, createTimeS: 1_800_000_000, name: 'n' }],
    sequenceTracker: tracker.toBytes(),
  };
  const view =
    `{"id":"${A}","sst":{"id":{"Compacted":"${A}"},"format_version":2,"info":${INFO_JSON}},"visible_range":null,` +
    '"effective_range":{"start":{"Included":[97]},"end":{"Included":[122]}}}';
  const projected =
    `{"id":"${V}","sst":{"id":{"Compacted":"${B}"},"format_version":2,"info":${INFO_PLAIN_JSON}},` +
    '"visible_range":{"start":{"Included":[98]},"end":{"Excluded":[121]}},' +
    '"effective_range":{"start":{"Included":[98]},"end":{"Excluded":[121]}}}';
  const expected =
    `[12,{"external_dbs":[{"path":"parent","source_checkpoint_id":"${U}","final_checkpoint_id":null,` +
    `"sst_ids":[{"Compacted":"${A}"}]}],` +
    `"core":{"initialized":true,"last_compacted_l0_sst_view_id":"${A}","last_compacted_l0_sst_id":"${A}",` +
    `"l0":[${view}],"compacted":[{"id":1,"sst_views":[${projected}]}],` +
    '"next_wal_sst_id":7,"replay_after_wal_id":4,"last_l0_clock_tick":1800000000123,"last_l0_seq":9,' +
    `"recent_snapshot_min_seq":7,"sequence_tracker":[${Array.from(tracker.toBytes()).join(',')}],` +
    `"checkpoints":[{"id":"${U}","manifest_id":8,"expire_time":null,"create_time":"2027-01-15T08:00:00Z",` +
    '"name":"n"}],"wal_object_store_uri":null},"writer_epoch":3,"compactor_epoch":2}]';
  assert.equal(manifestToJson({ id: 12n, manifest: m }), expected);
  // Pretty output is the same value, indented as serde_json's pretty printer does.
  const pretty = manifestToJson({ id: 12n, manifest: m }, 2);
  assert.deepEqual(JSON.parse(pretty), JSON.parse(expected));
  assert.match(pretty, /^\[\n {2}12,\n {2}\{\n {4}"external_dbs": \[/);
});

test('a new database: i64::MIN clock tick exact, empty tracker bytes, V2 view id without an SST id', () => {
  const m = { ...newManifest(), l0LastCompacted: undefined, l0LastCompactedViewId: V };
  const json = manifestToJson({ id: 1n, manifest: m });
  assert.ok(json.includes(`"last_l0_clock_tick":${I64_MIN}`));
  assert.ok(json.includes('"last_l0_clock_tick":-9223372036854775808,'));
  assert.ok(json.includes('"sequence_tracker":[1,0,0,0,0,0,0,0,0,0,0,0,0],'));
  assert.ok(json.includes(`"last_compacted_l0_sst_view_id":"${V}","last_compacted_l0_sst_id":null,`));
  assert.ok(json.includes('"external_dbs":[],'));
});

test('compactionsToJson / compactionToJson: recent_compactions keyed by ULID in order; sources and destination', () => {
  const c: Compactions = {
    compactorEpoch: 4,
    recentCompactions: [
      { id: B, spec: { l0ViewIds: [], sortedRuns: [5, 3] }, status: 'completed', outputSsts: [L0] },
      { id: A, spec: { l0ViewIds: [V, B], sortedRuns: [2] }, status: 'running', outputSsts: [] },
    ],
  };
  const jobA =
    `{"id":"${A}","spec":{"sources":[{"SstView":"${V}"},{"SstView":"${B}"},{"SortedRun":2}],"destination":2},` +
    '"bytes_processed":0,"status":"Running","output_ssts":[]}';
  const jobB =
    `{"id":"${B}","spec":{"sources":[{"SortedRun":5},{"SortedRun":3}],"destination":3},"bytes_processed":0,` +
    `"status":"Completed","output_ssts":[{"id":{"Compacted":"${A}"},"format_version":2,"info":${INFO_JSON}}]}`;
  assert.equal(
    compactionsToJson({ id: 3n, compactions: c }),
    `[3,{"compactor_epoch":4,"core":{"recent_compactions":{"${A}":${jobA},"${B}":${jobB}}}}]`,
  );
  assert.equal(compactionToJson(c.recentCompactions[1]!), jobA);
  const l0Only = {
    id: A,
    spec: { l0ViewIds: [V], sortedRuns: [] },
    status: 'submitted',
    outputSsts: [],
  } as const;
  assert.match(compactionToJson(l0Only), /"destination":0},"bytes_processed":0,"status":"Submitted"/);
});

test('checkpoints, create results and file listings', () => {
  const cps = [
    {
      id: U.toString(),
      manifestId: 8n,
      expireTime: new Date(1_800_003_600_000),
      createTime: new Date(1_800_000_000_000),
      name: undefined,
    },
  ];
  assert.equal(
    checkpointsToJson(cps),
    `[{"id":"${U}","manifest_id":8,"expire_time":"2027-01-15T09:00:00Z","create_time":"2027-01-15T08:00:00Z",` +
      '"name":null}]',
  );
  assert.equal(checkpointsToJson([]), '[]');
  const created = { id: U.toString(), manifestId: 9n };
  assert.equal(checkpointCreateResultToJson(created), `{"id":"${U}","manifest_id":9}`);
  assert.equal(checkpointCreateResultText(created), `CheckpointCreateResult { id: ${U}, manifest_id: 9 }`);
  assert.equal(
    versionFilesToJson([
      {
        id: 1n,
        location: '00000000000000000001.manifest',
        lastModified: new Date(1_800_000_000_250),
        size: 310,
      },
    ]),
    '[{"id":1,"location":"00000000000000000001.manifest","last_modified":"2027-01-15T08:00:00.250Z","size":310}]',
  );
});

test('JSON text: bigints exact, strings escaped as serde_json, compact and pretty forms; chrono times', () => {
  const v = { a: [1, 'x"\\\n\u0001é/', true, null, {}], b: [], c: { d: -2 } };
  assert.equal(stringifyJson(v), JSON.stringify(v));
  assert.equal(stringifyJson(v, 2), JSON.stringify(v, null, 2));
  assert.equal(
    stringifyJson({ big: 2n ** 64n - 1n, neg: I64_MIN }),
    '{"big":18446744073709551615,"neg":-9223372036854775808}',
  );
  assert.equal(stringifyJson('\u001f'), '"\\u001f"');
  assert.equal(serdeTime(0), '1970-01-01T00:00:00Z');
  assert.equal(serdeTime(1_500), '1970-01-01T00:00:01.500Z');
  assert.equal(serdeTime(1_800_000_000_007), '2027-01-15T08:00:00.007Z');
  assert.equal(chronoRfc3339(1_800_000_000_000), '2027-01-15T08:00:00+00:00');
});
