/**
 * PathGlob: matches object paths against shell-style patterns, for the fault-injection rules. `*` matches any run
 * of characters except '/', `**` matches any run including '/', `?` matches one character except '/'; every other
 * character matches itself. `wal/*.sst` matches `wal/00000000000000000001.sst` but not `wal/x/y.sst`; `**.sst`
 * matches every SST.
 *
 * Invariants: a pattern without wildcards matches exactly the equal path; matching is anchored at both ends.
 * Concurrency: immutable after construction.
 */

/** A compiled glob pattern. */
export class PathGlob {
  readonly pattern: string;
  readonly #re: RegExp;

  constructor(pattern: string) {
    this.pattern = pattern;
    let src = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*' && pattern[i + 1] === '*') {
        src += '.*';
        i++;
      } else if (c === '*') {
        src += '[^/]*';
      } else if (c === '?') {
        src += '[^/]';
      } else {
        src += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
      }
    }
    this.#re = new RegExp(`^${src}$`, 's');
  }

  /** True when `path` matches the whole pattern. */
  matches(path: string): boolean {
    return this.#re.test(path);
  }
}
