/**
 * Where a worker entry module is, from both builds and from the TypeScript sources (a `.cts` file is CommonJS
 * everywhere, so `__dirname` works without `import.meta`).
 *
 * Invariants: `src/` and `dist/` (or `dist/cjs/`) have the same layout, so a module named relative to `src/`
 * (without extension) is `<that>.js` next to this build's own files, or `<that>.ts` from the sources, which a
 * worker can load only after registering tsx.
 * Concurrency: pure.
 */
import nodePath = require('node:path');

const fromSources = __filename.endsWith('.cts');

export = {
  /** The entry module `srcRelative` (such as 'compactor/compaction-worker', no extension) of this build. */
  resolve(srcRelative: string): { readonly file: string; readonly fromSources: boolean } {
    const file = nodePath.join(__dirname, '..', `${srcRelative}${fromSources ? '.ts' : '.js'}`);
    return { file, fromSources };
  },
};
