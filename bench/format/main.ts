/**
 * Format benchmark: encode and decode throughput of a 64 MiB SST for each codec, bloom filter build and probe
 * rates, and cached point lookups through the SST reader. Prints a table. Usage: npm run bench:format
 * [-- --mib N] (default 64).
 *
 * Invariants: inputs are generated from a fixed seed, so runs compare like with like; MB/s counts row bytes
 * (keys + values) per second of wall time (and per second of this process's CPU time, GC threads included),
 * 1 MB = 10^6 bytes.
 * Concurrency: single-threaded; run alone for stable numbers.
 */
import { BlockCache } from '../../src/format/block-cache.js';
import { BloomFilter, BloomFilterBuilder } from '../../src/format/bloom-filter.js';
import { COMPRESSION_CODECS, type CompressionCodec } from '../../src/format/compression.js';
import type { RowEntry } from '../../src/format/row.js';
import { SstBuilder, sstBytes } from '../../src/format/sst-builder.js';
import { SstReader } from '../../src/format/sst-reader.js';
import { MemoryObjectStore } from '../../src/object-store/memory-store.js';
import { SeededRand } from '../../src/util/random.js';

const args = process.argv.slice(2);
const mib = Number(args[args.indexOf('--mib') + 1] ?? 64) || 64;
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'slate', 'shale', 'rock', 'value', 'row', '-', ' ', 'x'];

function makeRows(targetBytes: number): { rows: RowEntry[]; bytes: number } {
  const rand = new SeededRand(42);
  const rows: RowEntry[] = [];
  let bytes = 0;
  const enc = new TextEncoder();
  for (let i = 0; bytes < targetBytes; i++) {
    const key = enc.encode(`user:${String(i).padStart(10, '0')}:${rand.nextU32().toString(36)}`);
    let s = '';
    while (s.length < 100) s += WORDS[rand.nextInt(WORDS.length)];
    const value = enc.encode(s.slice(0, 100));
    rows.push({
      key,
      value,
      seq: i + 1,
      kind: 'value',
      createTs: 1_795_000_000_000 + i,
      expireTs: undefined,
    });
    bytes += key.length + value.length;
  }
  return { rows, bytes };
}

/** Wall time and this process's CPU time (user + system) of `fn`; CPU time is steadier on a shared machine. */
function time<T>(fn: () => T): { value: T; ms: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

const mbps = (bytes: number, ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const rate = (n: number, ms: number): string => `${(((n / ms) * 1000) / 1e6).toFixed(2)} M/s`;

async function codecRow(codec: CompressionCodec, rows: RowEntry[], bytes: number): Promise<string[]> {
  const enc = time(() => {
    const b = new SstBuilder({ compression: codec, blockSize: 4096 });
    for (const r of rows) b.add(r);
    return sstBytes(b.finish());
  });
  const store = new MemoryObjectStore();
  await store.put('sst', enc.value);
  const dec = await timeAsync(async () => {
    const r = await SstReader.open(store, 'sst', { readAheadBytes: 4 << 20 });
    const it = r.iter();
    let n = 0;
    for (;;) {
      let x = it.next();
      if (x instanceof Promise) x = await x;
      if (x === undefined) break;
      n++;
    }
    return n;
  });
  if (dec.value !== rows.length) throw new Error(`decoded ${dec.value} rows, wrote ${rows.length}`);
  return [
    codec,
    (enc.value.length / 2 ** 20).toFixed(1),
    (bytes / enc.value.length).toFixed(2),
    mbps(bytes, enc.ms),
    mbps(bytes, enc.cpuMs),
    mbps(bytes, dec.ms),
    mbps(bytes, dec.cpuMs),
  ];
}

function table(head: string[], body: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padStart(w[i]!)).join('  ');
  console.log(line(head));
  for (const r of body) console.log(line(r));
  console.log('');
}

const { rows, bytes } = makeRows(mib * 2 ** 20);
const load = (await import('node:os'))
  .loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');
console.log(
  `${rows.length} rows, ${(bytes / 2 ** 20).toFixed(1)} MiB of keys + values, 4 KiB blocks, node ${process.version}, ` +
    `load average ${load}\n`,
);

const codecRows: string[][] = [];
for (const codec of COMPRESSION_CODECS) codecRows.push(await codecRow(codec, rows, bytes));
table(['codec', 'SST MiB', 'ratio', 'encode MB/s', 'per CPU-s', 'decode MB/s', 'per CPU-s'], codecRows);

// Bloom filter over 1M distinct keys: build, then probe present and absent keys.
const enc = new TextEncoder();
const keys = Array.from({ length: 1_000_000 }, (_, i) => enc.encode(`key:${String(i).padStart(10, '0')}`));
const absentKeys = keys.map((k) => {
  const c = k.slice();
  c[0] = 0x41;
  return c;
});
const build = time(() => {
  const b = new BloomFilterBuilder(10);
  for (const k of keys) b.addKey(k);
  return BloomFilter.decode(b.build(), 'bench');
});
const filter = build.value;
const present = time(() => {
  let hits = 0;
  for (const k of keys) if (filter.mayContain(k)) hits++;
  return hits;
});
if (present.value !== keys.length) throw new Error('the filter lost a key');
const absent = time(() => {
  let hits = 0;
  for (const k of absentKeys) if (filter.mayContain(k)) hits++;
  return hits;
});
const n = keys.length;
table(
  ['bloom (10 bits/key)', 'keys', 'rate', 'per CPU-s', 'false positives'],
  [
    ['build', String(n), rate(n, build.ms), rate(n, build.cpuMs), ''],
    ['probe present', String(n), rate(n, present.ms), rate(n, present.cpuMs), ''],
    [
      'probe absent',
      String(n),
      rate(n, absent.ms),
      rate(n, absent.cpuMs),
      `${((absent.value / n) * 100).toFixed(2)} %`,
    ],
  ],
);

// Cached random point lookups through the reader (every block in the cache: the synchronous path).
{
  const b = new SstBuilder({ blockSize: 4096 });
  for (const r of rows) b.add(r);
  const store = new MemoryObjectStore();
  await store.put('sst', sstBytes(b.finish()));
  const reader = await SstReader.open(store, 'sst', { blockCache: new BlockCache(1 << 30) });
  for (const r of rows) {
    const g = reader.get(r.key);
    if (g instanceof Promise) await g;
  }
  const rand = new SeededRand(7);
  const probes = Array.from({ length: 500_000 }, () => rows[rand.nextInt(rows.length)]!.key);
  const gets = time(() => {
    let found = 0;
    for (const k of probes) {
      const g = reader.get(k);
      if (g instanceof Promise) throw new Error('a cached get needed IO');
      found += g.length;
    }
    return found;
  });
  if (gets.value !== probes.length) throw new Error('lookups missed keys');
  table(
    ['cached SST point gets', 'gets', 'rate', 'per CPU-s'],
    [
      [
        'random keys, 4 KiB blocks',
        String(probes.length),
        rate(probes.length, gets.ms),
        rate(probes.length, gets.cpuMs),
      ],
    ],
  );
}
