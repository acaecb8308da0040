/**
 * Seeded differential test: the same random writes (puts, deletes, merges, batches), memtable and WAL flushes and
 * snapshots go to ShaleDB and to the real SlateDB 0.12.1 (`@slatedb/uniffi`, in a child process), each on its own
 * `file://` directory, both with small blocks, a per-seed codec and an embedded compactor cutting output SSTs at
 * 1 KiB, so sorted runs hold several SSTs. After every round, every read kind (get, getKeyValue, scans over random
 * ranges in both orders with seeks, point ranges, scanPrefix, and the same on snapshots) runs on both engines and
 * on a plain in-memory model.
 *
 * ShaleDB must equal the model on every read. SlateDB must too, except for the known 0.12.1 bugs
 * (docs/compat-slatedb-0.12.1.md), and each difference must be exactly one of them:
 * - `point-range`: a point range [k,k] answers the right row, then k again once per older source;
 * - `desc-seek`: in descending order a seek before the first row does not move, and one to a smaller key than the
 *   last returned is rejected (the answer then equals the model under those rules);
 * - `desc-multi-sst`: a descending scan whose range covers two or more SSTs of one of SlateDB's sorted runs (a
 *   difference anywhere else fails).
 * SlateDB reads only while its compactor has nothing to do, so its sorted runs are known from its manifests.
 * Seeds: a fixed default set (one codec each); SHALEDB_SEED runs one seed. A binding that cannot load fails the
 * suite.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Snapshot } from '../../src/db/snapshot.js';
import { WriteBatch } from '../../src/db/write-batch.js';
import type { CompressionCodec } from '../../src/format/compression.js';
import type { SortedRun } from '../../src/format/manifest.js';
import { Db } from '../../src/open/open.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { type Rand, SeededRand } from '../../src/util/random.js';
import { concat } from '../support/db-interop.js';
import {
  compareHex,
  type HexRange,
  inHexRange,
  type ModelState,
  modelRead,
  type ReadRequest,
  type ScanStep,
  shaleRead,
} from '../support/differential-reads.js';
import { withTempDir } from '../support/io-temp-dir.js';
import { compactorIdle, DifferentialSlate, manifestsAfter } from '../support/slatedb-differential.js';
import type { HexOp } from '../support/slatedb-differential-child.js';
import { loadOracle, type OracleBlockSizeKib } from '../support/slatedb-oracle.js';

const DEFAULT_SEEDS = [1, 2, 3, 4, 5];
const CODECS: readonly CompressionCodec[] = ['none', 'snappy', 'zlib', 'lz4', 'zstd'];
const BLOCK_KIB: readonly OracleBlockSizeKib[] = [1, 2, 1, 4, 1];
const MAX_SST_SIZE = 1024;
const ROUNDS = 8;

type Model = Map<string, { value: string; seq: number }>;
type Known = 'point-range' | 'desc-seek' | 'desc-multi-sst';

const hex = (s: string) => toHex(new TextEncoder().encode(s));

/** Keys: three families of 20, plus short keys that prefix longer ones. */
function keyUniverse(): string[] {
  const out: string[] = [];
  for (const f of ['a', 'b', 'c']) {
    for (let i = 0; i < 20; i++) out.push(hex(`${f}${String(i).padStart(2, '0')}`));
    out.push(hex(`${f}1`));
  }
  return out.sort(compareHex);
}

const PREFIXES = ['a', 'b', 'c', 'a1', 'b0', 'c19', 'd'].map(hex);

function randomValue(rand: Rand, max: number): string {
  const n = rand.nextInt(max + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + rand.nextInt(26));
  return hex(s);
}

function pick<T>(rand: Rand, xs: readonly T[]): T {
  return xs[rand.nextInt(xs.length)]!;
}

function applyOps(model: Model, ops: readonly HexOp[], seq: number): void {
  for (const op of ops) {
    if (op.type === 'put') model.set(op.key, { value: op.value, seq });
    else if (op.type === 'delete') model.delete(op.key);
    else model.set(op.key, { value: (model.get(op.key)?.value ?? '') + op.value, seq });
  }
}

function randomOps(rand: Rand, keys: readonly string[]): HexOp[] {
  const n = rand.nextInt(4) === 0 ? 2 + rand.nextInt(5) : 1;
  const used = new Set<string>();
  const ops: HexOp[] = [];
  while (ops.length < n) {
    const key = pick(rand, keys);
    if (used.has(key)) continue;
    used.add(key);
    const p = rand.nextInt(100);
    if (p < 55) ops.push({ type: 'put', key, value: randomValue(rand, 200) });
    else if (p < 72) ops.push({ type: 'delete', key });
    else ops.push({ type: 'merge', key, value: randomValue(rand, 8) });
  }
  return ops;
}

/** Writes `ops` to ShaleDB (single calls or a batch) and returns the seq. */
async function shaleWrite(db: Db, ops: readonly HexOp[], awaitDurable: boolean): Promise<number> {
  const o = { awaitDurable };
  if (ops.length === 1) {
    const op = ops[0]!;
    const key = fromHex(op.key);
    const h =
      op.type === 'put'
        ? await db.put(key, fromHex(op.value), o)
        : op.type === 'delete'
          ? await db.delete(key)
          : await db.merge(key, fromHex(op.value), o);
    return Number(h.seq);
  }
  const b = new WriteBatch();
  for (const op of ops) {
    if (op.type === 'put') b.put(fromHex(op.key), fromHex(op.value));
    else if (op.type === 'delete') b.delete(fromHex(op.key));
    else b.merge(fromHex(op.key), fromHex(op.value));
  }
  return Number((await db.write(b, o)).seq);
}

function randomRange(rand: Rand, keys: readonly string[]): HexRange {
  const bound = (): string =>
    rand.nextInt(6) === 0 ? hex(`${pick(rand, ['a', 'b', 'c'])}`) : pick(rand, keys);
  for (;;) {
    const start = rand.nextInt(4) === 0 ? undefined : bound();
    const end = rand.nextInt(4) === 0 ? undefined : bound();
    if (start !== undefined && end !== undefined && compareHex(start, end) >= 0) continue;
    return { start, startInclusive: rand.nextInt(2) === 0, end, endInclusive: rand.nextInt(2) === 0 };
  }
}

/**
 * A script of nexts and seeks for a scan, tracking the model's position. A seek goes to a key outside the range,
 * to the last key returned (rejected as behind), or forward: past the last key returned and not behind an earlier
 * seek (the iterator contract; what a seek behind an earlier one does before any row is left open).
 */
function randomSteps(
  rand: Rand,
  state: ModelState,
  range: HexRange,
  order: 'asc' | 'desc',
  keys: readonly string[],
) {
  const asc = order === 'asc';
  const visible = [...state.keys()].filter((k) => inHexRange(k, range)).sort(compareHex);
  if (!asc) visible.reverse();
  const ahead = (a: string, b: string): boolean => (asc ? compareHex(a, b) > 0 : compareHex(a, b) < 0);
  const steps: ScanStep[] = [];
  let pos = 0;
  let last: string | undefined;
  /** The furthest point reached: the last key returned or a later seek target. */
  let floor: string | undefined;
  const n = rand.nextInt(6);
  for (let i = 0; i < n; i++) {
    if (rand.nextInt(100) < 60) {
      steps.push({ next: true });
      if (pos < visible.length) {
        last = visible[pos++];
        floor = last;
      }
      continue;
    }
    let target = pick(rand, keys);
    if (inHexRange(target, range) && floor !== undefined && !ahead(target, floor)) {
      const forward = keys.filter((k) => inHexRange(k, range) && ahead(k, floor!));
      if (last !== undefined && (forward.length === 0 || rand.nextInt(3) === 0)) target = last;
      else if (forward.length > 0) target = pick(rand, forward);
      else continue;
    }
    steps.push({ seek: target });
    if (!inHexRange(target, range) || target === last) continue;
    floor = target;
    pos = visible.findIndex((k) => (asc ? compareHex(k, target) >= 0 : compareHex(k, target) <= 0));
    if (pos < 0) pos = visible.length;
  }
  return steps;
}

function randomRequests(
  rand: Rand,
  keys: readonly string[],
  model: Model,
  snaps: ReadonlyMap<number, Model>,
): ReadRequest[] {
  const snapIds = [...snaps.keys()];
  const maybeSnap = (): { snap?: number } =>
    snapIds.length > 0 && rand.nextInt(4) === 0 ? { snap: pick(rand, snapIds) } : {};
  const absent = [hex('a'), hex('zz'), hex('b100')];
  const out: ReadRequest[] = [];
  for (let i = 0; i < 12; i++)
    out.push({ t: 'get', key: pick(rand, rand.nextInt(8) === 0 ? absent : keys), ...maybeSnap() });
  for (let i = 0; i < 8; i++) out.push({ t: 'kv', key: pick(rand, keys), ...maybeSnap() });
  for (let i = 0; i < 18; i++) {
    const snap = maybeSnap();
    const state = snap.snap === undefined ? model : snaps.get(snap.snap)!;
    if (rand.nextInt(8) === 0) {
      const k = pick(rand, keys);
      const range = { start: k, startInclusive: true, end: k, endInclusive: true };
      for (const order of ['asc', 'desc'] as const) out.push({ t: 'scan', range, order, steps: [], ...snap });
      continue;
    }
    const range = randomRange(rand, keys);
    for (const order of ['asc', 'desc'] as const) {
      out.push({ t: 'scan', range, order, steps: randomSteps(rand, state, range, order, keys), ...snap });
    }
  }
  for (let i = 0; i < 5; i++) {
    const prefix = pick(rand, PREFIXES);
    for (const order of ['asc', 'desc'] as const) out.push({ t: 'prefix', prefix, order });
  }
  return out;
}

/** The key range a request reads (for the sorted-run overlap rule). */
function requestRange(req: ReadRequest): HexRange {
  if (req.t === 'prefix')
    return { start: req.prefix, startInclusive: true, end: `${req.prefix}ffffffff`, endInclusive: true };
  if (req.t === 'scan') return req.range;
  return { start: req.key, startInclusive: true, end: req.key, endInclusive: true };
}

/** True when the range covers two or more SSTs of one sorted run (0.12.1 picks a run's SSTs by first keys). */
function coversSeveralSsts(range: HexRange, runs: readonly SortedRun[]): boolean {
  for (const run of runs) {
    const firsts = run.ssts.map((s) => (s.info.firstEntry === undefined ? '' : toHex(s.info.firstEntry)));
    let n = 0;
    for (let j = 0; j < firsts.length; j++) {
      const startsBeforeEnd = range.end === undefined || compareHex(firsts[j]!, range.end) <= 0;
      const next = firsts[j + 1];
      const endsAfterStart =
        next === undefined || range.start === undefined || compareHex(next, range.start) >= 0;
      if (startsBeforeEnd && endsAfterStart) n++;
    }
    if (n >= 2) return true;
  }
  return false;
}

/** Which known 0.12.1 bug explains SlateDB's answer, or undefined when none does. */
function classify(
  req: ReadRequest,
  state: ModelState,
  expected: readonly string[],
  slate: readonly string[],
  runs: readonly SortedRun[],
): Known | undefined {
  if (req.t === 'scan' && req.range.start !== undefined && req.range.start === req.range.end) {
    // [k,k]: the right row first, then only more rows of k, then the end.
    const k = req.range.start;
    const rows = slate.filter((e) => e.startsWith('kv:'));
    const wanted = expected.filter((e) => e.startsWith('kv:'));
    if (
      wanted.length === 1 &&
      rows.length >= 2 &&
      rows[0] === wanted[0] &&
      rows.every((e) => e.startsWith(`kv:${k}=`)) &&
      slate.length === rows.length + 1 &&
      slate[slate.length - 1] === 'end'
    ) {
      return 'point-range';
    }
    return undefined;
  }
  if (req.t !== 'get' && req.t !== 'kv' && req.order === 'desc') {
    if (req.t === 'scan' && req.steps.some((s) => 'seek' in s)) {
      if (modelRead(state, req, 'slatedb-0.12.1').join('\n') === slate.join('\n')) return 'desc-seek';
    }
    if (coversSeveralSsts(requestRange(req), runs)) return 'desc-multi-sst';
  }
  return undefined;
}

function sameKey(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && toHex(a) === toHex(b);
}

/** Boundaries in sorted runs where one key's versions continue in the next SST. */
function straddleCount(runs: readonly SortedRun[]): number {
  let n = 0;
  for (const r of runs)
    for (let i = 1; i < r.ssts.length; i++)
      if (sameKey(r.ssts[i - 1]!.info.lastEntry, r.ssts[i]!.info.firstEntry)) n++;
  return n;
}

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const seed of process.env['SHALEDB_SEED'] ? [Number(process.env['SHALEDB_SEED'])] : DEFAULT_SEEDS) {
  test(`ShaleDB and SlateDB 0.12.1 answer every read like the model (seed ${seed})`, async () => {
    // A binding that cannot load fails the suite (it is never skipped).
    assert.ok((await loadOracle()) !== undefined, '@slatedb/uniffi@0.12.1 could not be loaded');
    const rand = new SeededRand(seed);
    const codec = CODECS[seed % CODECS.length]!;
    const blockKib = BLOCK_KIB[seed % BLOCK_KIB.length]!;
    console.log(`seed ${seed}: codec ${codec}, block ${blockKib} KiB, compactor max SST ${MAX_SST_SIZE} B`);
    await withTempDir(async (dir) => {
      const slateDir = join(dir, 'slate');
      const shaleDir = join(dir, 'shale');
      mkdirSync(slateDir);
      mkdirSync(shaleDir);
      const slate = await DifferentialSlate.open({
        dir: slateDir,
        codec,
        blockSizeKib: blockKib,
        mergeOperator: 'concat',
        compactor: { pollInterval: '50ms', maxSstSize: MAX_SST_SIZE },
        flushInterval: '10ms',
        settings: { l0_sst_size_bytes: 1 << 20, manifest_poll_interval: '50ms' },
      });
      const db = await Db.open('db', `file://${shaleDir}`, {
        settings: {
          flushInterval: '10ms',
          l0SstSizeBytes: 1 << 20,
          manifestPollInterval: '50ms',
          compressionCodec: codec === 'none' ? null : codec,
          compactorOptions: { pollInterval: '50ms', maxSstSize: MAX_SST_SIZE },
          garbageCollectorOptions: null,
        },
        blockSize: blockKib * 1024,
        mergeOperator: concat,
      });
      const keys = keyUniverse();
      const model: Model = new Map();
      const snapModels = new Map<number, Model>();
      const shaleSnaps = new Map<number, Snapshot>();
      const known = new Map<Known, number>();
      let nextSnap = 1;
      let lastManifest = 0;
      let current: ReturnType<typeof manifestsAfter>[number] | undefined;
      let slateMultiSstRuns = 0;
      let reads = 0;
      let slateStraddles = 0;
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const writes = 30 + rand.nextInt(40);
          for (let w = 0; w < writes; w++) {
            const ops = randomOps(rand, keys);
            // Mostly without waiting for durability (fast); one write in twenty waits, on both engines.
            const durable = rand.nextInt(20) === 0;
            const seq = await shaleWrite(db, ops, durable);
            assert.equal(
              await slate.write(ops, durable),
              seq,
              `both engines give write ${w} of round ${round} one seq`,
            );
            applyOps(model, ops, seq);
          }
          await db.flush({ type: 'wal' });
          await slate.flushWal();
          // Flushes in the first rounds make L0s enough for a compaction early; later rounds flush at random.
          if (round < 5 || rand.nextInt(10) < 7) {
            await db.flush({ type: 'memtable' });
            await slate.flushMemtable();
          }
          if (rand.nextInt(3) === 0) {
            const id = nextSnap++;
            shaleSnaps.set(id, await db.snapshot());
            await slate.snapshot(id);
            snapModels.set(id, new Map(model));
            if (snapModels.size > 2) {
              const oldest = Math.min(...snapModels.keys());
              shaleSnaps.get(oldest)!.close();
              shaleSnaps.delete(oldest);
              snapModels.delete(oldest);
              await slate.release(oldest);
            }
          }
          // SlateDB reads once its compactor has nothing left to do and its writer has seen the last manifest.
          // SlateDB reads once its compactor has nothing left to do and its writer has polled the last manifest.
          // Every manifest since the last reads counts for the sorted-run rule: the writer may have read with any.
          let seen = current === undefined ? [] : [current];
          const collect = (): boolean => {
            const ms = manifestsAfter(slateDir, lastManifest);
            if (ms.length === 0) return false;
            seen = seen.concat(ms);
            current = ms[ms.length - 1]!;
            lastManifest = current.id;
            return true;
          };
          for (;;) {
            await until(() => {
              collect();
              return current === undefined || compactorIdle(current.manifest);
            }, 'the SlateDB compactor to finish');
            await new Promise((r) => setTimeout(r, 150));
            if (!collect()) break;
          }
          const requests = randomRequests(rand, keys, model, snapModels);
          const slateAnswers = await slate.reads(requests);
          collect();
          const runs = seen.flatMap((s) => s.manifest.compacted);
          slateMultiSstRuns = Math.max(slateMultiSstRuns, ...runs.map((r) => r.ssts.length));
          slateStraddles = Math.max(slateStraddles, straddleCount(current?.manifest.compacted ?? []));
          for (let i = 0; i < requests.length; i++) {
            const req = requests[i]!;
            const state = req.t !== 'prefix' && req.snap !== undefined ? snapModels.get(req.snap)! : model;
            const expected = modelRead(state, req);
            const where = `seed ${seed} round ${round} request ${JSON.stringify(req)}`;
            assert.deepEqual(await shaleRead(db, shaleSnaps, req), expected, `ShaleDB: ${where}`);
            const s = slateAnswers[i]!;
            reads++;
            if (s.join('\n') === expected.join('\n')) continue;
            const k = classify(req, state, expected, s, runs);
            assert.ok(
              k !== undefined,
              `SlateDB differs outside the known 0.12.1 bugs: ${where}\nmodel:  ${expected.join(' ')}\nslate:  ${s.join(' ')}`,
            );
            if (!known.has(k)) {
              const brief = (events: readonly string[]) =>
                events.map((e) => e.replace(/=[0-9a-f]*@/, '@')).join(' ');
              console.log(
                `seed ${seed}: first ${k} answer: ${JSON.stringify(req)}\n  model: ${brief(expected)}\n  slate: ${brief(s)}`,
              );
            }
            known.set(k, (known.get(k) ?? 0) + 1);
          }
        }
        // ShaleDB's compactor runs on its own schedule: let it finish before counting its sorted runs' SSTs.
        await until(() => {
          const ms = manifestsAfter(shaleDir, 0);
          return ms.length > 0 && compactorIdle(ms[ms.length - 1]!.manifest);
        }, 'the ShaleDB compactor to finish');
        const shaleManifests = manifestsAfter(shaleDir, 0);
        const shaleRuns = shaleManifests.flatMap((x) => x.manifest.compacted);
        const shaleMax = Math.max(0, ...shaleRuns.map((r) => r.ssts.length));
        console.log(
          `seed ${seed}: ${reads} reads each; largest sorted run: ShaleDB ${shaleMax} SSTs, SlateDB ${slateMultiSstRuns}; ` +
            `keys straddling SSTs: ShaleDB ${Math.max(0, ...shaleManifests.map((x) => straddleCount(x.manifest.compacted)))}, SlateDB ${slateStraddles}; ` +
            `SlateDB known-bug answers: ${JSON.stringify(Object.fromEntries(known))}`,
        );
        assert.ok(shaleMax >= 2, 'ShaleDB built a sorted run of several SSTs');
        assert.ok(slateMultiSstRuns >= 2, 'SlateDB built a sorted run of several SSTs');
      } catch (e) {
        slate.kill();
        throw e;
      } finally {
        for (const s of shaleSnaps.values()) s.close();
        await db.close();
      }
      await slate.close();
    });
  });
}
