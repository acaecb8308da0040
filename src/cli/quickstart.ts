/**
 * The quickstart (`npm start`): opens a database on the local filesystem, writes, reads, scans, flushes to L0,
 * reopens, and prints each step, so a new user sees the whole life of a database in one run.
 *
 * Invariants: works in a fresh directory (default ./shaledb-quickstart, or the one given); leaves the database
 * there, closed, so it can be inspected or opened again (also by SlateDB 0.12.1).
 * Concurrency: one run at a time per directory (a second writer would fence the first).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Db } from '../db/db.js';
import { WriteBatch } from '../db/write-batch.js';

const text = (b: Uint8Array | undefined): string => (b === undefined ? '(none)' : Buffer.from(b).toString());

/** Runs the quickstart in `dir`; `log` receives each line. */
export async function quickstart(dir: string, log: (line: string) => void = console.log): Promise<void> {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const url = `file://${abs}`;
  log(`Opening database "quickstart" in ${url}`);
  let t0 = performance.now();
  const db = await Db.open('quickstart', url, {
    mergeOperator: (_key, existing, operands) => Buffer.concat([existing ?? Buffer.alloc(0), ...operands]),
  });
  log(`  opened in ${(performance.now() - t0).toFixed(1)} ms (writer epoch ${db.status().writerEpoch})`);

  t0 = performance.now();
  const h = await db.put('greeting', 'hello, object storage');
  log(
    `put greeting -> seq ${h.seq}, durable after ${(performance.now() - t0).toFixed(1)} ms (one WAL SST written)`,
  );
  const batch = new WriteBatch();
  for (let i = 0; i < 1000; i++) batch.put(`user:${String(i).padStart(4, '0')}`, JSON.stringify({ id: i }));
  const hb = await db.write(batch);
  log(`wrote a batch of 1000 users atomically -> seq ${hb.seq}`);
  await db.merge('log', 'first;');
  await db.merge('log', 'second;');
  await db.delete('user:0007');
  log(`merged two operands into "log" and deleted user:0007`);

  log(`get greeting   = ${text(await db.get('greeting'))}`);
  log(`get log        = ${text(await db.get('log'))}`);
  log(`get user:0007  = ${text(await db.get('user:0007'))}`);
  const first: string[] = [];
  for await (const kv of db.scan({ gte: 'user:0005', lt: 'user:0010' }))
    first.push(Buffer.from(kv.key).toString());
  log(`scan user:0005..user:0010 -> ${first.join(', ')}`);
  let count = 0;
  for await (const _ of db.scanPrefix('user:')) count++;
  log(`scanPrefix user: -> ${count} keys`);

  await db.flush({ type: 'memtable' });
  log(
    `flushed the memtable to an L0 SST (${db.status().l0Count} L0 SSTs in manifest ${db.status().manifestId})`,
  );
  await db.close();
  log('closed');

  t0 = performance.now();
  const again = await Db.open('quickstart', url);
  log(
    `reopened in ${(performance.now() - t0).toFixed(1)} ms: greeting = ${text(await again.get('greeting'))}`,
  );
  await again.close();
  log(`done; the database stays in ${abs}`);
}
