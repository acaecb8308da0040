/**
 * TempDirs: the run's temp root and the fresh directory each engine gets per workload, all on one disk, removed
 * after use and at exit (including on Ctrl-C).
 *
 * Invariants: every directory handed out is new and empty and lies under the root; `removeAll` leaves nothing.
 * Concurrency: single event loop; the harness runs one engine at a time.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The temp directories of one run. */
export class TempDirs {
  readonly root: string;
  #next = 0;

  /** Makes `<parent>/shaledb-bench-<pid>-<stamp>`. */
  constructor(parent: string, stamp: string) {
    this.root = resolve(parent, `shaledb-bench-${process.pid}-${stamp}`);
    mkdirSync(this.root, { recursive: true });
  }

  /** A new empty directory named after `tag`. */
  fresh(tag: string): string {
    const dir = join(
      this.root,
      `${String(this.#next++).padStart(3, '0')}-${tag.replace(/[^a-zA-Z0-9.-]+/g, '-')}`,
    );
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Removes one directory handed out earlier. */
  async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Removes the root and everything in it (synchronous, so it also works in exit handlers). */
  removeAll(): void {
    rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}
