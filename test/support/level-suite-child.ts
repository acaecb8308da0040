/**
 * Child process for test/level/abstract-level-suite.test.ts: runs abstract-level's official test suite (tape)
 * against ShaleLevel, each database on its own memory store, and prints tape's TAP output.
 */
import test from 'tape';
import { ShaleLevel } from '../../src/level/index.js';
import { MemoryObjectStore } from '../../src/object-store/memory-store.js';

// @ts-expect-error: abstract-level's test suite ships without declarations
const { default: suite } = await import('abstract-level/test/index.js');

const settings = { flushInterval: '1ms', compactorOptions: null, garbageCollectorOptions: null } as const;

// Some suite tests leave a database open (its background flusher keeps the process alive), and tape prints its
// summary when the process exits: exit once every test has finished.
(test as unknown as { onFinish(f: () => void): void }).onFinish(() => setImmediate(() => process.exit()));

(suite as (o: unknown) => void)({
  test,
  factory(options?: object) {
    return new ShaleLevel(new MemoryObjectStore(), { ...options, db: { settings } });
  },
});
