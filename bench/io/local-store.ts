/**
 * `node --import tsx bench/io/local-store.ts [--quick]`: small-object operations on LocalObjectStore over the real
 * disk: overwrite and create puts (durability 'none', so the figures show the store's own CPU and syscall cost,
 * not the disk's flush latency, plus a few durable puts), gets from the descriptor cache, synchronous gets,
 * heads and listings. Prints, per case, the median over interleaved rounds of ops/s and of the process CPU time
 * (user + system) per op: on a shared machine the CPU figure is the steadier one for comparing two builds.
 *
 * Invariants: figures are measured, never asserted; the run directory is removed afterwards.
 * Concurrency: one case at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../src/object-store/local-store.js';
import { nowMs } from '../lib/timer.js';

const quick = process.argv.includes('--quick');
const rounds = quick ? 1 : 5;
const windowMs = quick ? 300 : 1000;
const OBJECTS = 1000;
const value = new Uint8Array(1024).fill(7);

type Case = { readonly name: string; readonly run: (store: LocalObjectStore, i: number) => unknown };

const cases: Case[] = [
  { name: 'put overwrite 1 KiB', run: (s, i) => s.put(`o/${i % OBJECTS}`, value) },
  {
    name: 'put create 1 KiB',
    run: (s, i) => s.put(`c/${process.hrtime.bigint()}-${i}`, value, { mode: 'create' }),
  },
  { name: 'get 1 KiB (cached fd)', run: (s, i) => s.get(`o/${i % OBJECTS}`) },
  {
    name: 'get range 100 B',
    run: (s, i) => s.get(`o/${i % OBJECTS}`, { range: { offset: 100, length: 100 } }),
  },
  { name: 'tryGetSync 1 KiB', run: (s, i) => s.tryGetSync(`o/${i % OBJECTS}`) },
  { name: 'head', run: (s, i) => s.head(`o/${i % OBJECTS}`) },
  {
    name: 'list 1000 objects',
    run: async (s) => {
      for await (const _ of s.list('o/')) {
        // drain
      }
    },
  },
];

interface Rate {
  readonly opsPerSec: number;
  readonly cpuUsPerOp: number;
}

async function measure(store: LocalObjectStore, c: Case): Promise<Rate> {
  let ops = 0;
  const start = nowMs();
  const cpu = process.cpuUsage();
  while (nowMs() - start < windowMs) {
    for (let k = 0; k < 16; k++) await c.run(store, ops++);
  }
  const used = process.cpuUsage(cpu);
  return { opsPerSec: (ops / (nowMs() - start)) * 1000, cpuUsPerOp: (used.user + used.system) / ops };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'shaledb-local-bench-'));
  try {
    const store = new LocalObjectStore(dir, { durability: 'none' });
    for (let i = 0; i < OBJECTS; i++) await store.put(`o/${i}`, value);
    const results = new Map<string, Rate[]>();
    for (let r = 0; r < rounds; r++) {
      for (const c of cases) {
        const rate = await measure(store, c);
        results.set(c.name, [...(results.get(c.name) ?? []), rate]);
      }
    }
    const durable = new LocalObjectStore(dir, { durability: 'auto' });
    const start = nowMs();
    const cpu = process.cpuUsage();
    const n = quick ? 50 : 200;
    for (let i = 0; i < n; i++) await durable.put(`d/${i}`, value, { mode: 'create' });
    const used = process.cpuUsage(cpu);
    results.set('durable put create 1 KiB', [
      { opsPerSec: (n / (nowMs() - start)) * 1000, cpuUsPerOp: (used.user + used.system) / n },
    ]);
    for (const [name, rates] of results) {
      const ops = median(rates.map((r) => r.opsPerSec));
      const cpuUs = median(rates.map((r) => r.cpuUsPerOp));
      console.log(
        `${name.padEnd(28)} ${ops.toFixed(0).padStart(9)} ops/s ${cpuUs.toFixed(1).padStart(9)} CPU µs/op`,
      );
    }
    await store.close();
    await durable.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
