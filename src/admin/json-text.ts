/**
 * JSON text as SlateDB 0.12.1's `serde_json::to_string` writes it, for the admin serializers (docs/admin.md#json):
 * a JsonValue tree whose integers may be bigints (u64/i64 values such as i64::MIN stay exact), written compactly
 * (no spaces) or indented, and chrono's two timestamp forms.
 *
 * Invariants: object keys keep insertion order (serde writes struct fields in declaration order); strings escape
 * exactly what serde_json escapes (`"`, `\`, control characters, lowercase `\u00xx`); `stringifyJson` of a tree
 * without bigints equals `JSON.stringify`.
 * Concurrency: pure.
 */

/** A JSON value whose integers may be bigints. */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

function write(v: JsonValue, indent: string, depth: number, out: string[]): void {
  if (v === null) out.push('null');
  else if (typeof v === 'bigint') out.push(v.toString());
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string')
    out.push(JSON.stringify(v));
  else if (Array.isArray(v)) {
    const items = v as readonly JsonValue[];
    if (items.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[');
    items.forEach((item, i) => {
      if (i > 0) out.push(',');
      if (indent !== '') out.push('\n', indent.repeat(depth + 1));
      write(item, indent, depth + 1, out);
    });
    if (indent !== '') out.push('\n', indent.repeat(depth));
    out.push(']');
  } else {
    const entries = Object.entries(v as { readonly [key: string]: JsonValue });
    if (entries.length === 0) {
      out.push('{}');
      return;
    }
    out.push('{');
    entries.forEach(([k, item], i) => {
      if (i > 0) out.push(',');
      if (indent !== '') out.push('\n', indent.repeat(depth + 1));
      out.push(JSON.stringify(k), indent === '' ? ':' : ': ');
      write(item, indent, depth + 1, out);
    });
    if (indent !== '') out.push('\n', indent.repeat(depth));
    out.push('}');
  }
}

/**
 * JSON text of `value`: compact as `serde_json::to_string` (the default), or indented by `space` spaces as
 * `serde_json::to_string_pretty` (2).
 */
export function stringifyJson(value: JsonValue, space = 0): string {
  const out: string[] = [];
  write(value, ' '.repeat(space), 0, out);
  return out.join('');
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function rfc3339(time: number, zone: string): string {
  const ms = Math.floor(time);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a time: ${ms}`);
  const frac = ((ms % 1000) + 1000) % 1000;
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}` +
    `${frac === 0 ? '' : `.${pad(frac, 3)}`}${zone}`
  );
}

/**
 * A UTC time as serde writes chrono's `DateTime<Utc>` in JSON: RFC 3339 with `Z`, fractional seconds only when
 * non-zero ("2026-12-02T12:49:30Z", "2026-12-02T12:49:30.250Z"). ShaleDB times have millisecond precision.
 */
export function serdeTime(ms: number): string {
  return rfc3339(ms, 'Z');
}

/** A UTC time as chrono's `to_rfc3339()` prints it (what `slatedb seq-to-ts` prints): `+00:00` instead of `Z`. */
export function chronoRfc3339(ms: number): string {
  return rfc3339(ms, '+00:00');
}

/** Bytes as serde_json writes `bytes::Bytes` and `Vec<u8>` fields: an array of numbers. */
export function bytesJson(b: Uint8Array): JsonValue {
  return Array.from(b);
}
