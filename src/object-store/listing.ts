/**
 * Path ordering for listings: object stores order keys by their UTF-8 bytes, which is Unicode code point order.
 * JavaScript's `<` on strings compares UTF-16 code units, which differs for characters above U+FFFF against
 * U+E000..U+FFFF; `compareStrings` fixes that.
 *
 * Invariants: compareStrings(a, b) < 0 iff utf8(a) < utf8(b) bytewise.
 * Concurrency: pure.
 */

/** Orders strings by code point (= UTF-8 byte order). */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (0xD800..0xDFFF) encode code points above 0xFFFF: move them above the rest of the BMP.
    if (ca >= 0xd800 && ca <= 0xdfff) ca += 0x2000;
    else if (ca >= 0xe000) ca -= 0x800;
    if (cb >= 0xd800 && cb <= 0xdfff) cb += 0x2000;
    else if (cb >= 0xe000) cb -= 0x800;
    return ca - cb;
  }
  return a.length - b.length;
}
