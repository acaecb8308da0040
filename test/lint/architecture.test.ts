/**
 * Conventions as tests: layers import only downward, no import cycles, every source file opens with its header
 * comment, files stay under 800 lines, and time, randomness and timers come only from src/util. Each failure
 * names the file and the fix.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

/**
 * Layer rank: a file may import only from its own folder or from layers of lower rank, so folders of equal rank
 * never import each other: db, compactor and gc share what they need through store, and only the root open
 * (src/open/) assembles them.
 */
const LAYERS: Record<string, number> = {
  util: 0,
  io: 1,
  'object-store': 2,
  format: 3,
  lsm: 4,
  store: 5,
  db: 6,
  compactor: 6,
  gc: 6,
  open: 7,
  admin: 7,
  level: 7,
  cli: 8,
  '(root)': 9,
};

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const files = walk(src);
const sources = files.filter((f) => !f.endsWith('.test.ts'));

function layerOf(file: string): string {
  const rel = relative(src, file).split('/');
  return rel.length === 1 ? '(root)' : rel[0]!;
}

function importsOf(file: string, runtimeOnly = false): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s([^;]*?)from\s+'(\.[^']+)'/gms;
  for (const m of text.matchAll(re)) {
    // `import type` / `export type` vanish at runtime: they count for layering, not for cycles.
    if (runtimeOnly && /^type\s/.test(m[1]!)) continue;
    out.push(resolve(dirname(file), m[2]!.replace(/\.js$/, '.ts')));
  }
  const dyn = /import\(\s*'(\.[^']+)'\s*\)/g;
  for (const m of text.matchAll(dyn)) out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  return out;
}

test('layers import only downward', () => {
  const problems: string[] = [];
  for (const f of files) {
    const from = layerOf(f);
    assert.ok(from in LAYERS, `${relative(root, f)}: unknown layer folder "${from}"; add it to LAYERS`);
    for (const target of importsOf(f)) {
      if (!target.startsWith(src)) continue; // tests may import test support
      const to = layerOf(target);
      const ok = to === from || LAYERS[to]! < LAYERS[from]!;
      if (!ok) {
        problems.push(
          `${relative(root, f)} (${from}) imports ${relative(root, target)} (${to}): move shared code down`,
        );
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('no runtime import cycles', () => {
  const graph = new Map<string, string[]>();
  for (const f of sources)
    graph.set(
      f,
      importsOf(f, true).filter((t) => sources.includes(t)),
    );
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(root, p)).join(' -> '));
      return;
    }
    state.set(f, 'visiting');
    for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of sources) visit(f, []);
  assert.deepEqual(cycles, [], 'break the cycle by moving the shared part into its own file');
});

test('every file opens with a header comment and stays under 800 lines', () => {
  const problems: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (!/^(#![^\n]*\n)?\/\*\*/.test(text))
      problems.push(`${relative(root, f)}: open with a /** header comment */`);
    const lines = text.split('\n').length;
    if (lines > 800) problems.push(`${relative(root, f)}: ${lines} lines; split it by concept`);
  }
  assert.deepEqual(problems, []);
});

test('time, randomness and timers come only from src/util', () => {
  const banned = [
    /\bDate\.now\(/,
    /\bMath\.random\(/,
    /\bperformance\.now\(/,
    /\bcrypto\.randomUUID\(/,
    /\bsetTimeout\(/,
    /\bsetInterval\(/,
  ];
  const problems: string[] = [];
  for (const f of sources) {
    if (layerOf(f) === 'util' || relative(src, f).startsWith('cli/')) continue;
    const text = readFileSync(f, 'utf8');
    for (const re of banned) {
      if (re.test(text))
        problems.push(`${relative(root, f)}: uses ${re.source}; take a Clock or Rand instead`);
    }
  }
  assert.deepEqual(problems, []);
});
