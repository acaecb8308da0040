/**
 * Direct IO probe: is O_DIRECT worth having for the journal here? Alternates buffered and O_DIRECT trials (a
 * WebAssembly.Memory-backed buffer is page-aligned, which O_DIRECT needs; an ordinary Buffer fails with EINVAL)
 * of write + fdatasync at 4 KiB, 64 KiB and 1 MiB, and reports the median of each.
 *
 * Invariants: both variants write the same random bytes at the same offsets into a fresh file per trial.
 * Concurrency: synchronous calls, one trial at a time.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../src/util/clock.js';
import { systemRand } from '../../src/util/random.js';

/** The WebAssembly API (not in this project's TypeScript lib settings). */
const wasm = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer } };
  }
).WebAssembly;

/** One probe figure. */
export interface DirectProbeResult {
  readonly writeBytes: number;
  readonly bufferedMBps: number;
  readonly directMBps: number;
  readonly trials: number;
  readonly bufferedEinval: boolean;
}

function trial(dir: string, flags: number, buf: Uint8Array, size: number, count: number): number {
  const path = join(dir, 'probe.bin');
  fs.rmSync(path, { force: true });
  const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT | flags);
  try {
    const t0 = systemClock.monotonicMs();
    for (let i = 0; i < count; i++) {
      fs.writeSync(fd, buf, 0, size, i * size);
      fs.fdatasyncSync(fd);
    }
    return (count * size) / 1e3 / (systemClock.monotonicMs() - t0);
  } finally {
    fs.closeSync(fd);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Whether an ordinary (unaligned) Buffer can be written with O_DIRECT here. */
function bufferedDirectFails(dir: string): boolean {
  try {
    trial(dir, fs.constants.O_DIRECT, new Uint8Array(4096), 4096, 1);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'EINVAL';
  }
}

/** Runs the probe in `dir` with `trials` alternating trials per size. */
export function directProbe(dir: string, trials: number): DirectProbeResult[] {
  const mem = new wasm.Memory({ initial: 16 }); // 1 MiB, page-aligned
  const aligned = new Uint8Array(mem.buffer);
  systemRand.fillBytes(aligned);
  const plain = Uint8Array.from(aligned);
  const einval = bufferedDirectFails(dir);
  const out: DirectProbeResult[] = [];
  for (const [size, count] of [
    [4096, 300],
    [65536, 100],
    [1 << 20, 30],
  ] as const) {
    const buffered: number[] = [];
    const direct: number[] = [];
    for (let t = 0; t < trials; t++) {
      buffered.push(trial(dir, 0, plain, size, count));
      direct.push(trial(dir, fs.constants.O_DIRECT, aligned, size, count));
    }
    out.push({
      writeBytes: size,
      bufferedMBps: Number(median(buffered).toFixed(1)),
      directMBps: Number(median(direct).toFixed(1)),
      trials,
      bufferedEinval: einval,
    });
  }
  fs.rmSync(join(dir, 'probe.bin'), { force: true });
  return out;
}
