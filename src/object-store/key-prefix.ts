/**
 * KeyPrefix: maps object paths to the full keys a bucket or container stores (`<prefix>/<path>`) and back, for the
 * cloud stores. A prefix is normalized once (no leading or trailing '/'); the empty prefix maps paths to
 * themselves.
 *
 * Invariants: `toPath(toKey(p)) === p`; listing prefixes map the same way, so key order under the prefix equals
 * path order (the prefix and its '/' are common to every key).
 * Concurrency: immutable.
 */
import { invalidError } from '../util/errors.js';

/** A store's key prefix. */
export class KeyPrefix {
  /** Normalized prefix, '' for none. */
  readonly prefix: string;
  readonly #withSlash: string;

  constructor(prefix: string | undefined) {
    const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (p.split('/').some((s) => s === '.' || s === '..') || /\/\//.test(p)) {
      throw invalidError('INVALID_ARGUMENT', `invalid key prefix ${JSON.stringify(prefix)}`);
    }
    this.prefix = p;
    this.#withSlash = p === '' ? '' : `${p}/`;
  }

  /** The stored key of `path` (also used for listing prefixes and startAfter values). */
  toKey(path: string): string {
    return this.#withSlash + path;
  }

  /** The path of a stored key, or undefined when the key is outside the prefix. */
  toPath(key: string): string | undefined {
    if (!key.startsWith(this.#withSlash)) return undefined;
    const path = key.slice(this.#withSlash.length);
    return path === '' ? undefined : path;
  }
}
