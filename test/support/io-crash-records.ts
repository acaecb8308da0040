/**
 * Self-validating records for the IO crash suites: journal payloads and published files carry their own
 * identity, length and CRC-32C, so a reader can tell a whole record from a torn or foreign one.
 *
 * Format (big-endian): payload = round u32 | writer u32 | n u32 | length u32 | random bytes | CRC-32C u32 of all
 * before it. Object = "OBJ1" | round u32 | version u32 | length u32 | random bytes | CRC-32C u32 of all before it.
 * Invariants: `decode*` returns undefined for anything not produced by the matching `encode*`.
 * Concurrency: pure.
 */
import { readU32BE, writeU32BE } from '../../src/util/bytes.js';
import { crc32c } from '../../src/util/crc.js';
import type { Rand } from '../../src/util/random.js';

const OBJ_MAGIC = 0x4f424a31;

function seal(head: number[], size: number, rand: Rand): Uint8Array {
  const out = new Uint8Array(head.length * 4 + size + 4);
  for (let i = 0; i < head.length; i++) writeU32BE(out, i * 4, head[i]!);
  rand.fillBytes(out.subarray(head.length * 4, head.length * 4 + size));
  writeU32BE(out, out.length - 4, crc32c(out.subarray(0, out.length - 4)));
  return out;
}

function check(b: Uint8Array, words: number): number[] | undefined {
  if (b.length < words * 4 + 4) return undefined;
  if (readU32BE(b, b.length - 4) !== crc32c(b.subarray(0, b.length - 4))) return undefined;
  const head = Array.from({ length: words }, (_, i) => readU32BE(b, i * 4));
  if (head[words - 1] !== b.length - words * 4 - 4) return undefined;
  return head;
}

/** A journal payload of `size` random bytes. */
export function encodePayload(
  round: number,
  writer: number,
  n: number,
  size: number,
  rand: Rand,
): Uint8Array {
  return seal([round, writer, n, size], size, rand);
}

/** The identity of a payload, or undefined if it is not a whole one. */
export function decodePayload(b: Uint8Array): { round: number; writer: number; n: number } | undefined {
  const h = check(b, 4);
  return h === undefined ? undefined : { round: h[0]!, writer: h[1]!, n: h[2]! };
}

/** A published file of `size` random bytes. */
export function encodeObject(round: number, version: number, size: number, rand: Rand): Uint8Array {
  return seal([OBJ_MAGIC, round, version, size], size, rand);
}

/** The identity of a file's content, or undefined if it is not a whole object. */
export function decodeObject(b: Uint8Array): { round: number; version: number } | undefined {
  const h = check(b, 4);
  if (h === undefined || h[0] !== OBJ_MAGIC) return undefined;
  return { round: h[1]!, version: h[2]! };
}
