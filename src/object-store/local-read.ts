/**
 * Reads of the local store: open, fstat, positional reads of the requested range, close. The metadata comes from
 * the open descriptor, so it always describes the bytes returned even if the object is replaced meanwhile (a
 * replace renames a new file over the name; the open file is unaffected). Reads up to `syncBytesMax` use
 * synchronous calls (a few microseconds from the page cache, against ~50 µs per awaited call); larger reads use
 * the thread pool, so a big read never blocks the event loop.
 *
 * Invariants: a missing file or a directory is 'not-found'; the result's offset and length follow resolveRange.
 * Concurrency: any number of reads at once; each owns its descriptor.
 */
import * as fs from 'node:fs';
import { mapLocalError } from './local-errors.js';
import { localMeta } from './local-listing.js';
import { type GetRange, type GetResult, ObjectStoreError } from './object-store.js';
import { resolveRange } from './range.js';

/** Reads `range` of the object stored in `file`. */
export async function readLocalFile(
  file: string,
  path: string,
  range: GetRange | undefined,
  syncBytesMax: number,
): Promise<GetResult> {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY);
  } catch (e) {
    throw mapLocalError(e, 'get', path);
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new ObjectStoreError('not-found', 'get', path, 'is a directory');
    const meta = localMeta(path, st);
    const { offset, end } = resolveRange(range, meta.size, path);
    const length = end - offset;
    const bytes =
      length <= syncBytesMax ? readSyncFully(fd, offset, length) : await readAsyncFully(fd, offset, length);
    return { bytes, meta, offset };
  } catch (e) {
    throw mapLocalError(e, 'get', path);
  } finally {
    fs.closeSync(fd);
  }
}

function readSyncFully(fd: number, offset: number, length: number): Uint8Array {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

async function readAsyncFully(fd: number, offset: number, length: number): Promise<Uint8Array> {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = await new Promise<number>((resolve, reject) => {
      fs.read(fd, out, done, length - done, offset + done, (err, bytesRead) =>
        err ? reject(err) : resolve(bytesRead),
      );
    });
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}
