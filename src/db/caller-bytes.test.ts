/**
 * No public call changes a caller's bytes, and nothing the database keeps or returns shares memory with them. Every
 * call that takes bytes (Db writes, WriteBatch, the get family, scan ranges, scanPrefix, iterator seek, Snapshot's
 * reads) is given strings, Buffers (pooled), Buffer views and Uint8Array views with a non-zero byteOffset between
 * guard bytes; the whole backing memory is compared byte for byte before and after, results are checked, and then
 * the inputs are overwritten to show that stored data, open iterators and ranges do not depend on them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MergeOperator } from '../lsm/merge-operator.js';
import { MemoryObjectStore } from '../object-store/memory-store.js';
import { concatBytes, fromUtf8, toHex, utf8 } from '../util/bytes.js';
import { Db } from './db.js';
import type { DbIterator } from './db-iterator.js';
import { WriteBatch } from './write-batch.js';

const KINDS = ['string', 'buffer', 'bufferView', 'u8View'] as const;
type Kind = (typeof KINDS)[number];

const GUARD = 0xee;

const concat: MergeOperator = (_k, existing, ops) => concatBytes([existing ?? new Uint8Array(0), ...ops]);

const settings = { flushInterval: '10ms', compactorOptions: null, garbageCollectorOptions: null } as const;

/** Hands out caller-owned inputs of one kind and remembers their memory to check it later. */
class CallerInputs {
  readonly #held: Array<{ memory: Uint8Array; before: Uint8Array; view: Uint8Array; label: string }> = [];

  constructor(readonly kind: Kind) {}

  /** `bytes` as an input of this kind; binary (non-UTF-8) bytes are only given as byte inputs. */
  of(
    bytes: string | Uint8Array,
    label = typeof bytes === 'string' ? bytes : toHex(bytes),
  ): Uint8Array | string {
    if (this.kind === 'string') {
      assert.equal(typeof bytes, 'string', 'string inputs are made from strings');
      return bytes;
    }
    const b = typeof bytes === 'string' ? utf8(bytes) : bytes;
    let view: Uint8Array;
    let memory: Uint8Array;
    if (this.kind === 'buffer') {
      // A pooled Buffer: other allocations share its slab, so only its own bytes are compared.
      view = Buffer.from(b);
      memory = view;
    } else {
      const backing =
        this.kind === 'bufferView' ? Buffer.alloc(b.length + 16, GUARD) : new Uint8Array(b.length + 16);
      if (this.kind === 'u8View') backing.fill(GUARD);
      backing.set(b, 8);
      view = backing.subarray(8, 8 + b.length);
      assert.equal(view.byteOffset, 8);
      memory = backing;
    }
    this.#held.push({ memory, before: Uint8Array.from(memory), view, label });
    return view;
  }

  /** Every input's memory (guard bytes included) is exactly as it was made. */
  assertUnchanged(where: string): void {
    for (const h of this.#held) {
      assert.equal(toHex(h.memory), toHex(h.before), `${this.kind} input ${h.label} changed by ${where}`);
    }
  }

  /** Checks, then overwrites every input so far (as a caller reusing its buffers would) and forgets them. */
  checkAndScribble(where: string): void {
    this.assertUnchanged(where);
    for (const h of this.#held) h.view.fill(0x21);
    this.#held.length = 0;
  }
}

async function drain(it: DbIterator): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const kv = await it.next();
    if (kv === undefined) break;
    out.push(`${toHex(kv.key)}=${fromUtf8(kv.value)}`);
    kv.key.fill(0); // changing results changes nothing either
    kv.value.fill(0);
  }
  it.close();
  return out;
}

const hex = (s: string | Uint8Array): string => toHex(typeof s === 'string' ? utf8(s) : s);
const row = (k: string | Uint8Array, v: string): string => `${hex(k)}=${v}`;
const str = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : fromUtf8(v));

/** Binary keys whose prefix ends in 0xff: a prefix scan's upper bound is computed by incrementing a copy. */
const BIN1 = Uint8Array.of(0x72, 0xff, 0x01);
const BIN2 = Uint8Array.of(0x72, 0xff, 0xff, 0x02);
const BIN_PREFIX = Uint8Array.of(0x72, 0xff);
const AFTER_BIN = Uint8Array.of(0x73);

async function writeAll(db: Db, inp: CallerInputs): Promise<void> {
  const k = inp.kind;
  const h = await db.put(inp.of(`w/${k}/put`), inp.of('put-value'));
  assert.equal(str(await db.get(`w/${k}/put`)), 'put-value');
  assert.equal((await db.getKeyValue(`w/${k}/put`))!.seq, h.seq);
  await db.put(`w/${k}/del`, 'doomed');
  await db.delete(inp.of(`w/${k}/del`));
  await db.merge(inp.of(`w/${k}/merge`), inp.of('m1'));
  await db.merge(inp.of(`w/${k}/merge`), inp.of('m2'), { awaitDurable: false });
  await db.put(`w/${k}/batch-del`, 'doomed');
  const batch = new WriteBatch()
    .put(inp.of(`w/${k}/batch-put`), inp.of('batch-value'))
    .merge(inp.of(`w/${k}/batch-merge`), inp.of('b1'))
    .delete(inp.of(`w/${k}/batch-del`));
  inp.assertUnchanged('WriteBatch');
  // The batch holds its own copies: the caller may reuse its buffers before write().
  inp.checkAndScribble('WriteBatch');
  await db.write(batch);
  if (k !== 'string') {
    await db.put(inp.of(BIN1), inp.of('bin1'));
    await db.put(inp.of(BIN2), inp.of('bin2'));
  }
  inp.checkAndScribble('writes');
}

function expectedRows(k: Kind): string[] {
  return [
    row(`w/${k}/batch-merge`, 'b1'),
    row(`w/${k}/batch-put`, 'batch-value'),
    row(`w/${k}/merge`, 'm1m2'),
    row(`w/${k}/put`, 'put-value'),
  ];
}

/** Every read call with caller inputs of one kind, against the rows readAll's caller wrote. */
async function readAll(db: Db, inp: CallerInputs, where: string): Promise<void> {
  const k = inp.kind;
  const put = `w/${k}/put`;
  const ctx = `${k} inputs, ${where}`;
  assert.equal(str(await db.get(inp.of(put))), 'put-value', ctx);
  assert.equal(await db.get(inp.of(`w/${k}/del`)), undefined, ctx);
  const many = await db.getMany([inp.of(put), inp.of('w/none'), inp.of(`w/${k}/merge`)]);
  assert.deepEqual(many.map(str), ['put-value', undefined, 'm1m2'], ctx);
  assert.equal(str(db.getSync(inp.of(put))), 'put-value', ctx);
  const kv = (await db.getKeyValue(inp.of(put)))!;
  assert.equal(fromUtf8(kv.key), put, ctx);
  kv.key.fill(0);
  inp.assertUnchanged(`the get family (${where})`);

  // Ranges and prefixes: the iterator is created, then the inputs are overwritten, then it is read.
  const all = expectedRows(k);
  const scans: Array<[DbIterator, string[]]> = [
    [db.scan({ gte: inp.of(`w/${k}/`), lt: inp.of(`w/${k}/z`) }), all],
    [
      db.scan({ gt: inp.of(`w/${k}/batch-merge`), lte: inp.of(`w/${k}/merge`) }, { order: 'desc' }),
      [all[2]!, all[1]!],
    ],
    [db.scanPrefix(inp.of(`w/${k}/`)), all],
    [db.scanPrefix(inp.of(`w/${k}/m`), { order: 'desc' }), [all[2]!]],
  ];
  const seekAsc = db.scan({ gte: inp.of(`w/${k}/`), lt: inp.of(`w/${k}/z`) });
  await seekAsc.seek(inp.of(`w/${k}/c`));
  scans.push([seekAsc, all.slice(2)]);
  const seekDesc = db.scanPrefix(inp.of(`w/${k}/`), { order: 'desc' });
  await seekDesc.seek(inp.of(`w/${k}/n`));
  scans.push([seekDesc, [all[2]!, all[1]!, all[0]!]]);
  if (k !== 'string') {
    const bin = [row(BIN1, 'bin1'), row(BIN2, 'bin2')];
    scans.push([db.scanPrefix(inp.of(BIN_PREFIX)), bin]);
    scans.push([db.scanPrefix(inp.of(BIN_PREFIX), { order: 'desc' }), [...bin].reverse()]);
    scans.push([db.scan({ gte: inp.of(BIN_PREFIX), lt: inp.of(AFTER_BIN) }), bin]);
  }
  const snap = await db.snapshot();
  try {
    assert.equal(str(await snap.get(inp.of(put))), 'put-value', ctx);
    assert.equal(fromUtf8((await snap.getKeyValue(inp.of(put)))!.value), 'put-value', ctx);
    scans.push([snap.scan({ gt: inp.of(`w/${k}/`), lt: inp.of(`w/${k}/z`) }), all]);
    scans.push([snap.scanPrefix(inp.of(`w/${k}/b`)), all.slice(0, 2)]);
    const snapSeek = snap.scanPrefix(inp.of(`w/${k}/`));
    await snapSeek.seek(inp.of(`w/${k}/merge`));
    scans.push([snapSeek, all.slice(2)]);
    if (k !== 'string')
      scans.push([snap.scanPrefix(inp.of(BIN_PREFIX)), [row(BIN1, 'bin1'), row(BIN2, 'bin2')]]);
    inp.checkAndScribble(`scans, scanPrefix, seek and snapshot reads (${where})`);
    for (const [i, [it, want]] of scans.entries())
      assert.deepEqual(await drain(it), want, `${ctx}: scan #${i}`);
  } finally {
    snap.close();
  }
}

test('no call changes or keeps a caller buffer: strings, Buffers and offset views, memtable and SST', async () => {
  const db = await Db.open('db', new MemoryObjectStore(), { settings, mergeOperator: concat });
  try {
    for (const kind of KINDS) await writeAll(db, new CallerInputs(kind));
    const whole = await drain(db.scan());
    for (const kind of KINDS) {
      for (const r of expectedRows(kind)) assert.ok(whole.includes(r), `${kind}: ${r} stored intact`);
    }
    for (const kind of KINDS) await readAll(db, new CallerInputs(kind), 'memtable');
    await db.flush({ type: 'memtable' });
    // From SSTs: get loads the blocks, so the getSync in readAll finds them cached.
    for (const kind of KINDS) await readAll(db, new CallerInputs(kind), 'L0 SST');
    assert.deepEqual(await drain(db.scan()), whole, 'nothing changed what is stored');
  } finally {
    await db.close();
  }
});
