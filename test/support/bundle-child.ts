/**
 * Bundles a crash-test child script (TypeScript, importing src/) into one ESM file under the worktree's ignored
 * `.tmp/` directory, so that each of many short-lived children starts as plain node in a fraction of the time a tsx
 * child takes to load and compile every module. Packages stay external and resolve from the repository's
 * node_modules. esbuild is the compiler tsx itself runs on (installed with it).
 *
 * Invariants: the bundle is rebuilt on every call (never stale); each call writes its own file.
 * Concurrency: safe across test files (distinct output names).
 */
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Bundles `script` and returns the path of the `.mjs` to run with plain node. */
export async function bundleChild(script: string): Promise<string> {
  const dir = join(ROOT, '.tmp', 'crash-children');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${basename(script, '.ts')}-${process.pid}-${Date.now()}.mjs`);
  await build({
    entryPoints: [script],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: out,
    logLevel: 'error',
    // CommonJS sources in the bundle (src/util/native-require.cts) call `require` and read `__filename`; an ESM
    // bundle has neither, so give it both.
    banner: {
      js: [
        "import { createRequire as __shaleCreateRequire } from 'node:module';",
        "import { fileURLToPath as __shaleFileURLToPath } from 'node:url';",
        'const require = __shaleCreateRequire(import.meta.url);',
        'const __filename = __shaleFileURLToPath(import.meta.url);',
      ].join('\n'),
    },
  });
  return out;
}
