/**
 * FakeGcsServer: a request-level fake of the Google Cloud Storage JSON API, just large enough for the
 * `@google-cloud/storage` SDK calls GcsObjectStore makes, so the GCS adapter can run the contract suite here
 * (no GCS emulator or network is available). It is NOT Google's service: it models the documented behaviour of
 * generations and preconditions (`ifGenerationMatch=0` creates only if absent; `ifGenerationMatch=N` writes only
 * if the live generation is N; both are checked when the upload completes; a failed precondition is 412
 * conditionNotMet), media downloads with `Range` (including suffix ranges and 416), prefix/startOffset listings
 * in byte order with page tokens, deletes, multipart uploads and resumable uploads (one or several PUTs).
 *
 * Invariants: objects live in memory per bucket; each completed write gets a fresh, increasing generation; the
 * precondition check and the store happen in one synchronous step, so concurrent writers have exactly one winner.
 * `failNext` makes the next requests fail with a chosen status, before they touch any state.
 * Concurrency: one Node http server; requests are handled on the event loop.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32c } from '@node-rs/crc32';

interface StoredObject {
  readonly bytes: Buffer;
  readonly generation: number;
  readonly updated: Date;
  readonly contentType: string;
}

interface ResumableSession {
  readonly bucket: string;
  readonly name: string;
  readonly ifGenerationMatch: number | undefined;
  readonly contentType: string;
  readonly parts: Buffer[];
  received: number;
}

/** A request the fake saw (for tests that check what the SDK sent). */
export interface FakeGcsRequest {
  readonly method: string;
  readonly url: string;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The fake server. Start it with {@link startFakeGcsServer}. */
export class FakeGcsServer {
  readonly #server: Server;
  readonly #buckets = new Map<string, Map<string, StoredObject>>();
  readonly #sessions = new Map<string, ResumableSession>();
  #generation = 1_700_000_000_000_000;
  #sessionCounter = 0;
  #failures: number[] = [];
  /** Every request, in arrival order. */
  readonly requests: FakeGcsRequest[] = [];
  endpoint = '';

  constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        if (e instanceof HttpFailure) sendError(res, e.status, e.reason, e.message);
        else sendError(res, 500, 'backendError', e instanceof Error ? e.message : String(e));
      });
    });
  }

  /** Listens on 127.0.0.1 (a free port unless given). */
  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = this.#server.address() as AddressInfo;
    this.endpoint = `http://127.0.0.1:${addr.port}`;
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Creates an empty bucket (requests to unknown buckets get 404). */
  createBucket(name: string): void {
    if (!this.#buckets.has(name)) this.#buckets.set(name, new Map());
  }

  /** The next `count` requests fail with `status` before touching any state. */
  failNext(count: number, status = 503): void {
    for (let i = 0; i < count; i++) this.#failures.push(status);
  }

  /** The live generation of an object (tests). */
  generationOf(bucket: string, name: string): number | undefined {
    return this.#buckets.get(bucket)?.get(name)?.generation;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '' });
    const url = new URL(req.url ?? '/', 'http://fake');
    const status = this.#failures.shift();
    if (status !== undefined) {
      await readBody(req);
      throw new HttpFailure(status, 'injected', `injected failure ${status}`);
    }
    const path = url.pathname;
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (upload !== null && req.method === 'POST')
      return this.#upload(req, res, decodeURIComponent(upload[1]!), url);
    if (upload !== null && req.method === 'PUT') return this.#resumableData(req, res, url);
    const objects = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (objects !== null && req.method === 'GET')
      return this.#list(res, decodeURIComponent(objects[1]!), url);
    const object = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (object !== null) {
      const bucket = decodeURIComponent(object[1]!);
      const name = decodeURIComponent(object[2]!);
      if (req.method === 'GET' && url.searchParams.get('alt') === 'media') {
        return this.#media(req, res, bucket, name, url);
      }
      if (req.method === 'GET') return this.#metadata(res, bucket, name, url);
      if (req.method === 'DELETE') return this.#delete(res, bucket, name, url);
    }
    await readBody(req);
    throw new HttpFailure(404, 'notFound', `fake GCS has no route for ${req.method} ${path}`);
  }

  #bucket(name: string): Map<string, StoredObject> {
    const b = this.#buckets.get(name);
    if (b === undefined) throw new HttpFailure(404, 'notFound', 'The specified bucket does not exist.');
    return b;
  }

  #object(bucket: string, name: string): StoredObject {
    const o = this.#bucket(bucket).get(name);
    if (o === undefined) throw new HttpFailure(404, 'notFound', `No such object: ${bucket}/${name}`);
    return o;
  }

  /** Checks `ifGenerationMatch` against the live object and stores the new bytes in one synchronous step. */
  #commit(
    bucket: string,
    name: string,
    bytes: Buffer,
    ifGenerationMatch: number | undefined,
    contentType: string,
    expectedCrc32c: string | undefined,
  ): StoredObject {
    const objects = this.#bucket(bucket);
    const live = objects.get(name);
    if (ifGenerationMatch !== undefined && (live?.generation ?? 0) !== ifGenerationMatch) {
      throw new HttpFailure(
        412,
        'conditionNotMet',
        'At least one of the pre-conditions you specified did not hold.',
      );
    }
    if (expectedCrc32c !== undefined && expectedCrc32c !== crc32cOf(bytes)) {
      throw new HttpFailure(400, 'invalid', 'Provided CRC32C does not match the data.');
    }
    const stored: StoredObject = { bytes, generation: ++this.#generation, updated: new Date(), contentType };
    objects.set(name, stored);
    return stored;
  }

  async #upload(req: IncomingMessage, res: ServerResponse, bucket: string, url: URL): Promise<void> {
    const body = await readBody(req);
    this.#bucket(bucket);
    const type = url.searchParams.get('uploadType');
    const ifGen = intParam(url, 'ifGenerationMatch');
    if (type === 'multipart') {
      const { metadata, data } = parseMultipart(req.headers['content-type'] ?? '', body);
      const name = String(metadata['name'] ?? url.searchParams.get('name') ?? '');
      if (name === '') throw new HttpFailure(400, 'required', 'object name missing');
      const crc = typeof metadata['crc32c'] === 'string' ? metadata['crc32c'] : undefined;
      const contentType = String(metadata['contentType'] ?? 'application/octet-stream');
      const stored = this.#commit(bucket, name, data, ifGen, contentType, crc);
      return sendJson(res, 200, resource(bucket, name, stored));
    }
    if (type === 'media') {
      const name = url.searchParams.get('name') ?? '';
      const stored = this.#commit(bucket, name, body, ifGen, 'application/octet-stream', undefined);
      return sendJson(res, 200, resource(bucket, name, stored));
    }
    if (type === 'resumable') {
      const metadata =
        body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
      const name = String(metadata['name'] ?? url.searchParams.get('name') ?? '');
      const id = `s${++this.#sessionCounter}`;
      const contentType = String(metadata['contentType'] ?? 'application/octet-stream');
      this.#sessions.set(id, { bucket, name, ifGenerationMatch: ifGen, contentType, parts: [], received: 0 });
      res.writeHead(200, {
        Location: `${this.endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&upload_id=${id}`,
      });
      res.end();
      return;
    }
    throw new HttpFailure(400, 'invalid', `unsupported uploadType ${type}`);
  }

  async #resumableData(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req);
    const id = url.searchParams.get('upload_id') ?? '';
    const session = this.#sessions.get(id);
    if (session === undefined) throw new HttpFailure(404, 'notFound', 'no such upload session');
    const range = String(req.headers['content-range'] ?? '');
    // `bytes a-b/total|*` (a chunk), `bytes a-*/total|*` (the rest, in this request) or `bytes */total` (finish).
    const m = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(range);
    if (m === null) throw new HttpFailure(400, 'invalid', `bad Content-Range ${range}`);
    if (m[1] !== undefined && Number(m[1]) !== session.received) {
      throw new HttpFailure(400, 'invalid', `chunk starts at ${m[1]}, expected ${session.received}`);
    }
    session.parts.push(body);
    session.received += body.length;
    const rest = m[2] === '*' || m[1] === undefined;
    const complete = rest || (m[3] !== '*' && session.received === Number(m[3]));
    if (!complete) {
      res.writeHead(308, session.received === 0 ? {} : { Range: `bytes=0-${session.received - 1}` });
      res.end();
      return;
    }
    this.#sessions.delete(id);
    const all = Buffer.concat(session.parts);
    const stored = this.#commit(
      session.bucket,
      session.name,
      all,
      session.ifGenerationMatch,
      session.contentType,
      undefined,
    );
    sendJson(res, 200, resource(session.bucket, session.name, stored));
  }

  #list(res: ServerResponse, bucket: string, url: URL): void {
    const objects = this.#bucket(bucket);
    const prefix = url.searchParams.get('prefix') ?? '';
    const startOffset = url.searchParams.get('startOffset') ?? undefined;
    const pageToken = url.searchParams.get('pageToken') ?? undefined;
    const max = Math.min(1000, intParam(url, 'maxResults') ?? 1000);
    const names = [...objects.keys()]
      .filter((n) => n.startsWith(prefix))
      .filter((n) => startOffset === undefined || compareUtf8(n, startOffset) >= 0)
      .filter((n) => pageToken === undefined || compareUtf8(n, pageToken) > 0)
      .sort(compareUtf8);
    const page = names.slice(0, max);
    const out: Record<string, unknown> = {
      kind: 'storage#objects',
      items: page.map((n) => resource(bucket, n, objects.get(n)!)),
    };
    if (names.length > max) out['nextPageToken'] = page[page.length - 1];
    sendJson(res, 200, out);
  }

  #metadata(res: ServerResponse, bucket: string, name: string, url: URL): void {
    const o = this.#object(bucket, name);
    checkReadPreconditions(o, url);
    sendJson(res, 200, resource(bucket, name, o));
  }

  async #media(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    name: string,
    url: URL,
  ): Promise<void> {
    await readBody(req);
    const o = this.#object(bucket, name);
    checkReadPreconditions(o, url);
    const size = o.bytes.length;
    const headers: Record<string, string> = {
      'Content-Type': o.contentType,
      'x-goog-generation': String(o.generation),
      'x-goog-metageneration': '1',
      'x-goog-stored-content-length': String(size),
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-hash': `crc32c=${crc32cOf(o.bytes)}`,
      'Last-Modified': o.updated.toUTCString(),
      ETag: `"${o.generation}"`,
    };
    const range = req.headers.range;
    if (range === undefined) {
      res.writeHead(200, { ...headers, 'Content-Length': String(size) });
      res.end(o.bytes);
      return;
    }
    const span = parseRange(range, size);
    if (span === undefined) {
      res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify(
          errorBody(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.'),
        ),
      );
      return;
    }
    res.writeHead(206, {
      ...headers,
      'Content-Length': String(span.end - span.start),
      'Content-Range': `bytes ${span.start}-${span.end - 1}/${size}`,
    });
    res.end(o.bytes.subarray(span.start, span.end));
  }

  #delete(res: ServerResponse, bucket: string, name: string, url: URL): void {
    const o = this.#object(bucket, name);
    const ifGen = intParam(url, 'ifGenerationMatch');
    if (ifGen !== undefined && ifGen !== o.generation) {
      throw new HttpFailure(
        412,
        'conditionNotMet',
        'At least one of the pre-conditions you specified did not hold.',
      );
    }
    this.#bucket(bucket).delete(name);
    res.writeHead(204);
    res.end();
  }
}

/** Starts a fake GCS server on loopback with the given buckets. */
export async function startFakeGcsServer(buckets: readonly string[] = []): Promise<FakeGcsServer> {
  const server = new FakeGcsServer();
  for (const b of buckets) server.createBucket(b);
  await server.listen();
  return server;
}

function checkReadPreconditions(o: StoredObject, url: URL): void {
  const ifGen = intParam(url, 'ifGenerationMatch');
  if (ifGen !== undefined && ifGen !== o.generation) {
    throw new HttpFailure(
      412,
      'conditionNotMet',
      'At least one of the pre-conditions you specified did not hold.',
    );
  }
}

function resource(bucket: string, name: string, o: StoredObject): Record<string, unknown> {
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    name,
    bucket,
    generation: String(o.generation),
    metageneration: '1',
    contentType: o.contentType,
    size: String(o.bytes.length),
    crc32c: crc32cOf(o.bytes),
    etag: `C${o.generation.toString(36)}`,
    timeCreated: o.updated.toISOString(),
    updated: o.updated.toISOString(),
  };
}

/** Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` into a half-open span; undefined when unsatisfiable. */
function parseRange(header: string, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return { start: 0, end: size };
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return undefined;
    return { start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  if (start >= size) return undefined;
  const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
  return { start, end };
}

function parseMultipart(
  contentType: string,
  body: Buffer,
): { metadata: Record<string, unknown>; data: Buffer } {
  const m = /boundary="?([^";]+)"?/.exec(contentType);
  if (m === null) throw new HttpFailure(400, 'invalid', 'multipart upload without a boundary');
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: Buffer[] = [];
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    parts.push(body.subarray(start, next));
    pos = next;
  }
  const decoded = parts.map((p) => {
    const headerEnd = p.indexOf('\r\n\r\n');
    let content = p.subarray(headerEnd + 4);
    if (content.subarray(content.length - 2).toString() === '\r\n')
      content = content.subarray(0, content.length - 2);
    return content;
  });
  if (decoded.length !== 2)
    throw new HttpFailure(400, 'invalid', `multipart upload with ${decoded.length} parts`);
  return {
    metadata: JSON.parse(decoded[0]!.toString('utf8')) as Record<string, unknown>,
    data: Buffer.from(decoded[1]!),
  };
}

function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  return v === null ? undefined : Number(v);
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function crc32cOf(bytes: Buffer): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32c(bytes) >>> 0);
  return b.toString('base64');
}

function errorBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { error: { code, message, errors: [{ domain: 'global', reason, message }] } };
}

function sendError(res: ServerResponse, status: number, reason: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, errorBody(status, reason, message));
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': String(body.length),
  });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
