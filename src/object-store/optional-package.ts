/**
 * Loading an optional cloud SDK (an optional peer dependency) on demand: a missing package becomes an 'invalid'
 * PACKAGE_MISSING error that names the package to install and the URL scheme that needs it, instead of a bare
 * module-not-found from deep inside a store.
 *
 * Invariants: only a failure to find `pkg` itself is translated; any other load error (a broken install, a
 * missing transitive dependency) propagates unchanged so its real cause stays visible.
 * Concurrency: the module cache makes repeated loads cheap.
 */
import { invalidError } from '../util/errors.js';

/** True when `e` says the module `pkg` itself could not be found (ESM or CommonJS loader). */
export function isModuleNotFound(e: unknown, pkg: string): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return typeof message === 'string' && (message.includes(`'${pkg}'`) || message.includes(`"${pkg}"`));
}

/** Runs `load` (an `import()` of `pkg`); a missing `pkg` becomes PACKAGE_MISSING naming it and `scheme`. */
export async function importOptional<T>(pkg: string, scheme: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (!isModuleNotFound(e, pkg)) throw e;
    throw invalidError(
      'PACKAGE_MISSING',
      `${scheme} URLs need the optional package "${pkg}", which is not installed; run \`npm install ${pkg}\``,
      e,
    );
  }
}
