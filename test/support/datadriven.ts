/**
 * Data-driven tests, as Pebble writes them: each file under testdata/<area>/ holds cases of the form
 *
 *     # comments and blank lines between cases are kept as they are
 *     command arg key=value ...
 *     input lines (any number, none allowed)
 *     ----
 *     expected output lines (up to the next blank line or the end of the file)
 *
 * `runDataDriven(area, handler)` registers one node:test test per file that runs every case through `handler` and
 * compares its output with the expected text. Run a test file with `--rewrite` (node --import tsx <file>
 * --rewrite) or with SHALEDB_REWRITE=1 to write the actual outputs back into the files instead (then review the
 * diff). Outputs may not contain blank lines (the handler should print "(empty)" instead).
 *
 * Invariants: without rewrite, files are only read; rewriting changes only the expected-output blocks.
 * Concurrency: cases of one file run one at a time, in order.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One case. */
export interface DataDrivenCase {
  /** File and line of the command, for messages. */
  readonly pos: string;
  readonly command: string;
  /** Positional arguments after the command. */
  readonly args: readonly string[];
  /** key=value arguments. */
  readonly kv: Readonly<Record<string, string>>;
  /** Input lines between the command and `----`. */
  readonly input: readonly string[];
  readonly expected: string;
}

interface Parsed {
  readonly lines: string[];
  readonly cases: { c: DataDrivenCase; outStart: number; outEnd: number }[];
}

/** True when the process was asked to rewrite expected outputs. */
export function rewriteRequested(): boolean {
  return process.argv.includes('--rewrite') || process.env['SHALEDB_REWRITE'] === '1';
}

/** Parses one file's text into cases. */
export function parseDataDriven(text: string, file: string): Parsed {
  const lines = text.split('\n');
  const cases: Parsed['cases'] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    const pos = `${file}:${i + 1}`;
    const [command, ...rest] = line.trim().split(/\s+/);
    const args: string[] = [];
    const kv: Record<string, string> = {};
    for (const r of rest) {
      const eq = r.indexOf('=');
      if (eq > 0) kv[r.slice(0, eq)] = r.slice(eq + 1);
      else args.push(r);
    }
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== '----') {
      if (lines[i]!.trim() === '') throw new Error(`${pos}: a case's input ends with a "----" line`);
      input.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) throw new Error(`${pos}: no "----" line after the input`);
    i++;
    const outStart = i;
    while (i < lines.length && lines[i]!.trim() !== '') i++;
    const expected = lines.slice(outStart, i).join('\n');
    cases.push({ c: { pos, command: command!, args, kv, input, expected }, outStart, outEnd: i });
  }
  return { lines, cases };
}

/** Runs every file under testdata/<area>/ through `handler` (one test per file). */
export function runDataDriven(area: string, handler: (c: DataDrivenCase) => string | Promise<string>): void {
  const dir = join(root, 'testdata', area);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort();
  if (files.length === 0) throw new Error(`no test files in ${dir}`);
  for (const name of files) {
    const path = join(dir, name);
    test(`${area}/${name}`, async () => {
      const rel = relative(root, path);
      const parsed = parseDataDriven(readFileSync(path, 'utf8'), rel);
      const rewrite = rewriteRequested();
      const outputs: string[] = [];
      for (const { c } of parsed.cases) {
        let actual: string;
        try {
          actual = (await handler(c)).replace(/\n+$/, '');
        } catch (e) {
          actual = `error: ${e instanceof Error ? e.message : String(e)}`;
        }
        if (actual === '' || /\n\s*\n/.test(actual))
          throw new Error(`${c.pos}: the output is empty or has a blank line`);
        if (rewrite) outputs.push(actual);
        else assert.equal(actual, c.expected, `${c.pos}: ${c.command}`);
      }
      if (rewrite) {
        const out = [...parsed.lines];
        for (let k = parsed.cases.length - 1; k >= 0; k--) {
          const { outStart, outEnd } = parsed.cases[k]!;
          out.splice(outStart, outEnd - outStart, ...outputs[k]!.split('\n'));
        }
        writeFileSync(path, out.join('\n'));
      }
    });
  }
}
