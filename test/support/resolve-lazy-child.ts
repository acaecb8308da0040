/**
 * Child process for src/object-store/resolve.test.ts: records every import of a cloud SDK (through a module
 * resolve hook) while it resolves and uses a `file://` store, then an `s3://` store, and prints a JSON line with
 * the SDK imports seen after each step.
 *
 * Usage: resolve-lazy-child.ts <temp dir>
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: resolve-lazy-child.ts <temp dir>');
const { port1, port2 } = new MessageChannel();
const seen: string[] = [];
port1.on('message', (m: string) => seen.push(m));
port1.unref();
const hook = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  if (/^@(aws-sdk|azure|google-cloud)\\//.test(specifier)) port.postMessage(specifier);
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, {
  data: { port: port2 },
  transferList: [port2],
});

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
const { resolveObjectStore } = await import('../../src/object-store/resolve.js');
const local = await resolveObjectStore(`file://${dir}/db`);
await local.put('a', Buffer.from('x'));
await local.get('a');
await flush();
const afterLocal = [...seen];
const s3 = await resolveObjectStore('s3://bucket/prefix', {
  env: { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'us-east-1' },
});
await s3.close();
await flush();
process.stdout.write(`${JSON.stringify({ afterLocal, afterS3: [...seen] })}\n`);
