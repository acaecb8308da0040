/**
 * No test may skip itself: every suite either runs or fails with a message naming its missing prerequisite (see
 * test/support/test-server-process.ts `serverUnavailable` and test/support/slatedb-oracle.ts `requireOracle`).
 * This lint reads every test file (`*.test.ts` under src/ and test/) and every helper under test/ and fails on
 * node:test's ways to leave a test out (`t.skip(...)`, `test.skip`, `describe.skip`, `{ skip: ... }`, `todo`,
 * `only`) and on a test's behaviour depending on an environment variable through a condition (`if
 * (process.env...)`, a ternary, `&&`/`||`, or the `CI` variable at all). Each failure names the file, the line
 * and the fix. Comments are not checked, so prose may say "skip".
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = resolve(dirname(here), '../..');

function walk(dir: string, keep: (name: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, keep, out);
    else if (keep(name)) out.push(p);
  }
  return out;
}

/** Code with comments blanked out (line numbers kept): `/* ... *\/` blocks and `//` comments after a space. */
function stripComments(text: string): string {
  const blank = (s: string): string => s.replace(/[^\n]/g, ' ');
  return text
    .replace(/\/\*[\s\S]*?\*\//g, blank)
    .replace(/(^|[\s;{}(),])\/\/[^\n]*/g, (m, lead: string) => lead + blank(m.slice(lead.length)));
}

/** The rules: a pattern over comment-free code, and what to do instead. */
const RULES: readonly { readonly re: RegExp; readonly why: string }[] = [
  {
    re: /\.(skip|todo|only)\s*\(/,
    why: 'a skipped, todo or only test: make the test run, or fail with a message naming what is missing',
  },
  {
    re: /[{,]\s*(skip|todo|only)\s*[:,}]/,
    why: 'a skip/todo/only option: remove it; a missing prerequisite must fail the test, not skip it',
  },
  {
    re: /(^|[^\w.#])(skip|todo)\s*\(/,
    why: 'a call to skip() or todo(): remove it; a missing prerequisite must fail the test, not skip it',
  },
  {
    re: /process\.env(\.CI\b|\[\s*['"`]CI['"`]\s*\])/,
    why: 'behaviour that depends on CI: a test behaves the same everywhere',
  },
  {
    re: /process\.env.*(\bif\s*\(|\s\?\s|&&|\|\|)|(\bif\s*\(|\s\?\s|&&|\|\|).*process\.env/,
    why: 'a condition on an environment variable: a test must not decide to run or not from the environment',
  },
];

/**
 * Documented knobs that change what a test does, never whether it runs: SHALEDB_SEED (rerun a randomized test
 * with one seed) and SHALEDB_REWRITE (rewrite data-driven expected outputs). A condition on one of them is allowed.
 */
const KNOBS = /process\.env(\.|\[\s*['"`])SHALEDB_(SEED|REWRITE)\b/g;

/** Findings in one file's text: `line: rule` per match. */
function findSkips(text: string): string[] {
  const out: string[] = [];
  const lines = stripComments(text).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(KNOBS, 'KNOB');
    for (const { re, why } of RULES) if (re.test(line)) out.push(`${i + 1}: ${why}\n    ${lines[i]!.trim()}`);
  }
  return out;
}

test('no test file or test helper skips, marks todo or only, or runs conditionally on the environment', () => {
  const files = [
    ...walk(join(root, 'src'), (n) => n.endsWith('.test.ts')),
    ...walk(join(root, 'test'), (n) => /\.(ts|mjs|js)$/.test(n)),
  ].filter((f) => f !== here);
  assert.ok(files.length > 50, `only ${files.length} files found: the walk is broken`);
  const problems: string[] = [];
  for (const f of files) {
    for (const p of findSkips(readFileSync(f, 'utf8'))) problems.push(`${relative(root, f)}:${p}`);
  }
  assert.deepEqual(problems, [], `tests must run or fail, never skip:\n${problems.join('\n')}`);
});

test('the lint finds each way to skip, and leaves comments, prose and ordinary code alone', () => {
  const bad = [
    "  if (typeof m === 'string') return t.skip(m);",
    "test.skip('x', () => {});",
    "describe.skip('x', () => {});",
    "it.todo('later');",
    "test('x', { skip: 'no server' }, () => {});",
    "test('x', { todo: true }, () => {});",
    "test('x', { only: true }, () => {});",
    "test('x', { timeout: 5, skip }, () => {});",
    "test('x', ({ skip }) => { skip('no'); });",
    "if (process.env['CI'] === 'true') throw new Error('x');",
    'const ci = process.env.CI;',
    "if (process.env['HAS_RGW']) describeRgw();",
    "const run = process.env['X'] ? test : () => {};",
    "process.env['X'] && test('x', () => {});",
    "if (process.env['SHALEDB_SEED'] && process.env['HAS_RGW']) run();",
  ];
  for (const line of bad) assert.ok(findSkips(line).length > 0, `not caught: ${line}`);
  const good = [
    '/** The oracle fails the suite (it never skips); Tests only: a note. */',
    "// test.skip('x') would be wrong here",
    "  it('list with startAfter skips paths <= it', () => {});",
    "const key = process.env['ACCESS_KEY'] ?? 'TESTKEY';",
    "const unavailable = process.env['X_UNAVAILABLE'];",
    "const seeds = process.env['SHALEDB_SEED'] ? [Number(process.env['SHALEDB_SEED'])] : DEFAULTS;",
    'this.#skipBelow = lower;',
    "const url = 'http://127.0.0.1/x'; // a comment after code",
    'const options = { skipApiVersionCheck: true };',
  ];
  for (const line of good) assert.deepEqual(findSkips(line), [], `false alarm: ${line}`);
});
