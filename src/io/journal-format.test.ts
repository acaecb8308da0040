/**
 * Journal format v1, by property: frames round-trip; the classification of a segment cut at every possible
 * length, and of every single-byte corruption of the last record and of the header, matches what the byte layout
 * says it must be (expected classes are derived from the layout here, not from the parser); the chunked
 * SegmentReader agrees with the whole-buffer scan at any chunk size.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { concatBytes } from '../util/bytes.js';
import { testSeed } from '../util/random.js';
import {
  decodeSegmentHeader,
  encodeFrame,
  encodeSegmentHeader,
  FRAME_PAYLOAD_MAX,
  parseFrame,
  parseSegmentFileName,
  SEGMENT_HEADER_BYTES,
  scanSegment,
  segmentFileName,
  type TailClass,
} from './journal-format.js';
import { SegmentReader } from './journal-reader.js';
import { MemoryFileSystem } from './memory-file-system.js';

const seed = testSeed();
console.log(`seed ${seed}`);
const params = { seed, numRuns: 60 };

const payloads = fc.array(fc.uint8Array({ minLength: 0, maxLength: 64 }), { minLength: 1, maxLength: 6 });
const baseLsns = fc.integer({ min: 1, max: 2 ** 40 });

/** A segment and the file offset where each record's frame starts and ends. */
function buildSegment(
  base: number,
  ps: Uint8Array[],
): { file: Uint8Array; starts: number[]; ends: number[] } {
  const parts = [encodeSegmentHeader(base)];
  const starts: number[] = [];
  const ends: number[] = [];
  let off = SEGMENT_HEADER_BYTES;
  ps.forEach((p, i) => {
    starts.push(off);
    parts.push(encodeFrame(base + i, p));
    off += 8 + p.length;
    ends.push(off);
  });
  return { file: concatBytes(parts), starts, ends };
}

test('segment names and headers round-trip', () => {
  assert.equal(segmentFileName(42), '00000000000000000042.jnl');
  assert.equal(parseSegmentFileName('00000000000000000042.jnl'), 42);
  assert.equal(parseSegmentFileName('00000000000000000000.jnl'), undefined);
  assert.equal(parseSegmentFileName('42.jnl'), undefined);
  assert.equal(parseSegmentFileName('00000000000000000042.jnl#123'), undefined);
  const h = encodeSegmentHeader(7);
  assert.equal(new TextDecoder().decode(h.subarray(0, 8)), 'SHALEJNL');
  assert.deepEqual(decodeSegmentHeader(h), { ok: true, baseLsn: 7 });
});

test('frames round-trip and are bound to their LSN', () => {
  fc.assert(
    fc.property(baseLsns, payloads, (base, ps) => {
      const { file, ends } = buildSegment(base, ps);
      const scan = scanSegment(file);
      assert.equal(scan.tail, 'clean');
      assert.equal(scan.baseLsn, base);
      assert.deepEqual(scan.recordEnds, ends);
      let pos = SEGMENT_HEADER_BYTES;
      ps.forEach((p, i) => {
        const r = parseFrame(file, pos, base + i, true);
        assert.equal(r.kind, 'record');
        if (r.kind !== 'record') return;
        assert.deepEqual(file.subarray(r.payloadStart, r.end), p);
        const wrongLsn = parseFrame(file, pos, base + i + 1, true);
        assert.equal(wrongLsn.kind === 'invalid' && wrongLsn.tail, 'checksum-mismatch');
        pos = r.end;
      });
    }),
    params,
  );
});

/** What cutting the segment to `t` bytes must look like, from the layout alone. */
function expectedCut(t: number, ends: number[]): { tail: TailClass; records: number; offset: number } {
  if (t < SEGMENT_HEADER_BYTES) return { tail: 'truncated-header', records: 0, offset: 0 };
  let k = 0;
  while (k < ends.length && ends[k]! <= t) k++;
  const boundary = k === 0 ? SEGMENT_HEADER_BYTES : ends[k - 1]!;
  if (t === boundary) return { tail: 'clean', records: k, offset: boundary };
  return { tail: t - boundary < 8 ? 'truncated-header' : 'truncated-payload', records: k, offset: boundary };
}

test('a segment cut at every length classifies as the layout says', () => {
  fc.assert(
    fc.property(baseLsns, payloads, (base, ps) => {
      const { file, ends } = buildSegment(base, ps);
      for (let t = 0; t <= file.length; t++) {
        const scan = scanSegment(file.subarray(0, t));
        const want = expectedCut(t, ends);
        assert.equal(scan.tail, want.tail, `cut at ${t}`);
        assert.equal(scan.recordEnds.length, want.records, `cut at ${t}`);
        assert.equal(scan.tailOffset, want.offset, `cut at ${t}`);
      }
    }),
    params,
  );
});

/** The class a changed length field must produce. */
function classForLength(newLength: number, oldLength: number, bytesLeft: number): TailClass {
  if (newLength > FRAME_PAYLOAD_MAX) return 'length-overflow';
  if (8 + newLength > bytesLeft) return 'truncated-payload';
  assert.ok(newLength !== oldLength);
  return 'checksum-mismatch';
}

test('every single-byte corruption of the last record is detected and classified', () => {
  fc.assert(
    fc.property(baseLsns, payloads, fc.integer({ min: 1, max: 255 }), (base, ps, xor) => {
      const { file, starts, ends } = buildSegment(base, ps);
      const start = starts[starts.length - 1]!;
      const oldLength = ps[ps.length - 1]!.length;
      for (let p = start; p < file.length; p++) {
        for (const x of [xor, 0x80, 0x01]) {
          const bad = file.slice();
          bad[p] = bad[p]! ^ x;
          const scan = scanSegment(bad);
          const newLength = new DataView(bad.buffer).getUint32(start);
          const want =
            p < start + 4 ? classForLength(newLength, oldLength, file.length - start) : 'checksum-mismatch';
          assert.equal(scan.tail, want, `byte ${p - start} of the last frame ^ ${x}`);
          assert.equal(scan.tailOffset, start);
          assert.deepEqual(scan.recordEnds, ends.slice(0, -1));
        }
      }
    }),
    params,
  );
});

test('every single-byte corruption of the segment header is detected', () => {
  const { file } = buildSegment(9, [new Uint8Array([1, 2, 3])]);
  for (let p = 0; p < SEGMENT_HEADER_BYTES; p++) {
    const bad = file.slice();
    bad[p] = bad[p]! ^ 0x10;
    const scan = scanSegment(bad);
    assert.equal(scan.tail, p < 8 ? 'bad-magic' : 'checksum-mismatch', `header byte ${p}`);
    assert.equal(scan.recordEnds.length, 0);
  }
});

test('the chunked reader agrees with the whole-buffer scan at any chunk size', async () => {
  const fs = new MemoryFileSystem();
  await fc.assert(
    fc.asyncProperty(
      baseLsns,
      payloads,
      fc.integer({ min: 1, max: 80 }),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      async (base, ps, chunk, cutSeed, flip) => {
        const { file } = buildSegment(base, ps);
        const cut = file.slice(
          0,
          SEGMENT_HEADER_BYTES + (cutSeed % (file.length - SEGMENT_HEADER_BYTES + 1)),
        );
        if (flip > 0 && cut.length > SEGMENT_HEADER_BYTES)
          cut[SEGMENT_HEADER_BYTES + (flip % (cut.length - 32))]! ^= flip;
        const h = await fs.open('/seg', 'create');
        await h.truncate(0);
        await h.write(cut, 0);
        const scan = scanSegment(cut);
        const reader = new SegmentReader(h, base, cut.length, SEGMENT_HEADER_BYTES, chunk);
        const got: Uint8Array[] = [];
        for (;;) {
          const step = await reader.next();
          if (step.kind === 'record') {
            got.push(step.payload.slice());
            continue;
          }
          assert.equal(step.kind === 'end' ? 'clean' : step.tail, scan.tail);
          assert.equal(step.offset, scan.tailOffset);
          break;
        }
        assert.deepEqual(got, ps.slice(0, scan.recordEnds.length));
        await h.close();
      },
    ),
    params,
  );
});

/** Bitwise CRC-32C (Castagnoli, reflected poly 0x82F63B78), independent of the native one the code uses. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

test('golden bytes: the examples in docs/journal-format.md', () => {
  const header = fromHex(
    '53 48 41 4c 45 4a 4e 4c 00 01 00 20 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 02 25 d5 a6',
  );
  assert.deepEqual(encodeSegmentHeader(1), header);
  assert.equal(referenceCrc32c(header.subarray(0, 28)), 0x0225d5a6);
  const hi = fromHex('00 00 00 02 55 fb e7 24 68 69');
  assert.deepEqual(encodeFrame(1, new TextEncoder().encode('hi')), hi);
  const covered = fromHex('00 00 00 00 00 00 00 01 00 00 00 02 68 69');
  assert.equal(referenceCrc32c(covered), 0x55fbe724);
  const empty = fromHex('00 00 00 00 5b 42 6a 05');
  assert.deepEqual(encodeFrame(2, new Uint8Array(0)), empty);
  assert.equal(referenceCrc32c(fromHex('00 00 00 00 00 00 00 02 00 00 00 00')), 0x5b426a05);
});
