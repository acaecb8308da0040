/**
 * Local-store names: how an object path becomes a file path under the store's root, exactly as Rust
 * object_store 0.12.3's LocalFileSystem lays it out (so SlateDB 0.12.1 and ShaleDB find each other's objects),
 * and which file names are not objects.
 *
 * Mapping: each '/'-separated segment is percent-encoded like object_store's `PathPart` (ASCII controls, bytes
 * >= 0x80 and `/ \ { ^ } % ` ] " > [ ~ < # | * ?` become `%XX`, upper-case hex); the encoded segments are joined
 * with '/' under the root. Listing decodes file names back (any `%XX`, then UTF-8). A file name whose text after
 * its first '#' is non-empty and all digits is not an object: Rust's and ShaleDB's staging files
 * (`<final>#<digits>`) and the local store's lock files (`<final>#0`, `<final>#0<digits>`) all have that form, and
 * since '#' in a key is always encoded, no object's file name does.
 *
 * Invariants: `decodeSegment(encodeSegment(s)) === s` for every segment; encoded names contain no '#', '%'-free
 * names decode to themselves.
 * Concurrency: pure.
 */
import { join } from 'node:path';
import { isTempFileName } from '../io/temp-name.js';

const RESERVED = new Set([...'/\\{^}%`]">[~<#|*?'].map((c) => c.charCodeAt(0)));
const HEX = '0123456789ABCDEF';

function mustEncode(byte: number): boolean {
  return byte < 0x20 || byte === 0x7f || byte >= 0x80 || RESERVED.has(byte);
}

/** Percent-encodes one path segment the way object_store's PathPart does. */
export function encodeSegment(segment: string): string {
  let plain = true;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c >= 0x80 || mustEncode(c)) {
      plain = false;
      break;
    }
  }
  if (plain) return segment;
  let out = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    out += mustEncode(byte) ? `%${HEX[byte >> 4]}${HEX[byte & 15]}` : String.fromCharCode(byte);
  }
  return out;
}

/** Decodes a file name back to a segment; undefined when it is not valid percent-encoded UTF-8. */
export function decodeSegment(name: string): string | undefined {
  if (!name.includes('%')) return name;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(name.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(name[i]!, 'utf8')) bytes.push(b);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

/** The file path of an object path under `root`. */
export function filePathOf(root: string, path: string): string {
  return join(root, ...path.split('/').map(encodeSegment));
}

/** True when a file with this name is not an object (a staging, lock or trash file). */
export function isHiddenFileName(name: string): boolean {
  return isTempFileName(name);
}

/** The lock file guarding conditional writes of `finalPath` (a name Rust's and our listings skip). */
export function lockPathOf(finalPath: string): string {
  return `${finalPath}#0`;
}
