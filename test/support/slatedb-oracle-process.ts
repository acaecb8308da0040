/**
 * Runs SlateDB 0.12.1 oracle jobs in a child process (slatedb-oracle-child.ts) and kills it when the job has
 * reported: the child's databases end as in a crash (no shutdown), and SlateDB's native threads never run in
 * the test process.
 *
 * Invariants: the child is always killed (SIGKILL), on success, failure or timeout; results come back as plain
 * JSON (bytes as hex).
 * Concurrency: one child per job; jobs may run in parallel on different directories.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RowEntry, RowKind } from '../../src/format/row.js';
import { fromHex } from '../../src/util/bytes.js';
import type { OracleOptions } from './slatedb-oracle.js';
import type { BatchHandle, VisibleRow, WorkloadSpec } from './slatedb-workload.js';

/** A job for the child. */
export type OracleJob =
  | {
      readonly kind: 'workload';
      readonly options: OracleOptions;
      readonly spec: WorkloadSpec;
      readonly compact: boolean;
    }
  | { readonly kind: 'open-scan'; readonly options: OracleOptions; readonly compact: boolean }
  | { readonly kind: 'writers-and-reader'; readonly options: OracleOptions; readonly seed: number };

export interface HexRow {
  key: string;
  value: string;
  seq: number;
  kind?: RowKind;
  createTs: number | undefined;
  expireTs: number | undefined;
}

/** What a job reports. */
export interface OracleJobResult {
  handles?: BatchHandle[][];
  scan?: HexRow[];
  wal?: Record<string, HexRow[]>;
  readerSawWrite?: boolean;
}

const CHILD = fileURLToPath(new URL('./slatedb-oracle-child.ts', import.meta.url));

/** Runs one job in a fresh child; rejects with the child's error or after `timeoutMs`. */
export function runOracleJob(job: OracleJob, timeoutMs = 120_000): Promise<OracleJobResult> {
  const child = fork(CHILD, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<OracleJobResult>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`oracle job timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.on('message', (msg: { type: string; result?: OracleJobResult; message?: string }) => {
      clearTimeout(timer);
      if (msg.type === 'result') resolve(msg.result!);
      else reject(new Error(`oracle child: ${msg.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`oracle child exited early (code ${code}, signal ${signal})`));
    });
    child.send(job);
  }).finally(() => {
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
  });
}

/** Visible rows from a job's scan. */
export function scanRows(r: OracleJobResult): VisibleRow[] {
  return (r.scan ?? []).map((x) => ({
    key: fromHex(x.key),
    value: fromHex(x.value),
    seq: x.seq,
    createTs: x.createTs ?? undefined,
    expireTs: x.expireTs ?? undefined,
  }));
}

/** WAL rows by id from a job's WalReader dump. */
export function walRowsOf(r: OracleJobResult): Map<number, RowEntry[]> {
  const out = new Map<number, RowEntry[]>();
  for (const [id, rows] of Object.entries(r.wal ?? {})) {
    out.set(
      Number(id),
      rows.map((x) => ({
        key: fromHex(x.key),
        value: fromHex(x.value),
        seq: x.seq,
        kind: x.kind!,
        createTs: x.createTs ?? undefined,
        expireTs: x.expireTs ?? undefined,
      })),
    );
  }
  return out;
}
