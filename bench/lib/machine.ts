/**
 * MachineInfo: the facts a benchmark result needs to be read correctly: CPU model and cores, memory, Node and V8,
 * kernel, the disk under the temp root (device, filesystem, rotational or not), the date, the git commit, and the
 * load average before and after the run (a loaded machine makes noisy figures).
 *
 * Invariants: every field is read, never guessed; what cannot be read is reported as "unknown".
 * Concurrency: synchronous reads of /proc, /sys and git at the start and end of a run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { basename } from 'node:path';

/** The disk the databases live on. */
export interface DiskInfo {
  readonly path: string;
  readonly device: string;
  readonly fsType: string;
  readonly mountPoint: string;
  /** "rotational", "non-rotational" or "unknown": the kernel's flag (/sys/block/<dev>/queue/rotational). */
  readonly kind: string;
  readonly freeBytes: number | undefined;
}

/** The machine a run ran on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly v8: string;
  readonly os: string;
  readonly disk: DiskInfo;
  readonly date: string;
  readonly gitCommit: string;
  /** True when tracked files differ from the commit. */
  readonly gitDirty: boolean;
  readonly loadAvgStart: readonly number[];
  loadAvgEnd: readonly number[];
  /** The 1-minute load average after each cell (other processes' load makes figures noisy). */
  readonly loadAvg1mAfterCells: number[];
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function cpuModel(): string {
  const fromOs = os.cpus()[0]?.model?.trim();
  if (fromOs !== undefined && fromOs !== '') return fromOs;
  const m = /model name\s*:\s*(.+)/.exec(readText('/proc/cpuinfo') ?? '');
  return m?.[1]?.trim() ?? 'unknown';
}

/** The disk holding `path`: the longest mount point that prefixes it. */
export function diskInfo(path: string): DiskInfo {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // keep the given path
  }
  let best = { device: 'unknown', mountPoint: '/', fsType: 'unknown' };
  let bestLen = -1;
  for (const line of (readText('/proc/mounts') ?? '').split('\n')) {
    const [device, mountPoint, fsType] = line.split(' ');
    if (device === undefined || mountPoint === undefined || fsType === undefined) continue;
    const prefix = mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`;
    if ((real === mountPoint || real.startsWith(prefix)) && mountPoint.length > bestLen) {
      best = { device, mountPoint, fsType };
      bestLen = mountPoint.length;
    }
  }
  const dev = basename(best.device).replace(/p?\d+$/, '');
  const rot = readText(`/sys/block/${dev}/queue/rotational`)?.trim();
  let freeBytes: number | undefined;
  try {
    const s = statfsSync(real);
    freeBytes = Number(s.bavail) * Number(s.bsize);
  } catch {
    freeBytes = undefined;
  }
  return {
    path: real,
    ...best,
    kind: rot === '0' ? 'non-rotational' : rot === '1' ? 'rotational' : 'unknown',
    freeBytes,
  };
}

/** Reads the machine facts; `tempRoot` is where the databases will live. */
export function machineInfo(tempRoot: string, dateIso: string): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    disk: diskInfo(tempRoot),
    date: dateIso,
    gitCommit: git(['rev-parse', 'HEAD']) ?? 'unknown',
    gitDirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    loadAvgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    loadAvgEnd: [],
    loadAvg1mAfterCells: [],
  };
}
