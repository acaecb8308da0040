/**
 * The read side of the SlateDB differential suite: read requests as plain JSON (keys as hex) that run unchanged
 * against a plain in-memory model, against ShaleDB, and (in the child, slatedb-differential-child.ts) against
 * SlateDB 0.12.1, each answering with the same list of event strings, so answers compare as strings.
 *
 * Events: `kv:<key>=<value>@<seq>` for a returned row, `none` for an absent key, `end` at the end of a scan,
 * `seek` for an accepted seek, `seek-err:<CODE>` for a rejected one (SEEK_KEY_OUT_OF_RANGE, SEEK_KEY_BEHIND),
 * `err:<message>` when a read failed.
 * Invariants: the model answers exactly what a correct engine must: a scan yields the visible keys of its range in
 * order; seek(k) is accepted when k is in the range and strictly past the last key returned in the iteration
 * order, and moves to the first key at or past k.
 * Concurrency: pure, except the ShaleDB runner, which reads one database.
 */
import type { Db } from '../../src/db/db.js';
import type { DbIterator } from '../../src/db/db-iterator.js';
import type { ScanRange } from '../../src/db/options.js';
import type { Snapshot } from '../../src/db/snapshot.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { isShaleDBError } from '../../src/util/errors.js';

/** Key bounds in hex; absent bounds are open. */
export interface HexRange {
  readonly start?: string;
  readonly startInclusive: boolean;
  readonly end?: string;
  readonly endInclusive: boolean;
}

/** One step of a scan script before the scan is drained. */
export type ScanStep = { readonly next: true } | { readonly seek: string };

/** A read request; `snap` names a snapshot taken earlier (absent: the database's latest state). */
export type ReadRequest =
  | { readonly t: 'get'; readonly key: string; readonly snap?: number }
  | { readonly t: 'kv'; readonly key: string; readonly snap?: number }
  | {
      readonly t: 'scan';
      readonly range: HexRange;
      readonly order: 'asc' | 'desc';
      readonly steps: readonly ScanStep[];
      readonly snap?: number;
    }
  | { readonly t: 'prefix'; readonly prefix: string; readonly order: 'asc' | 'desc' };

/** Visible state: hex key -> value (hex) and the seq of its newest contributing version. */
export type ModelState = ReadonlyMap<string, { readonly value: string; readonly seq: number }>;

/** Most events one scan may produce (a guard against an iterator that never ends). */
export const MAX_SCAN_EVENTS = 5000;

export function inHexRange(key: string, r: HexRange): boolean {
  if (r.start !== undefined && (key < r.start || (key === r.start && !r.startInclusive))) return false;
  if (r.end !== undefined && (key > r.end || (key === r.end && !r.endInclusive))) return false;
  return true;
}

/**
 * The model's answer to one request. With `seekRules` 'slatedb-0.12.1', descending seeks behave as in SlateDB
 * 0.12.1 instead (a known bug, docs/compat-slatedb-0.12.1.md): one before the first row is accepted but does not
 * move, and one past the last key returned (a smaller key) is rejected as if it were behind.
 */
export function modelRead(
  state: ModelState,
  req: ReadRequest,
  seekRules: 'model' | 'slatedb-0.12.1' = 'model',
): string[] {
  if (req.t === 'get' || req.t === 'kv') {
    const e = state.get(req.key);
    if (e === undefined) return ['none'];
    return [req.t === 'get' ? `v:${e.value}` : `kv:${req.key}=${e.value}@${e.seq}`];
  }
  const keep =
    req.t === 'prefix' ? (k: string) => k.startsWith(req.prefix) : (k: string) => inHexRange(k, req.range);
  const keys = [...state.keys()].filter(keep).sort(compareHex);
  if (req.order === 'desc') keys.reverse();
  const out: string[] = [];
  let pos = 0;
  let last: string | undefined;
  const asc = req.order === 'asc';
  const steps = req.t === 'scan' ? req.steps : [];
  const next = (): boolean => {
    if (pos >= keys.length) {
      out.push('end');
      return false;
    }
    const k = keys[pos++]!;
    const e = state.get(k)!;
    out.push(`kv:${k}=${e.value}@${e.seq}`);
    last = k;
    return true;
  };
  for (const s of steps) {
    if ('next' in s) {
      next();
      continue;
    }
    if (req.t === 'scan' && !inHexRange(s.seek, req.range)) {
      out.push('seek-err:SEEK_KEY_OUT_OF_RANGE');
      continue;
    }
    if (last !== undefined && (asc ? compareHex(s.seek, last) <= 0 : compareHex(s.seek, last) >= 0)) {
      out.push('seek-err:SEEK_KEY_BEHIND');
      continue;
    }
    if (!asc && seekRules === 'slatedb-0.12.1') {
      out.push(last === undefined ? 'seek' : 'seek-err:SEEK_KEY_BEHIND');
      continue;
    }
    pos = keys.findIndex((k) => (asc ? compareHex(k, s.seek) >= 0 : compareHex(k, s.seek) <= 0));
    if (pos < 0) pos = keys.length;
    out.push('seek');
  }
  while (out.length < MAX_SCAN_EVENTS && next()) {}
  return out;
}

/** Orders hex keys as their bytes (a shorter key that is a prefix comes first, as with bytes). */
export function compareHex(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toScanRange(r: HexRange): ScanRange {
  const out: { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array } = {};
  if (r.start !== undefined) out[r.startInclusive ? 'gte' : 'gt'] = fromHex(r.start);
  if (r.end !== undefined) out[r.endInclusive ? 'lte' : 'lt'] = fromHex(r.end);
  return out;
}

function errorEvent(e: unknown): string {
  if (isShaleDBError(e)) return `err:${e.kind}/${e.code}: ${e.message}`;
  return `err:${e instanceof Error ? e.message : String(e)}`;
}

/** What driveScan needs of an engine's iterator. */
export interface StepIterator {
  next(): Promise<{ key: Uint8Array; value: Uint8Array; seq: bigint | number } | undefined>;
  seek(key: Uint8Array): Promise<void>;
}

/** How one engine names its errors, and how its iterator is released. */
export interface StepHooks {
  /** The event for a rejected seek ('seek-err:SEEK_KEY_...'), or undefined when `e` is not one. */
  seekError(e: unknown): string | undefined;
  errorEvent(e: unknown): string;
  close(): void;
}

/** Runs a scan's steps on either engine's iterator and records the events both engines are compared on. */
export async function driveScan(
  it: StepIterator,
  steps: readonly ScanStep[],
  hooks: StepHooks,
): Promise<string[]> {
  const out: string[] = [];
  const next = async (): Promise<boolean> => {
    const kv = await it.next();
    if (kv === undefined) {
      out.push('end');
      return false;
    }
    out.push(`kv:${toHex(kv.key)}=${toHex(kv.value)}@${Number(kv.seq)}`);
    return true;
  };
  try {
    for (const s of steps) {
      if ('next' in s) {
        await next();
        continue;
      }
      try {
        await it.seek(fromHex(s.seek));
        out.push('seek');
      } catch (e) {
        const code = hooks.seekError(e);
        if (code === undefined) throw e;
        out.push(code);
      }
    }
    while (out.length < MAX_SCAN_EVENTS && (await next())) {}
  } catch (e) {
    out.push(hooks.errorEvent(e));
  } finally {
    hooks.close();
  }
  return out;
}

function drive(it: DbIterator, steps: readonly ScanStep[]): Promise<string[]> {
  return driveScan(it, steps, {
    seekError: (e) =>
      isShaleDBError(e, 'invalid') && e.code.startsWith('SEEK_KEY_') ? `seek-err:${e.code}` : undefined,
    errorEvent,
    close: () => it.close(),
  });
}

/** ShaleDB's answer to one request, read from the database or one of its snapshots. */
export async function shaleRead(
  db: Db,
  snaps: ReadonlyMap<number, Snapshot>,
  req: ReadRequest,
): Promise<string[]> {
  const src: Db | Snapshot = req.t !== 'prefix' && req.snap !== undefined ? snaps.get(req.snap)! : db;
  try {
    if (req.t === 'get') {
      const v = await src.get(fromHex(req.key));
      return [v === undefined ? 'none' : `v:${toHex(v)}`];
    }
    if (req.t === 'kv') {
      const kv = await src.getKeyValue(fromHex(req.key));
      return [kv === undefined ? 'none' : `kv:${toHex(kv.key)}=${toHex(kv.value)}@${kv.seq}`];
    }
    if (req.t === 'prefix') return drive(db.scanPrefix(fromHex(req.prefix), { order: req.order }), []);
    return drive(src.scan(toScanRange(req.range), { order: req.order }), req.steps);
  } catch (e) {
    return [errorEvent(e)];
  }
}
