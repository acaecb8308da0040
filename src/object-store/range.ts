/**
 * Resolving a GetRange against an object's size, the same way in every store.
 *
 * Invariants: 0 <= offset <= end <= size. A range starting past the end yields an empty result; negative or
 * non-integer values are an 'invalid' error.
 * Concurrency: pure.
 */
import { ShaleDBError } from '../util/errors.js';
import type { GetRange } from './object-store.js';

/** Clamps `range` to `[0, size)`. */
export function resolveRange(
  range: GetRange | undefined,
  size: number,
  path: string,
): { offset: number; end: number } {
  if (range === undefined) return { offset: 0, end: size };
  if ('suffix' in range) {
    checkCount(range.suffix, path);
    return { offset: Math.max(0, size - range.suffix), end: size };
  }
  checkCount(range.offset, path);
  if (range.length !== undefined) checkCount(range.length, path);
  const offset = Math.min(range.offset, size);
  const end = range.length === undefined ? size : Math.min(size, range.offset + range.length);
  return { offset, end: Math.max(offset, end) };
}

function checkCount(v: number, path: string): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new ShaleDBError('invalid', 'INVALID_RANGE', `get ${path}: invalid range value ${v}`);
  }
}
