/**
 * The codec implementations behind compression.ts, loaded on first use so a missing optional package (a native
 * build absent after `--ignore-scripts`, pnpm or a slim image) breaks only the codec that needs it, never the
 * package. zstd uses Node's built-in zlib zstd where the runtime has it (Node >= 22.15), else `zstd-napi`.
 *
 * Invariants: a load failure is remembered and every later use fails the same way, with an error naming the
 * package to install; 'invalid' when writing (the settings ask for a codec this install cannot provide),
 * 'unavailable' when reading (the stored data is fine; this process cannot decode it).
 * Concurrency: synchronous; loads are cached for the life of the process.
 */
import * as zlib from 'node:zlib';
import { invalidError, type ShaleDBError, unavailableError } from '../util/errors.js';
import nativeRequire from '../util/native-require.cjs';

/** A codec's raw compress and decompress. */
export interface CodecImpl {
  readonly name: string;
  compress(raw: Buffer): Buffer;
  decompress(stored: Buffer): Buffer;
}

/** Codecs that need a package (zlib is always built in). */
export type LoadableCodec = 'snappy' | 'lz4' | 'zstd';

/** The npm package each loadable codec needs. */
export const CODEC_PACKAGES: Readonly<Record<LoadableCodec, string>> = {
  snappy: 'snappy',
  lz4: 'lz4-napi',
  zstd: 'zstd-napi',
};

// Copied (not external) output buffers: several times cheaper per call for block-sized inputs.
const SNAPPY_OPTIONS = { copyOutputData: true };
const SNAPPY_DECODE_OPTIONS = { asBuffer: true, copyOutputData: true };
const ZSTD_LEVEL = 3;

/** Node's built-in zstd (Node >= 22.15), absent from older runtimes and from @types/node 20. */
interface NodeZstd {
  zstdCompressSync(b: Buffer, o: { params: Record<number, number> }): Buffer;
  zstdDecompressSync(b: Buffer): Buffer;
  constants: { ZSTD_c_compressionLevel: number };
}

type Loader = () => CodecImpl;

const LOADERS: Record<LoadableCodec, Loader> = {
  snappy: () => {
    const m = nativeRequire('snappy') as {
      compressSync(b: Buffer, o: object): Buffer;
      uncompressSync(b: Buffer, o: object): Buffer | string;
    };
    return {
      name: 'snappy',
      compress: (b) => m.compressSync(b, SNAPPY_OPTIONS),
      decompress: (b) => m.uncompressSync(b, SNAPPY_DECODE_OPTIONS) as Buffer,
    };
  },
  lz4: () => {
    const m = nativeRequire('lz4-napi') as {
      compressSync(b: Buffer): Buffer;
      uncompressSync(b: Buffer): Buffer;
    };
    return { name: 'lz4-napi', compress: (b) => m.compressSync(b), decompress: (b) => m.uncompressSync(b) };
  },
  zstd: () => {
    const z = zlib as unknown as Partial<NodeZstd>;
    if (
      typeof z.zstdCompressSync === 'function' &&
      typeof z.zstdDecompressSync === 'function' &&
      z.constants !== undefined
    ) {
      const params = { [z.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL };
      const compress = z.zstdCompressSync;
      const decompress = z.zstdDecompressSync;
      return {
        name: 'node:zlib',
        compress: (b) => compress(b, { params }),
        decompress: (b) => decompress(b),
      };
    }
    const m = nativeRequire('zstd-napi') as {
      compress(b: Uint8Array, p: object): Buffer;
      decompress(b: Uint8Array): Buffer;
    };
    const p = { compressionLevel: ZSTD_LEVEL };
    return { name: 'zstd-napi', compress: (b) => m.compress(b, p), decompress: (b) => m.decompress(b) };
  },
};

const loaded = new Map<LoadableCodec, CodecImpl | Error>();
const overrides = new Map<LoadableCodec, Loader>();

/**
 * Test hook: replaces a codec's loader (undefined restores the real one) and forgets what was loaded.
 * @internal
 */
export function setCodecLoaderForTest(codec: LoadableCodec, loader: Loader | undefined): void {
  loaded.delete(codec);
  if (loader === undefined) overrides.delete(codec);
  else overrides.set(codec, loader);
}

function load(codec: LoadableCodec): CodecImpl | Error {
  let impl = loaded.get(codec);
  if (impl === undefined) {
    try {
      impl = (overrides.get(codec) ?? LOADERS[codec])();
    } catch (e) {
      impl = e instanceof Error ? e : new Error(String(e));
    }
    loaded.set(codec, impl);
  }
  return impl;
}

function missing(codec: LoadableCodec, cause: Error, forWrite: boolean): ShaleDBError {
  const pkg = CODEC_PACKAGES[codec];
  const message =
    `the ${codec} codec needs the npm package "${pkg}", which could not be loaded (${cause.message}); ` +
    `install it (\`npm install ${pkg}\`, with its install script allowed)` +
    (codec === 'zstd' ? ' or run on Node >= 22.15, which has zstd built in' : '');
  return forWrite
    ? invalidError('CODEC_UNAVAILABLE', message, cause)
    : unavailableError('CODEC_UNAVAILABLE', message, cause);
}

/**
 * The implementation of `codec`, loading it on first use. `forWrite` picks the error kind when it cannot load:
 * 'invalid' for a codec chosen in settings, 'unavailable' for a codec stored data uses.
 */
export function codecImpl(codec: LoadableCodec, forWrite: boolean): CodecImpl {
  const impl = load(codec);
  if (impl instanceof Error) throw missing(codec, impl, forWrite);
  return impl;
}
