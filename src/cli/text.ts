/**
 * Text forms shared by the `shaledb` commands: keys and values as escaped text (printable ASCII as is, `\\` and
 * `\xNN` otherwise, reversible with {@link decodeKey}), hex or base64; byte sizes; aligned tables.
 *
 * Invariants: `decodeKey(encodeBytes(b, e), e)` returns `b` for every encoding.
 * Concurrency: pure.
 */
import { usageError } from './args.js';

/** How keys and values are written and read on the command line. */
export type ByteEncoding = 'escape' | 'hex' | 'base64';

/** The encodings, for option choices. */
export const BYTE_ENCODINGS: readonly ByteEncoding[] = ['escape', 'hex', 'base64'];

/** `b` as text in `encoding`. */
export function encodeBytes(b: Uint8Array, encoding: ByteEncoding = 'escape'): string {
  if (encoding === 'hex') return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
  if (encoding === 'base64') return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
  let s = '';
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/** Bytes of a key given on the command line in `encoding`; `option` names the flag in errors. */
export function decodeKey(text: string, encoding: ByteEncoding, option: string): Uint8Array {
  if (encoding === 'hex') {
    if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw usageError(`${option}: not hex: ${JSON.stringify(text)}`);
    return new Uint8Array(Buffer.from(text, 'hex'));
  }
  if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text))
      throw usageError(`${option}: not base64: ${JSON.stringify(text)}`);
    return new Uint8Array(Buffer.from(text, 'base64'));
  }
  const out: number[] = [];
  const utf8 = Buffer.from(text, 'utf8');
  for (let i = 0; i < utf8.length; i++) {
    const c = utf8[i]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const next = String.fromCharCode(utf8[i + 1] ?? 0);
    if (next === '\\') {
      out.push(0x5c);
      i++;
    } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(utf8.subarray(i + 2, i + 4).toString())) {
      out.push(Number.parseInt(utf8.subarray(i + 2, i + 4).toString(), 16));
      i += 3;
    } else {
      throw usageError(`${option}: bad escape at ${i} in ${JSON.stringify(text)} (use \\\\ or \\xNN)`);
    }
  }
  return new Uint8Array(out);
}

/** A byte count for people: "812 B", "4.0 KiB", "1.5 MiB". */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Rows as left-aligned columns separated by two spaces (the last column is not padded). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((l) => `${l}\n`)
    .join('');
}
