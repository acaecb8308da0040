/**
 * Logging hook: ShaleDB reports what its background work absorbs (a failed WAL or L0 upload that will be retried,
 * a compaction job that failed, a GC task error, a disk-cache write that hit a full disk) through a Logger instead
 * of dropping it. A record is a level, a message and structured fields.
 *
 * The default logger writes records at `warn` and above to stderr as one JSON line each; `SHALEDB_LOG`
 * (`off`, `error`, `warn`, `info`, `debug`) changes its threshold. Pass your own `logger` to route records elsewhere.
 * Invariants: a logger never throws into ShaleDB (errors of a user's logger are swallowed by `safeLogger`).
 * Concurrency: synchronous calls on the event loop.
 */

/** Severity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields of a record. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Where log records go. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel | 'off', number> = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };

function fieldValue(v: unknown): unknown {
  if (v instanceof Error) {
    const e = v as Error & { kind?: unknown; code?: unknown };
    return {
      name: e.name,
      message: e.message,
      ...(e.kind !== undefined ? { kind: e.kind } : {}),
      ...(e.code !== undefined ? { code: e.code } : {}),
    };
  }
  return typeof v === 'bigint' ? v.toString() : v;
}

/** A logger writing JSON lines (`{"level","msg",...fields}`) at or above `threshold` to `write`. */
export function jsonLogger(
  threshold: LogLevel | 'off',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  return {
    log(level, message, fields = {}) {
      if (RANK[level] < RANK[threshold]) return;
      const record: Record<string, unknown> = { level, msg: message, component: 'shaledb' };
      for (const [k, v] of Object.entries(fields)) record[k] = fieldValue(v);
      write(`${JSON.stringify(record)}\n`);
    },
  };
}

function envThreshold(): LogLevel | 'off' {
  const v = process.env['SHALEDB_LOG']?.toLowerCase();
  return v === 'off' || v === 'error' || v === 'warn' || v === 'info' || v === 'debug' ? v : 'warn';
}

/** The default logger (stderr JSON lines at `SHALEDB_LOG`, default `warn`). */
export function defaultLogger(): Logger {
  return jsonLogger(envThreshold());
}

/** Wraps a user's logger so that its failures never reach ShaleDB. */
export function safeLogger(inner: Logger): Logger {
  return {
    log(level, message, fields) {
      try {
        inner.log(level, message, fields);
      } catch {
        // A broken logger must not break the database.
      }
    },
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { log() {} };
