/**
 * What the database crash suites share: the value a crash child writes for a key, the set of acknowledged writes
 * the parent collects from the child's acknowledgement lines, and the check that a reopened database holds every
 * acknowledged put (with its value) and no acknowledged delete.
 */
import assert from 'node:assert/strict';
import type { Db } from '../../src/db/db.js';

/** The value a crash child writes for `key`, so the parent can check contents. */
export function valueFor(key: string): string {
  return `value-of-${key}-${'x'.repeat(key.length * 3)}`;
}

/** Keys whose put or delete a child acknowledged. */
export interface Acked {
  readonly present: Set<string>;
  readonly deleted: Set<string>;
}

/** An empty set of acknowledgements. */
export function newAcked(): Acked {
  return { present: new Set(), deleted: new Set() };
}

/** Records one acknowledgement line of a child into `acked`; returns how many writes it acknowledged. */
export function recordAck(acked: Acked, m: { readonly t: string; readonly [k: string]: unknown }): number {
  if (m.t !== 'put' && m.t !== 'del') return 0;
  const keys = m['keys'] as string[];
  for (const k of keys) (m.t === 'put' ? acked.present : acked.deleted).add(k);
  return keys.length;
}

/** Asserts every acknowledged put is in `db` with its value and no acknowledged delete is (remote: object storage). */
export async function checkAcked(db: Db, acked: Acked, ctx: string, remote = false): Promise<void> {
  const o = remote ? ({ durabilityFilter: 'remote' } as const) : undefined;
  for (const k of acked.present) {
    const v = await db.get(k, o);
    assert.ok(v !== undefined, `${ctx}: acknowledged put ${k} is missing`);
    assert.equal(Buffer.from(v).toString(), valueFor(k), ctx);
  }
  for (const k of acked.deleted) assert.equal(await db.get(k, o), undefined, `${ctx}: delete ${k} came back`);
}
