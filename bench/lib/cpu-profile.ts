/**
 * CPU profiles for the benchmarks' `--profile` option: V8's sampling profiler on the calling thread (through
 * node:inspector), summarised two ways. `selfTime` lists where the thread spent its time (idle included, as
 * '(idle)'); `lateTickAttribution` takes the moments a 1 ms timer fired late and lists what the thread ran in the
 * window before each late tick, so the cause of event-loop lateness is named by function (inclusive time: a
 * function counts once per sample when it is anywhere on the stack).
 *
 * Invariants: one profile at a time per session; timestamps of late ticks are in the profiler's clock
 * (microseconds of the monotonic clock, as `process.hrtime`).
 */
import { Session } from 'node:inspector/promises';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
/** A V8 CPU profile (the DevTools protocol's `Profiler.Profile`). */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Starts sampling the calling thread every `intervalUs`; resolves to a function that stops and returns the profile. */
export async function startCpuProfile(intervalUs = 100): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile as unknown as CpuProfile;
  };
}

/** The profiler's clock now, in microseconds (for marking late ticks). */
export function profilerNowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function frameName(f: CallFrame): string {
  const file = f.url === '' ? '' : ` ${f.url.split('/').slice(-2).join('/')}`;
  return `${f.functionName || '(anonymous)'}${file}`;
}

/** One line of a summary: a function, its time and share. */
export interface ProfileLine {
  readonly name: string;
  readonly ms: number;
  readonly pct: number;
}

/** Self time per function, largest first (idle and garbage collection appear as V8 names them). */
export function selfTime(p: CpuProfile, top = 25): ProfileLine[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const us = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    const name = frameName(byId.get(p.samples[i]!)!.callFrame);
    us.set(name, (us.get(name) ?? 0) + dt);
    total += dt;
  }
  return [...us]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, t]) => ({ name, ms: t / 1000, pct: (100 * t) / total }));
}

/** What ran before late timer ticks. */
export interface LateTickAttribution {
  readonly lateTicks: number;
  /** Busy (non-idle) time sampled in the windows before them, ms. */
  readonly busyMs: number;
  /** Inclusive time per function in those windows, largest first; pct of busyMs. */
  readonly lines: ProfileLine[];
}

/**
 * For each late tick (`[tick time in µs, lateness in ms]`), the samples of the window from one interval before the
 * tick was due to the tick; inclusive time per function over all windows.
 */
export function lateTickAttribution(
  p: CpuProfile,
  ticks: readonly (readonly [number, number])[],
  intervalMs: number,
  top = 25,
): LateTickAttribution {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const at: number[] = [];
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    at.push(t);
  }
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [end, lateMs] of ticks) {
    const start = end - (lateMs + intervalMs) * 1000;
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < at.length && at[i]! <= end; i++) {
      const node = byId.get(p.samples[i]!)!;
      if (node.callFrame.functionName === '(idle)') continue;
      const dt = (at[i + 1] ?? at[i]!) - at[i]!;
      busy += dt;
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const name = frameName(byId.get(id)!.callFrame);
        if (name === '(root)' || seen.has(name)) continue;
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
      }
    }
  }
  const lines = [...inclusive]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, pct: busy === 0 ? 0 : (100 * us) / busy }));
  return { lateTicks: ticks.length, busyMs: busy / 1000, lines };
}

/** A summary as markdown table rows. */
export function profileTable(lines: readonly ProfileLine[]): string {
  const rows = lines.map(
    (l) => `| ${l.name.replaceAll('|', '\\|')} | ${l.ms.toFixed(1)} | ${l.pct.toFixed(1)} |`,
  );
  return ['| function | ms | % |', '|---|---:|---:|', ...rows].join('\n');
}
