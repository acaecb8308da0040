/**
 * A CommonJS `require` bound to this package's location, for loading optional native modules synchronously on
 * first use from both the ESM and the CommonJS build (a `.cts` file is CommonJS in both, so no `import.meta`).
 *
 * Invariants: resolves packages exactly as an import from this package would; never called at module load.
 * Concurrency: Node's module cache makes repeated calls cheap and idempotent.
 */
import nodeModule = require('node:module');

// createRequire, not the module's own `require`: under loader hooks (tsx) Node 20 hands CommonJS files a limited
// `require` that cannot load some native packages.
export = nodeModule.createRequire(__filename);
