/**
 * Flatbuffer writing helpers over the official `flatbuffers` Builder, shared by the manifest, compactions and
 * SST metadata encoders (docs/format.md#flatbuffers).
 *
 * Invariants: the encoders add fields in the order SlateDB's generated Rust `create` functions add them
 * (largest scalars first, then reverse schema order within a size) and create nested objects in the order
 * SlateDB's code creates them, so the bytes equal what SlateDB 0.12.1 writes. Defaults are omitted (the
 * runtime's force_defaults stays off), as in Rust.
 * Concurrency: a Builder has one owner.
 */
import { Builder, type Offset } from 'flatbuffers';
import type { Ulid, Uuid } from '../util/ids.js';

export { Builder, type Offset };

/** A new builder. */
export function newBuilder(initialSize = 1024): Builder {
  return new Builder(initialSize);
}

/** Creates a [ubyte] vector. */
export function createBytes(b: Builder, bytes: Uint8Array): Offset {
  return b.createByteVector(bytes);
}

/** Creates a vector of offsets (tables, strings, vectors). */
export function createOffsetVector(b: Builder, offsets: readonly Offset[]): Offset {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

/** Creates a [uint32] vector. */
export function createU32Vector(b: Builder, values: readonly number[]): Offset {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]! | 0);
  return b.endVector();
}

/** Creates a `Ulid` table (fields added low, then high, as Rust does). */
export function createUlid(b: Builder, id: Ulid): Offset {
  b.startObject(2);
  b.addFieldInt64(1, BigInt.asIntN(64, id.low), 0n);
  b.addFieldInt64(0, BigInt.asIntN(64, id.high), 0n);
  return b.endObject();
}

/** Creates a `Uuid` table (low, then high). */
export function createUuid(b: Builder, id: Uuid): Offset {
  b.startObject(2);
  b.addFieldInt64(1, BigInt.asIntN(64, id.low), 0n);
  b.addFieldInt64(0, BigInt.asIntN(64, id.high), 0n);
  return b.endObject();
}

/** A u64 field value for addFieldInt64. */
export function u64(v: number): bigint {
  return BigInt(v);
}

/** Finishes the buffer with `root` and returns a copy of its bytes, optionally after a u16 BE version. */
export function finishBytes(b: Builder, root: Offset, versionPrefix?: number): Uint8Array {
  b.finish(root);
  const data = b.asUint8Array();
  if (versionPrefix === undefined) return data.slice();
  const out = new Uint8Array(data.length + 2);
  out[0] = (versionPrefix >>> 8) & 0xff;
  out[1] = versionPrefix & 0xff;
  out.set(data, 2);
  return out;
}
