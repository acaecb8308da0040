/**
 * prefixRange: the key range of every key that starts with a prefix, shared by every scanPrefix.
 *
 * Invariants: the prefix is non-empty (else 'invalid' INVALID_KEY); the end bound is the prefix with its last byte
 * below 0xff incremented (and the rest dropped), or open when every byte is 0xff; the caller's buffer is not changed.
 * Concurrency: pure.
 */
import { toBytes } from '../util/bytes.js';
import { invalidError } from '../util/errors.js';

/** The range of keys starting with `prefix`. */
export function prefixRange(prefix: Uint8Array | string): {
  start: Uint8Array;
  startInclusive: true;
  end?: Uint8Array;
} {
  const p = toBytes(prefix, 'prefix');
  if (p.length === 0) throw invalidError('INVALID_KEY', 'prefix must not be empty');
  for (let i = p.length - 1; i >= 0; i--) {
    if (p[i]! < 0xff) {
      const end = p.slice(0, i + 1);
      end[i]!++;
      return { start: p, startInclusive: true, end };
    }
  }
  return { start: p, startInclusive: true };
}
