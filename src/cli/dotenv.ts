/**
 * A minimal `.env` reader for `--env-file` (slatedb-cli reads one with dotenvy before looking at CLOUD_PROVIDER):
 * `KEY=value` lines, optional `export ` prefix, `#` comments, values in single quotes (literal), double quotes
 * (with \n, \t, \", \\ escapes) or bare (trailing ` #comment` and surrounding spaces dropped).
 *
 * Invariants: variables already set in the environment win over the file's (as dotenvy's `from_filename`); a
 * missing default `.env` is not an error, a missing named file is; a malformed line is an 'invalid' error naming
 * the file and line.
 * Concurrency: pure parsing; loading reads one file.
 */
import { readFileSync } from 'node:fs';
import { invalidError } from '../util/errors.js';

/** Parses `.env` text into variables. `file` names the source in errors. */
export function parseDotenv(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (m === null) throw invalidError('INVALID_SETTING', `${file}:${i + 1}: expected KEY=value`);
    out.set(m[1]!, unquote(m[2]!, `${file}:${i + 1}`));
  }
  return out;
}

function unquote(raw: string, where: string): string {
  const q = raw[0];
  if (q === "'" || q === '"') {
    let end = 1;
    while (end < raw.length && raw[end] !== q) end += q === '"' && raw[end] === '\\' ? 2 : 1;
    if (end >= raw.length) throw invalidError('INVALID_SETTING', `${where}: unterminated ${q} quote`);
    const body = raw.slice(1, end);
    if (q === "'") return body;
    return body.replace(/\\([nt"\\])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  }
  return raw.replace(/\s+#.*$/, '').trim();
}

/**
 * The environment with `file`'s variables added under the existing ones. `required` false: a missing file adds
 * nothing (the default `.env`).
 */
export function withDotenv(
  env: Readonly<Record<string, string | undefined>>,
  file: string,
  required: boolean,
): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return { ...env };
    throw invalidError('INVALID_SETTING', `--env-file ${file}: ${(e as Error).message}`, e);
  }
  const out: Record<string, string | undefined> = { ...env };
  for (const [k, v] of parseDotenv(text, file)) if (out[k] === undefined) out[k] = v;
  return out;
}
