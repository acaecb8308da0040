/**
 * Where the compaction worker's entry module is, from both builds and from the TypeScript sources (a `.cts` file
 * is CommonJS everywhere, so `__dirname` works without `import.meta`).
 *
 * Invariants: from dist/ (ESM or CommonJS) the entry is the sibling `compaction-worker.js` of the same build; from
 * the sources (run through tsx) it is `compaction-worker.ts`, which a worker can load only after registering tsx.
 * Concurrency: constants.
 */
import nodePath = require('node:path');

const fromSources = __filename.endsWith('.cts');

export = {
  /** Absolute path of the worker's entry module. */
  file: nodePath.join(__dirname, fromSources ? 'compaction-worker.ts' : 'compaction-worker.js'),
  /** True when running from the TypeScript sources. */
  fromSources,
};
