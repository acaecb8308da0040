/**
 * The records a database writes into its local WAL journal (docs/design/0005-wal-journal.md): the payloads of
 * journal frames (src/io/journal.ts adds the framing and CRC-32C). Four kinds:
 *
 * - CLAIM(epoch, path): written and flushed before this writer bumps the manifest's writer epoch to `epoch`.
 * - BATCH(epoch, pathTag, rows): one write's rows (one seq), written by the holder of `epoch`.
 * - SETTLED(seq): every BATCH before this record with seq <= `seq` is in object storage (or was discarded).
 * - STALE(epoch): a newer writer (epoch `epoch`) opened the database: the unsettled batches before this record
 *   must never be replayed.
 *
 * Layout (big-endian): u8 kind, u8 version (1), then the kind's fields. BATCH rows are: f64-safe u64 seq, u8 row
 * kind (0 value, 1 tombstone, 2 merge), u8 flags (bit 0: createTs, bit 1: expireTs), i64 createTs?, i64 expireTs?,
 * u32 key length, key, u32 value length, value.
 *
 * Invariants: decode(encode(x)) = x; decoding a payload that is not exactly one well-formed record is a data error
 * (JOURNAL_CORRUPT); encoding copies keys and values (the caller's buffers are never kept or changed).
 * Concurrency: pure.
 */
import type { RowEntry, RowKind } from '../format/row.js';
import { crc32c } from '../util/crc.js';
import { dataError } from '../util/errors.js';

export const RECORD_VERSION = 1;
export const CLAIM = 1;
export const BATCH = 2;
export const SETTLED = 3;
export const STALE = 4;

/** A decoded journal record. */
export type WalJournalRecord =
  | { readonly kind: 'claim'; readonly epoch: number; readonly path: string }
  | { readonly kind: 'batch'; readonly epoch: number; readonly pathTag: number; readonly rows: RowEntry[] }
  | { readonly kind: 'settled'; readonly seq: number }
  | { readonly kind: 'stale'; readonly epoch: number };

/** The tag BATCH records carry to name their database: CRC-32C of the UTF-8 root path. */
export function pathTag(root: string): number {
  return crc32c(Buffer.from(root, 'utf8'));
}

const KIND_CODES: Record<RowKind, number> = { value: 0, tombstone: 1, merge: 2 };
const KINDS: RowKind[] = ['value', 'tombstone', 'merge'];

const TWO_32 = 2 ** 32;

/** Writes a safe integer as a big-endian 64-bit two's-complement value (no BigInt: this is the write path). */
function put64(out: Buffer, v: number, p: number): number {
  const hi = Math.floor(v / TWO_32);
  out.writeInt32BE(hi, p);
  out.writeUInt32BE(v - hi * TWO_32, p + 4);
  return p + 8;
}

function rowBytes(r: RowEntry): number {
  return (
    8 +
    2 +
    (r.createTs === undefined ? 0 : 8) +
    (r.expireTs === undefined ? 0 : 8) +
    8 +
    r.key.length +
    r.value.length
  );
}

/** Encodes a BATCH record. */
export function encodeBatch(epoch: number, tag: number, rows: readonly RowEntry[]): Uint8Array {
  let n = 2 + 8 + 4 + 4;
  for (const r of rows) n += rowBytes(r);
  const out = Buffer.allocUnsafe(n);
  out[0] = BATCH;
  out[1] = RECORD_VERSION;
  put64(out, epoch, 2);
  out.writeUInt32BE(tag >>> 0, 10);
  out.writeUInt32BE(rows.length, 14);
  let p = 18;
  for (const r of rows) {
    put64(out, r.seq, p);
    out[p + 8] = KIND_CODES[r.kind];
    out[p + 9] = (r.createTs === undefined ? 0 : 1) | (r.expireTs === undefined ? 0 : 2);
    p += 10;
    if (r.createTs !== undefined) p = put64(out, r.createTs, p);
    if (r.expireTs !== undefined) p = put64(out, r.expireTs, p);
    p = out.writeUInt32BE(r.key.length, p);
    out.set(r.key, p);
    p += r.key.length;
    p = out.writeUInt32BE(r.value.length, p);
    out.set(r.value, p);
    p += r.value.length;
  }
  return out;
}

/** Encodes a CLAIM record. */
export function encodeClaim(epoch: number, path: string): Uint8Array {
  const name = Buffer.from(path, 'utf8');
  const out = Buffer.allocUnsafe(2 + 8 + 4 + name.length);
  out[0] = CLAIM;
  out[1] = RECORD_VERSION;
  put64(out, epoch, 2);
  out.writeUInt32BE(name.length, 10);
  out.set(name, 14);
  return out;
}

/** Encodes a SETTLED record. */
export function encodeSettled(seq: number): Uint8Array {
  return encodeU64Record(SETTLED, seq);
}

/** Encodes a STALE record. */
export function encodeStale(epoch: number): Uint8Array {
  return encodeU64Record(STALE, epoch);
}

function encodeU64Record(kind: number, v: number): Uint8Array {
  const out = Buffer.allocUnsafe(10);
  out[0] = kind;
  out[1] = RECORD_VERSION;
  put64(out, v, 2);
  return out;
}

/** Decodes one record; `lsn` names it in errors. */
export function decodeRecord(payload: Uint8Array, lsn: number): WalJournalRecord {
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const bad = (why: string): never => {
    throw dataError('JOURNAL_CORRUPT', `WAL journal record at LSN ${lsn}: ${why}`);
  };
  let p = 0;
  const need = (n: number): void => {
    if (p + n > b.length) bad(`truncated at byte ${p} (needs ${n} more of ${b.length})`);
  };
  const u64 = (): number => {
    need(8);
    const v = b.readBigUInt64BE(p);
    p += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`integer ${v} is too large`);
    return Number(v);
  };
  const i64 = (): number => {
    need(8);
    const v = b.readBigInt64BE(p);
    p += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      bad(`timestamp ${v} out of range`);
    return Number(v);
  };
  const u32 = (): number => {
    need(4);
    const v = b.readUInt32BE(p);
    p += 4;
    return v;
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const v = new Uint8Array(b.subarray(p, p + n));
    p += n;
    return v;
  };
  need(2);
  const kind = b[0]!;
  if (b[1] !== RECORD_VERSION) bad(`version ${b[1]} (this build reads ${RECORD_VERSION})`);
  p = 2;
  let rec: WalJournalRecord;
  if (kind === CLAIM) {
    const epoch = u64();
    const path = Buffer.from(bytes(u32())).toString('utf8');
    rec = { kind: 'claim', epoch, path };
  } else if (kind === BATCH) {
    const epoch = u64();
    const tag = u32();
    const count = u32();
    if (count === 0) bad('a batch without rows');
    const rows: RowEntry[] = [];
    for (let i = 0; i < count; i++) {
      const seq = u64();
      need(2);
      const k = KINDS[b[p]!];
      const flags = b[p + 1]!;
      p += 2;
      if (k === undefined || flags > 3) bad(`row ${i}: kind ${b[p - 2]}, flags ${flags}`);
      const createTs = flags & 1 ? i64() : undefined;
      const expireTs = flags & 2 ? i64() : undefined;
      const key = bytes(u32());
      const value = bytes(u32());
      rows.push({ key, value, seq, kind: k!, createTs, expireTs });
    }
    rec = { kind: 'batch', epoch, pathTag: tag, rows };
  } else if (kind === SETTLED) {
    rec = { kind: 'settled', seq: u64() };
  } else if (kind === STALE) {
    rec = { kind: 'stale', epoch: u64() };
  } else {
    return bad(`unknown record kind ${kind}`);
  }
  if (p !== b.length) bad(`${b.length - p} bytes after the record`);
  return rec;
}
