/**
 * The ObjectStore contract suite: one set of node:test cases every store and wrapper runs (memory, local, S3 on
 * RGW, Azure on Azurite, GCS on the fake, and the wrappers). A store that lacks a feature says so in `supports`;
 * the case then asserts the documented limitation instead of being skipped, so nothing is skipped silently.
 *
 * Usage: `describeObjectStoreContract('memory', { makeStore: async () => new MemoryObjectStore() })`. `makeStore`
 * is called once per case and must return an empty store (a fresh prefix is enough for remote stores).
 * Randomized cases print their seed and rerun from SHALEDB_SEED.
 */
import { after, describe } from 'node:test';
import type { ObjectStore } from '../../src/object-store/object-store.js';
import { testSeed } from '../../src/util/random.js';
import { registerBasicCases } from './object-store-contract-basic.js';
import { registerConditionalCases } from './object-store-contract-conditional.js';
import { registerLargeAndFaultCases } from './object-store-contract-large.js';

/** What a store can do; every flag defaults to true. */
export interface ObjectStoreSupports {
  /**
   * A path may be an object and also a prefix of other objects' paths (`a/1` and `a/1/x`). False for the local
   * store (a file cannot also be a directory; Rust's LocalFileSystem has the same limit): such a put fails with a
   * typed error.
   */
  readonly objectAndPrefixKeys: boolean;
  /** Keys with a backslash round-trip as written. False for Azure, where the SDK turns '\\' into '/'. */
  readonly backslashKeys: boolean;
  /** Keys with ASCII control characters (U+0001..U+001F) round-trip and list. */
  readonly controlCharacterKeys: boolean;
  /**
   * Listings order keys in U+E000..U+FFFF below keys with supplementary characters (emoji), as UTF-8 bytes do.
   * Azurite sorts by UTF-16 code units instead.
   */
  readonly codePointListOrder: boolean;
  /**
   * Etags name versions: rewriting identical bytes yields a new etag. False for S3, whose etag is the MD5 of the
   * content (so an ABA with identical bytes matches an old etag; harmless, as the bytes are the same).
   */
  readonly versionEtags: boolean;
  /**
   * Losers of a create or CAS race may fail with a transient error instead of already-exists /
   * precondition-failed (Ceph RGW answers some losing concurrent If-Match PUTs with HTTP 500). The race cases still
   * require exactly one success and the winner's bytes; RetryingObjectStore turns such failures into the typed
   * conflict by reading back.
   */
  readonly conditionalLosersMayBeTransient: boolean;
  /** Objects of 64 MiB and more, whole and streamed. */
  readonly largeObjects: boolean;
  /** Concurrent creators / CAS writers in the race cases (default 16). */
  readonly racers: number;
  /**
   * Objects created for the multi-page listing case (default 250). Build remote stores with a list page size
   * below this (the suites use 100) so that the listing spans several pages.
   */
  readonly listingObjects: number;
}

/** How to build the stores under test. */
export interface ContractOptions {
  /** A fresh, empty store per case. The suite closes it after the case. */
  readonly makeStore: () => Promise<ObjectStore>;
  readonly supports?: Partial<ObjectStoreSupports>;
  /** Runs once after every case (stop servers, remove directories). */
  readonly teardown?: () => Promise<void>;
  /** The seed for randomized cases (default `testSeed()`); pass the file's own seed so one printed seed covers it. */
  readonly seed?: number;
}

/** What the case groups receive. */
export interface ContractContext {
  readonly supports: ObjectStoreSupports;
  readonly seed: number;
  /** Runs `body` with a fresh store and closes it afterwards. */
  withStore<T>(body: (store: ObjectStore) => Promise<T>): Promise<T>;
}

/** Registers the whole contract suite for one store under `describe(name)`. */
export function describeObjectStoreContract(name: string, options: ContractOptions): void {
  const supports: ObjectStoreSupports = {
    objectAndPrefixKeys: true,
    backslashKeys: true,
    controlCharacterKeys: true,
    codePointListOrder: true,
    versionEtags: true,
    conditionalLosersMayBeTransient: false,
    largeObjects: true,
    racers: 16,
    listingObjects: 250,
    ...options.supports,
  };
  const seed = options.seed ?? testSeed();
  const ctx: ContractContext = {
    supports,
    seed,
    async withStore(body) {
      const store = await options.makeStore();
      try {
        return await body(store);
      } finally {
        await store.close();
      }
    },
  };
  describe(`ObjectStore contract: ${name}`, () => {
    console.log(`# contract ${name}: seed ${seed} (rerun with SHALEDB_SEED=${seed})`);
    if (options.teardown !== undefined) after(options.teardown);
    registerBasicCases(ctx);
    registerConditionalCases(ctx);
    registerLargeAndFaultCases(ctx);
  });
}
