/**
 * Real temporary directories for IO tests: one per test under the OS temp dir, removed afterwards.
 *
 * Invariants: every directory made by `withTempDir` is removed when its callback settles, pass or fail.
 * Concurrency: each call gets its own directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `fn` with a fresh empty directory and removes it afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'shaledb-io-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
