/**
 * The IO benchmark cases: durable 4 KiB appends (per-op write + fdatasync baseline vs the group-commit journal),
 * atomic publishes (ours vs write-file-atomic) and batch-lane files, each run by N concurrent clients for a fixed
 * time on the real disk.
 *
 * Invariants: every case counts only operations that completed (and, where durable, were flushed) inside its
 * measured window; each case gets a fresh directory.
 * Concurrency: clients are async loops on one event loop; fsyncs run on libuv's thread pool.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { publishFile } from '../../src/io/atomic-publish.js';
import { BatchLane } from '../../src/io/batch-lane.js';
import type { DurabilityMethod } from '../../src/io/durability.js';
import { openJournal } from '../../src/io/journal.js';
import { systemClock } from '../../src/util/clock.js';
import { systemRand } from '../../src/util/random.js';

/** write-file-atomic has no type declarations; this is the part of its API used here. */
const writeFileAtomic = createRequire(import.meta.url)('write-file-atomic') as (
  file: string,
  data: Uint8Array,
  options: { readonly fsync?: boolean },
) => Promise<void>;

/** One measured case. */
export interface CaseResult {
  readonly name: string;
  readonly group: 'append' | 'publish' | 'batch';
  readonly concurrency: number;
  readonly ops: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  /** Extra figures (flushes per op, records per group, ...). */
  readonly extra: Record<string, number | string>;
}

/** Timing of a run. */
export interface Timing {
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** Runs `concurrency` clients calling `op` until the window closes; returns ops and elapsed ms of the window. */
async function drive(
  concurrency: number,
  timing: Timing,
  op: (client: number) => Promise<void>,
): Promise<{ ops: number; elapsedMs: number }> {
  const warmEnd = systemClock.monotonicMs() + timing.warmupMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      while (systemClock.monotonicMs() < warmEnd) await op(c);
    }),
  );
  let ops = 0;
  const start = systemClock.monotonicMs();
  const end = start + timing.durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      while (systemClock.monotonicMs() < end) {
        await op(c);
        ops++;
      }
    }),
  );
  return { ops, elapsedMs: systemClock.monotonicMs() - start };
}

function result(
  name: string,
  group: CaseResult['group'],
  concurrency: number,
  r: { ops: number; elapsedMs: number },
  extra: Record<string, number | string> = {},
): CaseResult {
  return { name, group, concurrency, ...r, opsPerSec: (r.ops / r.elapsedMs) * 1000, extra };
}

function randomBytes(n: number): Uint8Array {
  return systemRand.fillBytes(new Uint8Array(n));
}

/** Baseline: each op is one 4 KiB write at the file end and its own fdatasync. */
export async function baselineAppends(dir: string, concurrency: number, timing: Timing): Promise<CaseResult> {
  const fd = fs.openSync(join(dir, 'baseline.log'), 'w+');
  const payload = randomBytes(4096);
  let end = 0;
  try {
    const r = await drive(concurrency, timing, async () => {
      fs.writeSync(fd, payload, 0, payload.length, end);
      end += payload.length;
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
    });
    return result('write+fdatasync per op', 'append', concurrency, r, { fdatasyncsPerOp: 1 });
  } finally {
    fs.closeSync(fd);
  }
}

/** The journal: 4 KiB appends that resolve once durable (group commit). */
export async function journalAppends(dir: string, concurrency: number, timing: Timing): Promise<CaseResult> {
  const j = await openJournal(join(dir, 'wal'));
  const payload = randomBytes(4096);
  try {
    const before = { ...j.stats };
    const r = await drive(concurrency, timing, async () => {
      await j.append(payload);
    });
    const groups = j.stats.groups - before.groups;
    const records = j.stats.records - before.records;
    return result('journal append (group commit)', 'append', concurrency, r, {
      durability: j.durability.primitive,
      recordsPerGroup: Number((records / Math.max(1, groups)).toFixed(1)),
      fdatasyncsPerOp: Number(((j.stats.flushes - before.flushes) / Math.max(1, records)).toFixed(4)),
    });
  } finally {
    await j.close();
  }
}

/** Atomic publishes of 4 KiB files (replace mode over a rotating set of 256 names per client). */
export async function ourPublishes(
  dir: string,
  concurrency: number,
  timing: Timing,
  durability: DurabilityMethod,
): Promise<CaseResult> {
  const payload = randomBytes(4096);
  const counters = new Array<number>(concurrency).fill(0);
  const r = await drive(concurrency, timing, async (c) => {
    const n = counters[c]!++ % 256;
    await publishFile(join(dir, `c${c}-f${n}.sst`), payload, { mode: 'replace', durability });
  });
  const label =
    durability === 'none' ? 'publishFile, durability none (UNSAFE)' : `publishFile, durability ${durability}`;
  return result(label, 'publish', concurrency, r, {
    flushes: durability === 'none' ? 'none' : 'file fdatasync + directory fsync',
  });
}

/** write-file-atomic's async API on the same workload (fsync of the file, no directory fsync). */
export async function wfaPublishes(
  dir: string,
  concurrency: number,
  timing: Timing,
  fsync: boolean,
): Promise<CaseResult> {
  const payload = Buffer.from(randomBytes(4096));
  const counters = new Array<number>(concurrency).fill(0);
  const r = await drive(concurrency, timing, async (c) => {
    const n = counters[c]!++ % 256;
    await writeFileAtomic(join(dir, `c${c}-f${n}.sst`), payload, { fsync });
  });
  const label = fsync ? 'write-file-atomic (fsync, no dir fsync)' : 'write-file-atomic, fsync false (UNSAFE)';
  return result(label, 'publish', concurrency, r, { flushes: fsync ? 'file fsync only' : 'none' });
}

/** Batch lane: batches of `perBatch` 4 KiB files; counts files. */
export async function batchFiles(
  dir: string,
  concurrency: number,
  timing: Timing,
  perBatch: number,
): Promise<CaseResult> {
  const lane = new BatchLane();
  const payload = randomBytes(4096);
  const counters = new Array<number>(concurrency).fill(0);
  try {
    const before = { ...lane.stats };
    const r = await drive(concurrency, timing, async (c) => {
      const b = lane.batch();
      const n = counters[c]!++ % 64;
      for (let k = 0; k < perBatch; k++) b.write(join(dir, `c${c}-b${n}-${k}.sst`), payload);
      await b.commit();
    });
    const dirSyncs = lane.stats.dirSyncs - before.dirSyncs;
    const files = r.ops * perBatch;
    return result(
      `batch lane, ${perBatch} files per batch`,
      'batch',
      concurrency,
      { ...r, ops: files },
      {
        dirFsyncsPerFile: Number((dirSyncs / Math.max(1, lane.stats.ops - before.ops)).toFixed(4)),
      },
    );
  } finally {
    await lane.close();
  }
}
